/**
 * Benchmark of a rollout on the simulated cloud: wall time against the critical path and against
 * the sequential sum; 429s received. Not a test: figures go to docs/performance.md.
 *
 * The critical path is what a control plane with no overhead would still wait for, read from the
 * simulator's operation log: per region, the modelled delays of its chain (cluster creation,
 * LoadBalancer IP, pod start to Ready), the slowest region per phase (the rollout fans in after
 * provisioning and after deploying: genesis needs every validator, verification every node),
 * plus the sequential wait the rollout itself prescribes (verification's gap between its two
 * samples). Everything else in the wall time is control-plane overhead, broken down per phase.
 *
 *   npm run build && node dist/bench/rollout.js [--time-scale <n, default 10 as in npm start>] [--clusters-per-region <n>] [--save <dir>]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultTimeScale } from "@besu-fleet/local-cloud";
import type { OperationLogEntry } from "@besu-fleet/local-cloud";
import type { RolloutStatus } from "../lib/domain/rollout-status.js";
import { positiveNumber } from "./options.js";
import { machine, seconds } from "./report.js";
import { BenchStack, exampleSpec } from "./stack.js";

/** The modelled delays the simulator logs as `lro` entries, by operation name. */
const DELAYS = {
  clusterCreate: "managedClusters.create",
  loadBalancerIP: "services.loadBalancerIP",
  podStart: "pods.start",
  podReady: "pods.ready",
} as const;

/** Per region, the slowest entry of each modelled delay, in wall milliseconds. */
type RegionDelays = Record<keyof typeof DELAYS, number>;

function regionDelays(entries: readonly OperationLogEntry[], timeScale: number): Map<string, RegionDelays> {
  const byRegion = new Map<string, RegionDelays>();
  for (const entry of entries) {
    if (entry.target !== "lro" || entry.region === undefined || entry.status !== "Succeeded") continue;
    const kind = (Object.keys(DELAYS) as (keyof typeof DELAYS)[]).find((name) => DELAYS[name] === entry.operation);
    if (kind === undefined) continue;
    const delays = byRegion.get(entry.region) ?? { clusterCreate: 0, loadBalancerIP: 0, podStart: 0, podReady: 0 };
    // Clusters, Services and pods of one region run in parallel: a region waits for its slowest.
    delays[kind] = Math.max(delays[kind], entry.durationMs / timeScale);
    byRegion.set(entry.region, delays);
  }
  return byRegion;
}

function slowest(
  byRegion: Map<string, RegionDelays>,
  chain: (delays: RegionDelays) => number,
): { region: string; ms: number } {
  let result = { region: "-", ms: 0 };
  for (const [region, delays] of byRegion) if (chain(delays) > result.ms) result = { region, ms: chain(delays) };
  return result;
}

function phaseSpan(status: RolloutStatus, name: string): { start: number; end: number } | undefined {
  const phase = status.phases.find((entry) => entry.phase === name);
  return phase?.finishedAt === undefined
    ? undefined
    : { start: Date.parse(phase.startedAt), end: Date.parse(phase.finishedAt) };
}

/** Wall time of requests (as the simulator served them) grouped by target and operation. */
function requestSummary(entries: readonly OperationLogEntry[], from: number, to: number): string[] {
  const groups = new Map<string, { count: number; totalMs: number }>();
  for (const entry of entries) {
    const at = Date.parse(entry.time);
    if (entry.target === "lro" || entry.target === "drift" || at < from || at >= to) continue;
    const operation = entry.target === "kube" ? entry.operation.replace(/\/proxy\/.*$/, "/proxy") : entry.operation;
    const key = `${entry.target} ${operation}`;
    const group = groups.get(key) ?? { count: 0, totalMs: 0 };
    group.count += 1;
    group.totalMs += entry.durationMs;
    groups.set(key, group);
  }
  return [...groups]
    .sort((left, right) => right[1].count - left[1].count)
    .map(([key, group]) => `${group.count} × ${key} (mean ${(group.totalMs / group.count).toFixed(1)} ms)`);
}

/** When each region's modelled waits ended and when the control plane moved on, relative to `origin`. */
function regionTimeline(
  entries: readonly OperationLogEntry[],
  timeScale: number,
  region: string,
): { createEnd: number; firstKube: number; lbEnd: number; readyEnd: number } {
  const mine = entries.filter((entry) => entry.region === region);
  const end = (operation: string): number =>
    Math.max(
      0,
      ...mine
        .filter((entry) => entry.target === "lro" && entry.operation === operation)
        .map((entry) => Date.parse(entry.time) + entry.durationMs / timeScale),
    );
  const kube = mine.filter((entry) => entry.target === "kube").map((entry) => Date.parse(entry.time));
  return {
    createEnd: end(DELAYS.clusterCreate),
    firstKube: Math.min(...kube),
    lbEnd: end(DELAYS.loadBalancerIP),
    readyEnd: end(DELAYS.podReady),
  };
}

async function main(): Promise<void> {
  const { values: options } = parseArgs({
    options: { "time-scale": { type: "string" }, "clusters-per-region": { type: "string" }, save: { type: "string" } },
  });
  // The main job's time scale by default, so that the figures describe the demo users run.
  const timeScale = positiveNumber(options["time-scale"], "time-scale", defaultTimeScale);
  const clustersPerRegion = positiveNumber(options["clusters-per-region"], "clusters-per-region", 1);
  const saveDir = options.save;
  const stack = await BenchStack.start(timeScale);
  try {
    const example = exampleSpec();
    const spec = {
      ...example,
      regions: example.regions.map((region) => ({ ...region, clusters: clustersPerRegion })),
      cluster: { ...example.cluster, vcpuBudgetPerRegion: 10 * clustersPerRegion },
    };
    if (clustersPerRegion > 1) {
      // Several clusters per region need more than the strategy's 10 vCPUs of quota.
      const limit = 10 * clustersPerRegion;
      const regions = Object.fromEntries(
        spec.regions.map((region) => [
          region.name,
          { quota: { cores: limit, families: { standardDSv5Family: limit } } },
        ]),
      );
      await stack.control("PUT", "faults", { regions });
    }
    const loadBefore = os.loadavg();
    const started = Date.now();
    const rolloutId = await stack.startRollout(spec);
    const status = await stack.waitForEnd(rolloutId, 60 * 60_000, 100);
    const wallMs = Date.now() - started;
    const loadAfter = os.loadavg();

    const entries = await stack.operations(0);
    if (saveDir !== undefined) {
      fs.mkdirSync(saveDir, { recursive: true });
      fs.writeFileSync(path.join(saveDir, "status.json"), JSON.stringify(status, null, 2));
      fs.writeFileSync(path.join(saveDir, "operations.json"), JSON.stringify(entries));
    }

    // ---- the critical path -------------------------------------------------------------------
    const delays = regionDelays(entries, timeScale);
    const provisioning = slowest(delays, (region) => region.clusterCreate + region.loadBalancerIP);
    const deploying = slowest(delays, (region) => region.podReady);
    const verificationGapMs =
      Math.max(spec.network.qbft.blockperiodseconds * 2, spec.rollout.pollIntervalSeconds) * 1000;
    const criticalPathMs = provisioning.ms + deploying.ms + verificationGapMs;
    const slowestCreate = slowest(delays, (region) => region.clusterCreate);
    const creates = entries.filter((entry) => entry.target === "lro" && entry.operation === DELAYS.clusterCreate);
    const sequentialSumMs =
      creates.reduce((sum, entry) => sum + entry.durationMs / timeScale, 0) +
      [...delays.values()].reduce((sum, region) => sum + region.loadBalancerIP + region.podReady, 0) +
      verificationGapMs;
    const throttled = entries.filter((entry) => entry.throttled || entry.status === 429).length;
    const clusters = spec.regions.length * clustersPerRegion;
    const provisionDelays = delays.get(provisioning.region);

    console.log(
      `machine: ${machine()}; time scale ${timeScale}; load average ${loadBefore[0]?.toFixed(2)} before, ${loadAfter[0]?.toFixed(2)} after`,
    );
    console.log(
      `spec: ${spec.regions.length} regions × ${clustersPerRegion} cluster(s) = ${clusters} clusters; result ${status.state} (${status.counts.succeeded}/${status.counts.total} regions)`,
    );
    console.log(`wall time                          ${seconds(wallMs)}`);
    console.log(`critical path                      ${seconds(criticalPathMs)}`);
    console.log(
      `  provisioning, slowest region     ${seconds(provisioning.ms)}  (${provisioning.region}: cluster create ${seconds(provisionDelays?.clusterCreate ?? 0)} + LoadBalancer IP ${seconds(provisionDelays?.loadBalancerIP ?? 0)}; resource groups are synchronous)`,
    );
    console.log(
      `  deploying, slowest region        ${seconds(deploying.ms)}  (${deploying.region}: pod created to Ready; of that, the modelled pod start is at most ${seconds(slowest(delays, (region) => region.podStart).ms)} in any region, the rest is the readiness probe's schedule and the simulated Besu's peering and first blocks)`,
    );
    console.log(
      `  verification's sample gap        ${seconds(verificationGapMs)}  (2 × blockperiodseconds, a wall-clock durable timer)`,
    );
    console.log(`wall / critical path               ${(wallMs / criticalPathMs).toFixed(2)}  (target ≤ 1.10)`);
    console.log(`slowest cluster create alone       ${seconds(slowestCreate.ms)}  (${slowestCreate.region})`);
    console.log(
      `sequential sum of modelled delays  ${seconds(sequentialSumMs)}  (wall is ${(sequentialSumMs / wallMs).toFixed(1)}× faster)`,
    );
    console.log(`429 answers received               ${throttled}`);

    // ---- where the wall time went ------------------------------------------------------------
    console.log("phases (wall; overhead = wall − modelled critical share):");
    const chainShare: Record<string, number> = {
      provisioning: provisioning.ms,
      deploying: deploying.ms,
      verifying: verificationGapMs,
    };
    let previousEnd = started;
    for (const phase of status.phases) {
      const span = phaseSpan(status, phase.phase);
      if (span === undefined) continue;
      const share = chainShare[phase.phase] ?? 0;
      const gap = span.start - previousEnd;
      previousEnd = span.end;
      console.log(
        `  ${phase.phase.padEnd(13)} ${seconds(span.end - span.start).padStart(8)}  overhead ${seconds(span.end - span.start - share).padStart(8)}${gap > 50 ? `  (+${seconds(gap)} before it)` : ""}`,
      );
      for (const line of requestSummary(entries, span.start, span.end).slice(0, 6)) console.log(`      ${line}`);
    }
    console.log(
      `  after the last phase         ${seconds(started + wallMs - previousEnd).padStart(8)}  (final status published after the report is saved; this benchmark polls every 0.1 s)`,
    );

    const timelines = [...delays.keys()].map((region) => ({ region, ...regionTimeline(entries, timeScale, region) }));
    const lag = (pick: (timeline: (typeof timelines)[number]) => number): string => {
      const values = timelines
        .map(pick)
        .filter(Number.isFinite)
        .sort((left, right) => left - right);
      return `median ${seconds(values[Math.floor(values.length / 2)] ?? 0)}, max ${seconds(values.at(-1) ?? 0)}`;
    };
    const provisioningSpan = phaseSpan(status, "provisioning");
    const deployingSpan = phaseSpan(status, "deploying");
    console.log("per region (wall):");
    console.log(
      `  cluster Succeeded → first Kubernetes request   ${lag((timeline) => timeline.firstKube - timeline.createEnd)}  (cluster poll interval + activity latency)`,
    );
    if (provisioningSpan !== undefined)
      console.log(
        `  LoadBalancer IP → provisioning phase end       ${lag((timeline) => provisioningSpan.end - timeline.lbEnd)}  (node-key poll + fan-in)`,
      );
    if (deployingSpan !== undefined)
      console.log(
        `  deploying start → last pod Ready               ${lag((timeline) => timeline.readyEnd - deployingSpan.start)}`,
      );
    if (deployingSpan !== undefined)
      console.log(
        `  last pod Ready → deploying phase end          ${lag((timeline) => deployingSpan.end - timeline.readyEnd)}  (readiness poll + fan-in)`,
      );
  } finally {
    await stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
