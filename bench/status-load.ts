/**
 * Status under load (issue "Resilience", item 8): while the 24-region example rolls out, 50
 * pollers ask for its status (`GET /api/rollouts/{id}`) as often as the CLI's `--watch` does;
 * the latency they see, and the rollout's wall time against the same rollout without them. Each
 * rollout starts on an empty cloud and empty storage; the run without pollers goes first. Targets:
 * p99 ≤ 50 ms, and the rollout at most 5 % slower. Not a test: figures go to docs/performance.md.
 *
 *   npm run build && node dist/bench/status-load.js [--pollers <n, default 50>] [--interval-ms <n, default 1000>] [--time-scale <n, default 10>]
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { defaultTimeScale } from "@besu-fleet/local-cloud";
import type { RolloutStatus } from "../lib/domain/rollout-status.js";
import { positiveNumber } from "./options.js";
import { machine, seconds } from "./report.js";
import { BenchStack, exampleSpec } from "./stack.js";
import type { PollerFigures, PollerInput } from "./status-pollers.js";

const P99_TARGET_MS = 50;
const SLOWDOWN_TARGET = 1.05;
/** How often this benchmark itself asks whether the rollout is done, in both runs alike. */
const END_POLL_MS = 250;
const ROLLOUT_TIMEOUT_MS = 30 * 60_000;

interface RolloutRun {
  status: RolloutStatus;
  wallMs: number;
  latencies?: PollerFigures;
}

/** One rollout on a fresh stack; with `pollers`, the pollers run from its start to its end. */
async function rollout(timeScale: number, pollers?: Omit<PollerInput, "url" | "functionKey">): Promise<RolloutRun> {
  const stack = await BenchStack.start(timeScale);
  try {
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
    const figures =
      worker === undefined
        ? undefined
        : new Promise<PollerFigures>((resolve, reject) => {
            worker.once("message", resolve);
            worker.once("error", reject);
          });
    try {
      const status = await stack.waitForEnd(rolloutId, ROLLOUT_TIMEOUT_MS, END_POLL_MS);
      const wallMs = Date.now() - started;
      worker?.postMessage("stop");
      return { status, wallMs, latencies: await figures };
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

  const quiet = await rollout(timeScale);
  console.log(
    `without pollers: ${quiet.status.state}, ${quiet.status.counts.succeeded}/${quiet.status.counts.total} regions, wall ${seconds(quiet.wallMs)}`,
  );
  const loaded = await rollout(timeScale, { pollers, intervalMs });
  console.log(
    `with ${pollers} pollers every ${intervalMs} ms: ${loaded.status.state}, ${loaded.status.counts.succeeded}/${loaded.status.counts.total} regions, wall ${seconds(loaded.wallMs)}`,
  );

  const latencies = loaded.latencies;
  if (latencies === undefined) throw new Error("the pollers reported nothing");
  const slowdown = loaded.wallMs / quiet.wallMs;
  console.log(
    `status latency over ${latencies.requests} requests (${latencies.failures} failed): p50 ${ms(latencies.p50)}, p95 ${ms(latencies.p95)}, p99 ${ms(latencies.p99)}, max ${ms(latencies.max)}`,
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
