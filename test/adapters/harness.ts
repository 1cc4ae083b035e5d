/**
 * Adapter tests' set-up: the simulated cloud (with Besu) in a temporary directory, the real
 * adapters pointed at it, the activity handlers over them, and the small example spec's plans.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createActivities, type Activities, type ActivityDependencies } from "../../activities/factory";
import { ArmAdapter } from "../../lib/azure/arm";
import { planRollout, type RegionPlan } from "../../lib/domain/plan";
import { parseSpecText, type DesiredState } from "../../lib/domain/spec";
import { KubeClusters } from "../../lib/kube/clusters";
import { DocumentStore } from "../../lib/state/documents";
import { createBesuPlugin } from "@besu-fleet/local-cloud";
import { simulatorCredential, startCloud, type RunningCloud } from "@besu-fleet/local-cloud";
import { REPO_ROOT } from "../support/paths";
import { waitFor } from "@besu-fleet/local-support";

export interface AdapterCloud {
  cloud: RunningCloud;
  ca: string;
  deps: ActivityDependencies;
  activities: Activities;
  spec: DesiredState;
  plans: RegionPlan[];
  /** Control API call (plain HTTP on loopback). */
  control(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export function smallSpec(): DesiredState {
  const parsed = parseSpecText(readFileSync(join(REPO_ROOT, "examples", "chain138-small.yaml"), "utf8"));
  if (!parsed.ok) throw new Error(`examples/chain138-small.yaml is invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.spec;
}

/**
 * Starts the cloud. `storageConnectionString` defaults to one that is never dialled (tests of
 * saveDocument start Azurite and pass theirs).
 */
export async function startAdapterCloud(options: { storageConnectionString?: string } = {}): Promise<AdapterCloud> {
  const dataDir = mkdtempSync(join(tmpdir(), "besu-fleet-adapters-"));
  const cloud = await startCloud({ dataDir, timeScale: 2000, plugins: [createBesuPlugin({ mainnet: false })] });
  const ca = readFileSync(cloud.connection.caCertPath, "utf8");
  const arm = new ArmAdapter({
    credential: simulatorCredential(),
    subscriptionId: cloud.connection.subscriptionId,
    endpoint: cloud.connection.armEndpoint,
    caCertificate: ca,
    retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 200 },
  });
  const deps: ActivityDependencies = {
    arm,
    clusters: new KubeClusters((resourceGroup, clusterName) => arm.userKubeconfig(resourceGroup, clusterName)),
    documents: new DocumentStore(options.storageConnectionString ?? "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;", "besu-fleet-state"),
  };
  const spec = smallSpec();
  return {
    cloud,
    ca,
    deps,
    activities: createActivities(deps),
    spec,
    plans: planRollout(spec),
    control: async (method, path, body) => {
      const response = await fetch(`${cloud.connection.controlUrl}/${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
      });
      const text = await response.text();
      return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
    },
    close: async () => {
      await cloud.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `probe` returns a value (generous timeout: CI machines may be slow). */
export function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return waitFor(what, async () => probe(), timeoutMs, 50);
}
