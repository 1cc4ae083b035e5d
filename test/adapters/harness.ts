/**
 * Adapter tests' set-up: the simulated cloud (with Besu) in a temporary directory, Azurite for the
 * state documents, the real adapters pointed at them, the activity handlers over them, and the
 * small example spec's plans with the spec saved as the rollout document the activities read.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { createActivities, type Activities, type ActivityDependencies } from "../../activities/factory.js";
import { ArmAdapter } from "../../lib/azure/arm.js";
import { LOOPBACK_RANGE } from "../../lib/config.js";
import { planRollout, type RegionPlan } from "../../lib/domain/plan.js";
import { type DesiredState } from "../../lib/domain/spec.js";
import { parseSpecText } from "../../lib/domain/spec-validation.js";
import { KubeClusters } from "../../lib/kube/clusters.js";
import { DocumentStore } from "../../lib/state/documents.js";
import { createBesuPlugin, simulatorCredential, startCloud, type RunningCloud } from "@besu-fleet/local-cloud";
import { startAzurite, waitFor } from "@besu-fleet/local-support";
import { REPO_ROOT } from "../support/paths.js";

export interface AdapterCloud {
  cloud: RunningCloud;
  ca: string;
  deps: ActivityDependencies;
  activities: Activities;
  spec: DesiredState;
  /** The spec saved as a rollout's spec document (what configureCluster and deployBesu read). */
  specDocument: string;
  plans: RegionPlan[];
  /** Control API call (plain HTTP on loopback). */
  control(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** The simulator's operation log after sequence number `since` (0: all of it). */
  operations(since: number): Promise<LoggedOperation[]>;
  close(): Promise<void>;
}

const operationLogSchema = z.object({
  entries: z.array(
    z.object({
      seq: z.number(),
      target: z.string(),
      region: z.string().optional(),
      cluster: z.string().optional(),
      operation: z.string(),
      status: z.union([z.number(), z.string()]),
      fault: z.string().optional(),
    }),
  ),
});
/** One entry of the simulator's operation log (docs/simulator.md), the fields tests read. */
export type LoggedOperation = z.infer<typeof operationLogSchema>["entries"][number];

export function smallSpec(): DesiredState {
  const parsed = parseSpecText(readFileSync(join(REPO_ROOT, "examples", "chain138-small.yaml"), "utf8"));
  if (!parsed.ok) throw new Error(`examples/chain138-small.yaml is invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.spec;
}

/**
 * Kubernetes requests in adapter tests: short waits (as for the ARM client below) and a short
 * deadline keep tests quick; more attempts than in production make the tests that inject 30 %
 * 503s deterministic in practice (12 failed attempts in a row: once in two million requests).
 */
export const TEST_KUBE_REQUEST_POLICY = {
  maxAttempts: 12,
  baseDelayMs: 20,
  maxDelayMs: 200,
  deadlineMs: 3_000,
} as const;

/** Starts the cloud, and Azurite unless the test gives its own storage. */
export async function startAdapterCloud(options: { storageConnectionString?: string } = {}): Promise<AdapterCloud> {
  const dataDir = mkdtempSync(join(tmpdir(), "besu-fleet-adapters-"));
  const azurite = options.storageConnectionString === undefined ? await startAzurite() : undefined;
  const storage = options.storageConnectionString ?? azurite?.connectionString;
  if (storage === undefined) throw new Error("no storage for the adapter tests");
  const cloud = await startCloud({ dataDir, timeScale: 2000, plugins: [createBesuPlugin({ mainnet: false })] });
  const ca = readFileSync(cloud.connection.caCertPath, "utf8");
  const arm = new ArmAdapter({
    credential: simulatorCredential(),
    subscriptionId: cloud.connection.subscriptionId,
    endpoint: cloud.connection.armEndpoint,
    caCertificate: ca,
    retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 200 },
    apiServerAccess: { authorizedIpRanges: [LOOPBACK_RANGE] },
  });
  const deps: ActivityDependencies = {
    arm,
    clusters: new KubeClusters(
      (resourceGroup, clusterName) => arm.userKubeconfig(resourceGroup, clusterName),
      TEST_KUBE_REQUEST_POLICY,
    ),
    documents: new DocumentStore(storage, "besu-fleet-state"),
  };
  const spec = smallSpec();
  const specDocument = "rollouts/adapter-tests/spec.json";
  await deps.documents.saveDocument(specDocument, spec);
  const control: AdapterCloud["control"] = async (method, path, body) => {
    const response = await fetch(`${cloud.connection.controlUrl}/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
  };
  return {
    cloud,
    ca,
    deps,
    activities: createActivities(deps),
    spec,
    specDocument,
    plans: planRollout(spec),
    control,
    operations: async (since) =>
      operationLogSchema.parse((await control("GET", `operations?since=${since}`)).body).entries,
    close: async () => {
      await cloud.close();
      await azurite?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `probe` returns a value (generous timeout: CI machines may be slow). */
export function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return waitFor(what, async () => probe(), timeoutMs, 50);
}
