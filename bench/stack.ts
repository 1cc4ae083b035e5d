/**
 * The full local stack the benchmarks run rollouts on, as `npm start` runs it: Azurite, the
 * simulated cloud (ARM, a Kubernetes API per cluster, Besu nodes) in this process, and this
 * Functions app on the local host in a child process, so that a benchmark can SIGKILL the host
 * and start it again on the same storage. Also what every benchmark sends: the 24-region example
 * spec, the rollout API and the simulator's control API (`/_sim`, docs/simulator.md).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { createBesuPlugin, startCloud, type OperationLogEntry, type RunningCloud } from "@besu-fleet/local-cloud";
import type { HostProcess } from "@besu-fleet/local-host";
import { request, startAzurite, waitFor, type JsonResponse, type RunningAzurite } from "@besu-fleet/local-support";
import { simulatedChainSettings } from "../cli/chain-settings.js";
import { DEPLOYER_KEY_ID_ENV, KEY_VAULT_SIMULATOR_ENV } from "../lib/config.js";
import { driftLatestSchema } from "../lib/domain/drift/api.js";
import type { DriftReport } from "../lib/domain/drift/report.js";
import { rolloutStatusSchema, type RolloutStatus } from "../lib/domain/rollout-status.js";
import { appHostKeys, startAppHost } from "../test/support/app-host.js";
import { REPO_ROOT } from "../test/support/paths.js";

/** The parts of the example spec benchmarks read or change; everything else is sent as the file has it. */
const benchSpecSchema = z
  .object({
    network: z.object({ name: z.string(), qbft: z.object({ blockperiodseconds: z.number() }).loose() }).loose(),
    regions: z.array(z.object({ name: z.string(), clusters: z.number().optional() }).loose()),
    cluster: z.record(z.string(), z.unknown()),
    rollout: z.object({ pollIntervalSeconds: z.number() }).loose(),
  })
  .loose();
export type BenchSpec = z.infer<typeof benchSpecSchema>;

/**
 * `examples/chain138-24-regions.yaml`, polling every second (the smallest interval the spec
 * accepts; its 15 s are meant for Azure's real durations, and simulated time runs faster).
 */
export function exampleSpec(): BenchSpec {
  const file = path.join(REPO_ROOT, "examples", "chain138-24-regions.yaml");
  const spec = benchSpecSchema.parse(YAML.parse(fs.readFileSync(file, "utf8")));
  return { ...spec, rollout: { ...spec.rollout, pollIntervalSeconds: 1 } };
}

/**
 * `examples/chain138-ccip.yaml` on four small regions (one validator each, one sentry) with 5 s
 * blocks and one-second polls: the network, contracts, CCIP lane and funding at a cost the shared
 * machine bears in tests and benchmarks.
 */
export function smallCcipSpec(networkName: string): BenchSpec {
  const file = path.join(REPO_ROOT, "examples", "chain138-ccip.yaml");
  // The example leaves the cluster and rollout settings to the defaults, which are replaced here.
  const example = z
    .object({ network: z.object({}).loose() })
    .loose()
    .parse(YAML.parse(fs.readFileSync(file, "utf8")));
  return {
    ...example,
    network: { ...example.network, name: networkName, qbft: { blockperiodseconds: 5, requesttimeoutseconds: 10 } },
    regions: ["northeurope", "uksouth", "francecentral", "swedencentral"].map((name, index) => ({
      name,
      validators: 1,
      sentries: index === 0 ? 1 : 0,
    })),
    cluster: {
      nodePools: [
        { name: "system", mode: "System", vmSize: "Standard_D2s_v5", count: 1 },
        { name: "besu", mode: "User", vmSize: "Standard_D2s_v5", count: 1 },
      ],
    },
    rollout: { maxParallelRegions: 4, pollIntervalSeconds: 1 },
  };
}

/** `GET /_sim/operations` (local/cloud/src/oplog.ts), checked rather than trusted. */
const operationLogSchema = z.object({
  entries: z.array(
    z.object({
      seq: z.number(),
      time: z.string(),
      target: z.enum(["arm", "kube", "keyvault", "evm", "lro", "drift"]),
      region: z.string().optional(),
      cluster: z.string().optional(),
      operation: z.string(),
      status: z.union([z.number(), z.string()]),
      durationMs: z.number(),
      throttled: z.boolean(),
      fault: z.string().optional(),
    }),
  ),
});

const isFinal = (status: RolloutStatus): boolean => status.state !== "Running";

export class BenchStack {
  /** When the current host process became ready (wall ms). */
  hostUpSince = Date.now();

  private constructor(
    private readonly workDir: string,
    private readonly azurite: RunningAzurite,
    readonly cloud: RunningCloud,
    private host: HostProcess,
    readonly functionKey: string,
    private readonly masterKey: string,
    private readonly hostEnv: Record<string, string>,
  ) {}

  /** The storage account's connection string (Azurite), for benchmarks that read the app's blobs. */
  get storageConnectionString(): string {
    return this.azurite.connectionString;
  }

  /**
   * Starts all three; whatever started is stopped again if a later part fails to start. `onChain`:
   * with the mainnet stand-in, and the app given the deployer key and the chains' settings;
   * `appSettings`: more app settings for the host (e.g. DRIFT_WEBHOOK_URL).
   */
  static async start(
    timeScale: number,
    options: { onChain?: boolean; appSettings?: Record<string, string> } = {},
  ): Promise<BenchStack> {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-bench-"));
    const started: (() => Promise<void>)[] = [async () => fs.rmSync(workDir, { recursive: true, force: true })];
    try {
      const azurite = await startAzurite();
      started.unshift(() => azurite.stop());
      const cloud = await startCloud({
        dataDir: path.join(workDir, "cloud"),
        timeScale,
        plugins: [createBesuPlugin({ mainnet: options.onChain === true })],
      });
      started.unshift(() => cloud.close());
      const env = { ...(options.onChain === true ? onChainSettings(cloud) : {}), ...options.appSettings };
      const host = await startAppHost(workDir, azurite, env);
      const keys = appHostKeys(workDir);
      return new BenchStack(workDir, azurite, cloud, host, keys.functionKeys.default, keys.masterKey, env);
    } catch (error) {
      for (const stop of started) await stop();
      throw error;
    }
  }

  /** The host's base URL; it changes when the host is restarted (it listens on a free port). */
  get baseUrl(): string {
    return this.host.baseUrl;
  }

  /** The host's process id, for benchmarks that measure its CPU. */
  get hostPid(): number | undefined {
    return this.host.child.pid;
  }

  api(method: "GET" | "POST", route: string, body?: unknown): Promise<JsonResponse> {
    return request(`${this.host.baseUrl}/api/${route}`, {
      method,
      headers: { "x-functions-key": this.functionKey, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** Runs a timer function now through the host's admin API (master key), as an operator can in Azure. */
  runFunction(name: string): Promise<JsonResponse> {
    return request(`${this.host.baseUrl}/admin/functions/${name}`, {
      method: "POST",
      headers: { "x-functions-key": this.masterKey, "content-type": "application/json" },
      body: JSON.stringify({ input: "" }),
    });
  }

  /** The simulator's control API; `route` is relative to `/_sim/`. */
  async control(method: "GET" | "PUT" | "POST" | "DELETE", route: string, body?: unknown): Promise<JsonResponse> {
    const response = await request(`${this.cloud.connection.controlUrl}/${route}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`${method} /_sim/${route}: ${response.status} ${response.text}`);
    return response;
  }

  async startRollout(spec: BenchSpec): Promise<string> {
    const response = await this.api("POST", "rollouts", spec);
    if (response.status !== 202) throw new Error(`start refused: ${response.status} ${response.text}`);
    return z.object({ rolloutId: z.string() }).parse(response.body).rolloutId;
  }

  /** The rollout's status, or undefined while it has published none (the early `note` answer). */
  async rolloutStatus(rolloutId: string): Promise<RolloutStatus | undefined> {
    const response = await this.api("GET", `rollouts/${rolloutId}`);
    if (response.status !== 200) throw new Error(`status of ${rolloutId}: ${response.status} ${response.text}`);
    const parsed = rolloutStatusSchema.safeParse(response.body);
    return parsed.success ? parsed.data : undefined;
  }

  /** Polls the status every `intervalMs` until the rollout has a final state. */
  waitForEnd(rolloutId: string, timeoutMs: number, intervalMs: number): Promise<RolloutStatus> {
    return waitFor(
      `${rolloutId} to finish`,
      async () => {
        const status = await this.rolloutStatus(rolloutId);
        return status !== undefined && isFinal(status) ? status : undefined;
      },
      timeoutMs,
      intervalMs,
    );
  }

  /**
   * Runs a drift check of the network through the API (`POST /api/drift/{network}`) and waits
   * for its report: the latest one, finished after the request, with no check running.
   */
  async driftCheck(network: string, timeoutMs: number, intervalMs: number): Promise<DriftReport> {
    const requestedAt = new Date().toISOString();
    const accepted = await this.api("POST", `drift/${network}`);
    if (accepted.status !== 202) throw new Error(`drift check refused: ${accepted.status} ${accepted.text}`);
    return waitFor(
      `the drift check of ${network}`,
      async () => {
        const latest = driftLatestSchema.parse((await this.api("GET", `drift/${network}`)).body);
        return latest.running === null && latest.report !== null && latest.report.finishedAt >= requestedAt
          ? latest.report
          : undefined;
      },
      timeoutMs,
      intervalMs,
    );
  }

  /** The simulator's operation log after `since` (a sequence number). */
  async operations(since: number): Promise<OperationLogEntry[]> {
    const response = await this.control("GET", `operations?since=${since}`);
    return operationLogSchema.parse(response.body).entries;
  }

  /** The host's recent output, for a failure message. */
  hostOutput(): string {
    return this.host.output();
  }

  async killHost(): Promise<void> {
    await this.host.kill("SIGKILL");
  }

  /** A new host process for the same app, storage and keys, as after a crash of the machine. */
  async restartHost(): Promise<void> {
    this.host = await startAppHost(this.workDir, this.azurite, this.hostEnv);
    this.hostUpSince = Date.now();
  }

  async close(): Promise<void> {
    await this.host.kill();
    await this.cloud.close();
    await this.azurite.stop();
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** What `besu-fleet local up` gives the app for the on-chain phases: the vault's deployer key and the chains. */
function onChainSettings(cloud: RunningCloud): Record<string, string> {
  return {
    [DEPLOYER_KEY_ID_ENV]: cloud.connection.keyVault.deployerKeyId,
    [KEY_VAULT_SIMULATOR_ENV]: "true",
    ...simulatedChainSettings(cloud.connection),
  };
}
