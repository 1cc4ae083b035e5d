/**
 * The drift check benchmark: the 24-region example rolled out on the simulated cloud, then
 * `--checks` drift checks run one after another through the API, with no drift. Prints each
 * check's wall time and state, the requests one check makes (ARM by operation, Kubernetes per
 * region, from the simulator's operation log) and what the ARM reads cost against the
 * subscription's hourly read budget at the default schedule (every 15 minutes). The target
 * (issue 11): under 5 % of that budget. Figures go to docs/performance.md.
 *
 *   node dist/bench/drift.js [--checks n (default 3)] [--time-scale n (default 10)]
 */
import { parseArgs } from "node:util";
import { positiveNumber } from "./options.js";
import { loadAverage, machine, seconds, table } from "./report.js";
import { BenchStack, exampleSpec } from "./stack.js";

/**
 * ARM's read budget per subscription: a token bucket refilled at 25 reads a second (Azure's
 * throttling since 2024, which the simulator models), i.e. 90,000 an hour. The classic limit was
 * 12,000 reads an hour; both are shown.
 */
const READS_PER_HOUR = 25 * 3600;
const CLASSIC_READS_PER_HOUR = 12_000;
const CHECKS_PER_HOUR = 4;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { checks: { type: "string" }, "time-scale": { type: "string" } },
    strict: true,
  });
  const checks = positiveNumber(values.checks, "checks", 3);
  const timeScale = positiveNumber(values["time-scale"], "time-scale", 10);
  const stack = await BenchStack.start(timeScale);
  try {
    const spec = exampleSpec();
    const network = spec.network.name;
    const rolloutId = await stack.startRollout(spec);
    const rollout = await stack.waitForEnd(rolloutId, 30 * 60_000, 1000);
    console.log(`rollout ${rolloutId}: ${rollout.state}`);
    const rows: string[][] = [];
    let perCheck: { arm: Map<string, number>; kubeByRegion: Map<string, number>; kube: number } | undefined;
    for (let run = 1; run <= checks; run++) {
      const since = (await stack.operations(0)).at(-1)?.seq ?? 0;
      const started = Date.now();
      const report = await stack.driftCheck(network, 10 * 60_000, 250);
      const wallMs = Date.now() - started;
      const entries = (await stack.operations(since)).filter((entry) => entry.seq > since);
      const arm = new Map<string, number>();
      const kubeByRegion = new Map<string, number>();
      for (const entry of entries) {
        if (entry.target === "arm") arm.set(entry.operation, (arm.get(entry.operation) ?? 0) + 1);
        if (entry.target === "kube")
          kubeByRegion.set(entry.region ?? "?", (kubeByRegion.get(entry.region ?? "?") ?? 0) + 1);
      }
      perCheck = { arm, kubeByRegion, kube: [...kubeByRegion.values()].reduce((sum, count) => sum + count, 0) };
      rows.push([
        String(run),
        seconds(wallMs),
        report.state,
        String(report.findings.length),
        String(report.unknown.length),
        String([...arm.values()].reduce((sum, count) => sum + count, 0)),
        String(perCheck.kube),
      ]);
    }
    console.log(`\n${machine()}, ${loadAverage()}, time scale ${timeScale}`);
    console.log(table(["check", "wall", "state", "findings", "unknown", "ARM requests", "Kubernetes requests"], rows));
    if (perCheck !== undefined) {
      console.log("\nARM requests of the last check, by operation:");
      console.log(
        table(
          ["operation", "count"],
          [...perCheck.arm].map(([operation, count]) => [operation, String(count)]),
        ),
      );
      const regions = [...perCheck.kubeByRegion.values()];
      console.log(
        `\nKubernetes requests per region (last check): min ${Math.min(...regions)}, max ${Math.max(...regions)}, over ${regions.length} regions`,
      );
      const reads = [...perCheck.arm]
        .filter(([operation]) => !/^(PUT|POST|DELETE|PATCH)\b|listClusterUserCredential/i.test(operation))
        .reduce((sum, [, count]) => sum + count, 0);
      const hourly = reads * CHECKS_PER_HOUR;
      console.log(
        `ARM reads per check ${reads}; at 4 checks an hour ${hourly} reads = ${((100 * hourly) / READS_PER_HOUR).toFixed(2)} % of ${READS_PER_HOUR} reads/hour (${((100 * hourly) / CLASSIC_READS_PER_HOUR).toFixed(2)} % of the classic ${CLASSIC_READS_PER_HOUR}); target < 5 %`,
      );
    }
  } finally {
    await stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
