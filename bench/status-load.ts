/**
 * Status under load (issue "Resilience", item 8): while the 24-region example rolls out, 50
 * pollers ask for its status (`GET /api/rollouts/{id}`) as often as the CLI's `--watch` does;
 * the latency they see, and the rollout's wall time against the same rollout without them. Each
 * rollout starts on an empty cloud and empty storage; the run without pollers goes first. Targets:
 * p99 ≤ 50 ms, and the rollout at most 5 % slower. The pollers go on for a while after the
 * rollout has ended: the latency of the same requests from an idle host tells how much of it is
 * the rollout's own work on the host. The host's CPU time (its process tree, /proc) tells what
 * the status requests cost it, which the machine's other load does not inflate as it inflates
 * latency. Not a test: figures go to docs/performance.md.
 *
 *   npm run build && node dist/bench/status-load.js [--pollers <n, default 50>] [--interval-ms <n, default 1000>] [--time-scale <n, default 10>]
 */
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { defaultTimeScale } from "@besu-fleet/local-cloud";
import type { RolloutStatus } from "../lib/domain/rollout-status.js";
import { positiveNumber } from "./options.js";
import { loadAverage, machine, seconds, treeCpuSeconds } from "./report.js";
import { BenchStack, exampleSpec } from "./stack.js";
import type { PollerFigures, PollerInput } from "./status-pollers.js";

const P99_TARGET_MS = 50;
const SLOWDOWN_TARGET = 1.05;
/** How often this benchmark itself asks whether the rollout is done, in both runs alike. */
const END_POLL_MS = 250;
const ROLLOUT_TIMEOUT_MS = 30 * 60_000;
/** How long the pollers go on after the rollout has ended. */
const IDLE_MS = 15_000;

interface RolloutRun {
  status: RolloutStatus;
  wallMs: number;
  /** The host's CPU seconds while the rollout ran. */
  hostCpuSeconds: number;
  /** While the rollout ran, and afterwards (the host idle, its CPU then spent on the pollers). */
  latencies?: { rollout: PollerFigures; idle: PollerFigures; idleHostCpuSeconds: number };
}

function nextFigures(worker: Worker): Promise<PollerFigures> {
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

/** One rollout on a fresh stack; with `pollers`, the pollers run from its start until IDLE_MS after its end. */
async function rollout(timeScale: number, pollers?: Omit<PollerInput, "url" | "functionKey">): Promise<RolloutRun> {
  const stack = await BenchStack.start(timeScale);
  const hostPid = stack.hostPid;
  if (hostPid === undefined) throw new Error("the host process has no pid");
  try {
    const cpuAtStart = treeCpuSeconds(hostPid);
    const started = Date.now();
    const rolloutId = await stack.startRollout(exampleSpec());
    const worker =
      pollers === undefined
        ? undefined
        : new Worker(path.join(__dirname, "status-pollers.js"), {
            workerData: {
              ...pollers,
              url: `${stack.baseUrl}/api/rollouts/${rolloutId}`,
              functionKey: stack.functionKey,
            } satisfies PollerInput,
          });
    try {
      const status = await stack.waitForEnd(rolloutId, ROLLOUT_TIMEOUT_MS, END_POLL_MS);
      const wallMs = Date.now() - started;
      const cpuAtEnd = treeCpuSeconds(hostPid);
      const hostCpuSeconds = cpuAtEnd - cpuAtStart;
      if (worker === undefined) return { status, wallMs, hostCpuSeconds };
      const duringRollout = nextFigures(worker);
      worker.postMessage("report");
      const whileRunning = await duringRollout;
      await sleep(IDLE_MS);
      const afterwards = nextFigures(worker);
      worker.postMessage("stop");
      const idle = await afterwards;
      const idleHostCpuSeconds = treeCpuSeconds(hostPid) - cpuAtEnd;
      return { status, wallMs, hostCpuSeconds, latencies: { rollout: whileRunning, idle, idleHostCpuSeconds } };
    } finally {
      await worker?.terminate();
    }
  } finally {
    await stack.close();
  }
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const verdict = (met: boolean): string => (met ? "met" : "MISSED");

async function main(): Promise<void> {
  const { values: options } = parseArgs({
    options: { pollers: { type: "string" }, "interval-ms": { type: "string" }, "time-scale": { type: "string" } },
  });
  const timeScale = positiveNumber(options["time-scale"], "time-scale", defaultTimeScale);
  const pollers = positiveNumber(options.pollers, "pollers", 50);
  const intervalMs = positiveNumber(options["interval-ms"], "interval-ms", 1000);
  if (!Number.isInteger(pollers)) throw new Error(`--pollers must be an integer, not '${options.pollers}'`);
  console.log(`machine: ${machine()}; time scale ${timeScale}`);

  console.log(`without pollers first; ${loadAverage()}`);
  const quiet = await rollout(timeScale);
  console.log(
    `without pollers: ${quiet.status.state}, ${quiet.status.counts.succeeded}/${quiet.status.counts.total} regions, wall ${seconds(quiet.wallMs)}`,
  );
  console.log(`then with pollers; ${loadAverage()}`);
  const loaded = await rollout(timeScale, { pollers, intervalMs });
  console.log(
    `with ${pollers} pollers every ${intervalMs} ms: ${loaded.status.state}, ${loaded.status.counts.succeeded}/${loaded.status.counts.total} regions, wall ${seconds(loaded.wallMs)}`,
  );

  if (loaded.latencies === undefined) throw new Error("the pollers reported nothing");
  const { rollout: latencies, idle, idleHostCpuSeconds } = loaded.latencies;
  const slowdown = loaded.wallMs / quiet.wallMs;
  const describe = (figures: PollerFigures): string =>
    `${figures.requests} requests (${figures.failures} failed): p50 ${ms(figures.p50)}, p95 ${ms(figures.p95)}, p99 ${ms(figures.p99)}, max ${ms(figures.max)}`;
  console.log(`status latency during the rollout: ${describe(latencies)}`);
  console.log(`status latency in the ${seconds(IDLE_MS)} after it (host idle): ${describe(idle)}`);
  const cpuRate = (run: RolloutRun): string => `${((100 * run.hostCpuSeconds * 1000) / run.wallMs).toFixed(1)} %`;
  console.log(
    `host CPU per wall second during the rollout, without pollers → with: ${cpuRate(quiet)} → ${cpuRate(loaded)}`,
  );
  console.log(
    `host CPU per status request, host idle: ${((idleHostCpuSeconds * 1000) / Math.max(1, idle.requests)).toFixed(2)} ms (${idleHostCpuSeconds.toFixed(2)} s for ${idle.requests} requests)`,
  );
  console.log(`p99 ≤ ${P99_TARGET_MS} ms: ${verdict(latencies.p99 <= P99_TARGET_MS)}`);
  console.log(
    `rollout wall with pollers / without: ${slowdown.toFixed(3)} (≤ ${SLOWDOWN_TARGET}: ${verdict(slowdown <= SLOWDOWN_TARGET)})`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
