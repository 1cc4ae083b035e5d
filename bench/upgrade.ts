/**
 * Benchmark of an image upgrade of the 24-region network (issue 10): the example is rolled out,
 * then rolled out again with only the Besu image changed, while the simulator is sampled every
 * 200 ms (validators down) and the blocks produced meanwhile are read (longest gap between blocks). Figures: the updating phase's
 * wall time against its theoretical minimum — per wave, the slowest modelled restart of its pods
 * (pod created to Ready, from the simulator's operation log) plus one block period for the chain
 * to move past it — and the overhead on top. The rejoin check also waits for each restarted
 * validator to propose a block (round-robin: up to n block periods), which the minimum leaves
 * out, so the ratio shows that price too. Not a test: figures go to docs/performance.md.
 *
 *   npm run build && node dist/bench/upgrade.js [--time-scale <n, default 10 as in npm start>]
 */
import { parseArgs } from "node:util";
import { defaultTimeScale, type OperationLogEntry } from "@besu-fleet/local-cloud";
import { changePlanSchema } from "../lib/domain/changes/plan.js";
import type { RolloutStatus } from "../lib/domain/rollout-status.js";
import { blockGapBoundSeconds, sampled } from "../test/support/chain-sampling.js";
import { positiveNumber } from "./options.js";
import { machine, seconds } from "./report.js";
import { BenchStack, exampleSpec } from "./stack.js";

const UPGRADED_IMAGE = "hyperledger/besu:24.12.0";

function phaseMs(status: RolloutStatus, name: string): number {
  const phase = status.phases.find((entry) => entry.phase === name);
  return phase?.finishedAt === undefined ? 0 : Date.parse(phase.finishedAt) - Date.parse(phase.startedAt);
}

/** The slowest `pods.ready` (created to Ready, wall ms) per pod name prefix `<cluster>/<pod>` after the upgrade began. */
function podReadyMs(entries: readonly OperationLogEntry[], timeScale: number): Map<string, number> {
  const ready = new Map<string, number>();
  for (const entry of entries) {
    if (entry.target !== "lro" || entry.operation !== "pods.ready" || entry.region === undefined) continue;
    ready.set(entry.region, Math.max(ready.get(entry.region) ?? 0, entry.durationMs / timeScale));
  }
  return ready;
}

async function main(): Promise<void> {
  const { values: options } = parseArgs({ options: { "time-scale": { type: "string" } } });
  const timeScale = positiveNumber(options["time-scale"], "time-scale", defaultTimeScale);
  const stack = await BenchStack.start(timeScale);
  try {
    const spec = exampleSpec();
    const formed = await stack.waitForEnd(await stack.startRollout(spec), 60 * 60_000, 500);
    if (formed.state !== "Succeeded") throw new Error(`the first rollout ended ${formed.state}`);
    const upgrade = { ...spec, network: { ...spec.network, besuImage: UPGRADED_IMAGE } };
    const planned = await stack.api("POST", "rollouts?dryRun=true", upgrade);
    const plan = changePlanSchema.parse(planned.body);
    const since = Math.max(0, ...(await stack.operations(0)).map((entry) => entry.seq));

    const started = Date.now();
    const { result: status, ...chain } = await sampled(
      (method, route) => stack.control(method, route),
      spec.network.name,
      async () => stack.waitForEnd(await stack.startRollout(upgrade), 60 * 60_000, 500),
    );
    const wallMs = Date.now() - started;
    const entries = await stack.operations(since);

    // Waves are per region here (one validator, one sentry each): a wave's restart is its regions' slowest.
    const ready = podReadyMs(entries, timeScale);
    const blockMs = (spec.network.qbft.blockperiodseconds * 1000) / timeScale;
    const minimumMs = plan.waves.reduce(
      (sum, wave) =>
        sum + Math.max(0, ...wave.nodes.map((nodeId) => ready.get(nodeId.split("/")[0] ?? "") ?? 0)) + blockMs,
      0,
    );
    const updatingMs = phaseMs(status, "updating");
    console.log(`image upgrade of the 24-region example (${machine()}, time scale ${timeScale})`);
    console.log(
      `state: ${status.state}; waves: ${plan.waves.length} (max ${plan.maxValidatorsDown} validator down each)`,
    );
    console.log(`rollout wall time: ${seconds(wallMs)}; updating phase: ${seconds(updatingMs)}`);
    console.log(
      `theoretical minimum of the waves: ${seconds(minimumMs)} (Σ per wave: slowest pod created→Ready + one block period); ratio ${(updatingMs / minimumMs).toFixed(2)}`,
    );
    console.log(
      `per wave: ${seconds(updatingMs / plan.waves.length)} actual, ${seconds(minimumMs / plan.waves.length)} minimum`,
    );
    console.log(
      `chain during the upgrade: at most ${chain.maxDown} validator(s) down; longest gap between blocks ${chain.longestBlockGapSeconds} s simulated (block period ${spec.network.qbft.blockperiodseconds} s; bound ${blockGapBoundSeconds(spec.network.qbft.blockperiodseconds, timeScale, chain)} s: 3 block periods + one restart + the process's longest hold-up, ${chain.maxEventLoopDelayMs} ms); height ${chain.heightBefore} → ${chain.height}`,
    );
  } finally {
    await stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
