/**
 * Benchmark of a rollout on the simulated cloud: wall time against the critical path (the
 * slowest region's simulated cluster creation, from the simulator's operation log, plus the
 * rollout's sequential phases) and against the sequential sum of every region's cluster
 * creation; 429s received. Not a test: figures go to docs/performance.md.
 *
 *   npm run build && node dist/bench/rollout.js [--time-scale <n>] [--clusters-per-region <n>]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { createBesuPlugin } from "../local/cloud/besu/plugin.js";
import { startCloud } from "../local/cloud/index.js";
import type { OperationLogEntry } from "../local/cloud/oplog.js";
import { startAzurite } from "../local/support/azurite.js";
import { rolloutStatusSchema } from "../lib/domain/rollout-status.js";
import { CLOUD_FILE_ENV } from "../lib/config.js";
import { startHostProcess } from "../test/support/host-process.js";
import { request, waitFor } from "../test/support/http.js";
import { REPO_ROOT } from "../test/support/paths.js";


function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

async function main(): Promise<void> {
  const timeScale = option("time-scale", 20);
  const clustersPerRegion = option("clusters-per-region", 1);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-bench-rollout-"));
  const azurite = await startAzurite();
  const cloud = await startCloud({ dataDir: path.join(workDir, "cloud"), timeScale, plugins: [createBesuPlugin({ mainnet: false })] });
  const host = await startHostProcess({
    appDir: REPO_ROOT,
    storage: azurite.connectionString,
    dataDir: path.join(workDir, "data"),
    env: { [CLOUD_FILE_ENV]: path.join(workDir, "cloud", "cloud.json"), AzureWebJobsStorage: azurite.connectionString },
  });
  try {
    const spec = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "examples", "chain138-24-regions.yaml"), "utf8")) as {
      regions: { name: string; clusters?: number }[];
      cluster: Record<string, unknown>;
      rollout: Record<string, unknown>;
    };
    spec.regions = spec.regions.map((region) => ({ ...region, clusters: clustersPerRegion }));
    spec.cluster = { ...spec.cluster, vcpuBudgetPerRegion: 10 * clustersPerRegion };
    spec.rollout = { ...spec.rollout, pollIntervalSeconds: 1 };
    if (clustersPerRegion > 1) {
      // Several clusters per region need more than the strategy's 10 vCPUs of quota.
      const limit = 10 * clustersPerRegion;
      const regions = Object.fromEntries(spec.regions.map((region) => [region.name, { quota: { cores: limit, families: { standardDSv5Family: limit } } }]));
      const put = await request(`${cloud.connection.controlUrl}/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ regions }) });
      if (put.status >= 300) throw new Error(`quota rule refused: ${put.text}`);
    }
    const key = (JSON.parse(fs.readFileSync(path.join(workDir, "data", "keys.json"), "utf8")) as { functionKeys: { default: string } }).functionKeys.default;
    const started = Date.now();
    const response = await request(`${host.baseUrl}/api/rollouts`, { method: "POST", headers: { "content-type": "application/json", "x-functions-key": key }, body: JSON.stringify(spec) });
    if (response.status !== 202) throw new Error(`start refused: ${response.status} ${response.text}`);
    const rolloutId = (response.body as { rolloutId: string }).rolloutId;
    const status = await waitFor("the rollout to finish", async () => {
      const current = rolloutStatusSchema.safeParse((await request(`${host.baseUrl}/api/rollouts/${rolloutId}`, { headers: { "x-functions-key": key } })).body);
      return current.success && current.data.state !== "Running" ? current.data : undefined;
    }, 30 * 60_000, 500);
    const wallMs = Date.now() - started;

    const log = (await request(`${cloud.connection.controlUrl}/operations`)).body as { entries: OperationLogEntry[] };
    const creates = log.entries.filter((entry) => entry.target === "lro" && /create/i.test(entry.operation));
    // Clusters of one region are created in parallel: a region's share is its slowest create.
    const perRegion = new Map<string, number>();
    for (const entry of creates) perRegion.set(entry.region ?? "?", Math.max(perRegion.get(entry.region ?? "?") ?? 0, entry.durationMs / timeScale));
    const sequentialSumMs = creates.reduce((sum, entry) => sum + entry.durationMs / timeScale, 0);
    const phaseMs = (name: string): number => {
      const phase = status.phases.find((entry) => entry.phase === name);
      return phase?.finishedAt ? Date.parse(phase.finishedAt) - Date.parse(phase.startedAt) : 0;
    };
    const slowestRegionMs = Math.max(0, ...perRegion.values());
    const criticalPathMs = slowestRegionMs + phaseMs("deploying") + phaseMs("verifying");
    const throttled = log.entries.filter((entry) => entry.throttled || entry.status === 429).length;
    const clusters = spec.regions.length * clustersPerRegion;
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}; time scale ${timeScale}`);
    console.log(`spec: ${spec.regions.length} regions × ${clustersPerRegion} cluster(s) = ${clusters} clusters; result ${status.state} (${status.counts.succeeded}/${status.counts.total} regions)`);
    console.log(`wall time                          ${(wallMs / 1000).toFixed(1)} s`);
    console.log(`critical path                      ${(criticalPathMs / 1000).toFixed(1)} s  (slowest region's cluster create ${(slowestRegionMs / 1000).toFixed(1)} s + deploy ${(phaseMs("deploying") / 1000).toFixed(1)} s + verify ${(phaseMs("verifying") / 1000).toFixed(1)} s)`);
    console.log(`wall / critical path               ${(wallMs / criticalPathMs).toFixed(2)}  (target ≤ 1.10)`);
    console.log(`sequential sum of cluster creates  ${(sequentialSumMs / 1000).toFixed(1)} s  (wall is ${(sequentialSumMs / wallMs).toFixed(1)}× faster)`);
    console.log(`429 answers received               ${throttled}`);
  } finally {
    await host.kill();
    await cloud.close();
    await azurite.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
