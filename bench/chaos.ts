/**
 * The chaos suite (issue "Resilience", item 6): the 24-region example rolled out on the full
 * local stack under one kind of fault at a time, then all of them together (bench/chaos/
 * scenarios.ts), after a fault-free baseline run. Each run starts from an empty cloud and empty
 * storage. After each run it prints the table of the runs so far and what missed a target.
 *
 * Targets per run: final state Succeeded with 24/24 regions, no duplicate cluster, no regenerated
 * node key. The exit code is 1 when any run (the baseline included) misses one. Not a test: it
 * takes minutes and its figures go to docs/reliability.md.
 *
 *   npm run chaos [-- --only a,b] [--seed <n, default 138>] [--time-scale <n, default 10 as in npm start>]
 */
import { parseArgs } from "node:util";
import { defaultTimeScale } from "@besu-fleet/local-cloud";
import { positiveNumber } from "./options.js";
import { loadAverage, machine, seconds, table } from "./report.js";
import { runScenario, type RunResult } from "./chaos/run.js";
import { BASELINE, SCENARIOS, type ChaosScenario } from "./chaos/scenarios.js";
import { exampleSpec } from "./stack.js";

const REGIONS = exampleSpec().regions.length;
/** Generous: the baseline takes about 75 s at time scale 10. */
const BASELINE_DEADLINE_MS = 30 * 60_000;
/** A faulted run may take longer than the baseline (retries, restarts), but not this much longer. */
const deadlineAfter = (baseline: RunResult): number => Math.max(10 * 60_000, 6 * baseline.wallMs);

function selectedScenarios(only: string | undefined): readonly ChaosScenario[] {
  if (only === undefined) return SCENARIOS;
  const ids = only.split(",").map((id) => id.trim());
  const unknown = ids.filter((id) => !SCENARIOS.some((scenario) => scenario.id === id));
  if (unknown.length > 0)
    throw new Error(
      `--only: unknown run(s) ${unknown.join(", ")}; the runs are ${SCENARIOS.map((s) => s.id).join(", ")}`,
    );
  return SCENARIOS.filter((scenario) => ids.includes(scenario.id));
}

/** The targets this run missed, each with what showed it. */
function misses(result: RunResult): string[] {
  const found: string[] = [];
  const status = result.status;
  if (result.timedOut) found.push(`no final state after ${seconds(result.wallMs)} (deadline)`);
  else if (status?.state !== "Succeeded") found.push(`final state ${status?.state ?? "unknown"}`);
  if (status?.failure !== undefined) found.push(`rollout failed in ${status.failure.phase}: ${status.failure.reason}`);
  for (const region of status?.regions.filter((candidate) => candidate.state !== "Succeeded") ?? [])
    found.push(
      `${region.region} ${region.state} in ${region.phase}${region.lastError === undefined ? "" : ` at ${region.lastError.step} (${region.lastError.kind}): ${region.lastError.cause}`}`,
    );
  if (result.figures.duplicateClusters > 0) found.push(`${result.figures.duplicateClusters} duplicate cluster(s)`);
  if (result.figures.regeneratedKeys > 0) found.push(`${result.figures.regeneratedKeys} regenerated key(s)`);
  return [...found, ...result.figures.findings];
}

/** Where the wall time went: each phase the rollout entered, as its status records it. */
function phases(result: RunResult): string {
  return (result.status?.phases ?? [])
    .map((phase) =>
      phase.finishedAt === undefined
        ? `${phase.phase} (unfinished)`
        : `${phase.phase} ${seconds(Date.parse(phase.finishedAt) - Date.parse(phase.startedAt))}`,
    )
    .join(", ");
}

/** What the faults amounted to in this run. */
function faultsDone(result: RunResult): string {
  const parts: string[] = [];
  if (result.scenario.rules.length > 0 || result.scenario.armStormSeconds !== undefined)
    parts.push(`${result.figures.faultedRequests} requests`);
  if (result.scenario.armStormSeconds !== undefined) parts.push(`storm ${seconds(result.stormMs ?? 0)}`);
  if (result.scenario.hostKills > 0) parts.push(`${result.hostKills}/${result.scenario.hostKills} kills`);
  return parts.join(", ") || "none";
}

function row(result: RunResult, baseline: RunResult): string[] {
  const ratio = (value: number, base: number): string => `${(value / base).toFixed(2)}×`;
  return [
    `${result.scenario.id}: ${result.scenario.title}`,
    faultsDone(result),
    result.timedOut ? "Running (deadline)" : (result.status?.state ?? "unknown"),
    `${result.status?.counts.succeeded ?? 0}/${REGIONS}`,
    String(result.figures.duplicateClusters),
    String(result.figures.regeneratedKeys),
    `${result.figures.armWrites} (${ratio(result.figures.armWrites, baseline.figures.armWrites)})`,
    `${seconds(result.wallMs)} (${ratio(result.wallMs, baseline.wallMs)})`,
  ];
}

const HEADERS = [
  "run",
  "faults",
  "final state",
  "regions",
  "duplicate clusters",
  "regenerated keys",
  "ARM writes (vs baseline)",
  "wall (vs baseline)",
];

async function main(): Promise<void> {
  const { values: options } = parseArgs({
    options: { only: { type: "string" }, seed: { type: "string" }, "time-scale": { type: "string" } },
  });
  const timeScale = positiveNumber(options["time-scale"], "time-scale", defaultTimeScale);
  const seed = positiveNumber(options.seed, "seed", 138);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, not '${options.seed}'`);
  const scenarios = selectedScenarios(options.only);
  console.log(`machine: ${machine()}; time scale ${timeScale}; seed ${seed}`);

  const results: RunResult[] = [];
  const report = (result: RunResult): void => {
    results.push(result);
    const baseline = results[0] ?? result;
    console.log(
      `\n${table(
        HEADERS,
        results.map((each) => row(each, baseline)),
      )}`,
    );
    console.log(`${result.scenario.id}: phases ${phases(result)}`);
    const missed = misses(result);
    console.log(
      missed.length === 0
        ? `${result.scenario.id}: every target met`
        : `${result.scenario.id}: missed\n${missed.map((line) => `  - ${line}`).join("\n")}`,
    );
  };

  console.log(`running ${BASELINE.id} (${BASELINE.title}); ${loadAverage()}…`);
  const baseline = await runScenario(BASELINE, {
    timeScale,
    seed,
    killSpanMs: 0,
    deadlineMs: BASELINE_DEADLINE_MS,
  });
  report(baseline);
  for (const scenario of scenarios) {
    console.log(`\nrunning ${scenario.id} (${scenario.title}); ${loadAverage()}…`);
    report(
      await runScenario(scenario, {
        timeScale,
        seed,
        killSpanMs: baseline.wallMs,
        deadlineMs: deadlineAfter(baseline),
      }),
    );
  }

  console.log(`\ndone; ${loadAverage()}`);
  const failed = results.filter((result) => misses(result).length > 0).map((result) => result.scenario.id);
  console.log(
    failed.length === 0
      ? "\nevery run met every target"
      : `\ntargets missed in: ${failed.join(", ")} (Succeeded ${REGIONS}/${REGIONS}, 0 duplicate clusters, 0 regenerated keys)`,
  );
  if (failed.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
