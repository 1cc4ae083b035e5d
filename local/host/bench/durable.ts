/**
 * Benchmark of the local host on Azurite: fan-out/fan-in of 1,000 and 10,000 no-op activities
 * and a 500-step sequential chain. Prints activities per second and total time. Not a test:
 * figures go to docs/performance.md.
 *
 *   npm run build && node dist/bench/durable.js [--quick]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { request, startAzurite } from "@besu-fleet/local-support";
import { startHostProcess } from "../src/host-process.js";
import { CONFORMANCE_APP } from "../test/paths.js";

interface Case {
  label: string;
  orchestrator: string;
  input: unknown;
  activities: number;
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const cases: Case[] = quick
    ? [
        {
          label: "fan-out N=1,000 (quick)",
          orchestrator: "FanOut",
          input: { count: 1000, prefix: "q", delayMs: 0 },
          activities: 1000,
        },
      ]
    : [
        {
          label: "fan-out N=1,000",
          orchestrator: "FanOut",
          input: { count: 1000, prefix: "a", delayMs: 0 },
          activities: 1000,
        },
        {
          label: "fan-out N=10,000",
          orchestrator: "FanOut",
          input: { count: 10000, prefix: "b", delayMs: 0 },
          activities: 10000,
        },
        { label: "sequential chain of 500", orchestrator: "Chain", input: { steps: 500 }, activities: 500 },
      ];
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-bench-"));
  const azurite = await startAzurite();
  const host = await startHostProcess({
    appDir: CONFORMANCE_APP,
    storage: azurite.connectionString,
    dataDir: path.join(workDir, "data"),
  });
  const systemKey = (
    JSON.parse(fs.readFileSync(path.join(workDir, "data", "keys.json"), "utf8")) as {
      systemKeys: { durabletask_extension: string };
    }
  ).systemKeys.durabletask_extension;
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  const perActivity: Record<string, number> = {};
  // One small untimed run first, so that module loading and JIT warm-up are not billed to N=1,000.
  const warmUp: Case = {
    label: "warm-up",
    orchestrator: "FanOut",
    input: { count: 100, prefix: "w", delayMs: 0 },
    activities: 100,
  };
  try {
    for (const benchCase of [warmUp, ...cases]) {
      const started = Date.now();
      const response = await request(
        `${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/${benchCase.orchestrator}?code=${systemKey}`,
        {
          method: "POST",
          body: JSON.stringify(benchCase.input),
        },
      );
      if (response.status !== 202) throw new Error(`start failed: ${response.status} ${response.text}`);
      const statusUrl = String((response.body as { statusQueryGetUri: string }).statusQueryGetUri);
      for (;;) {
        const status = await request(statusUrl);
        if (status.status === 200) {
          const body = status.body as { runtimeStatus: string };
          if (body.runtimeStatus !== "Completed") throw new Error(`${benchCase.label} ended ${body.runtimeStatus}`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const seconds = (Date.now() - started) / 1000;
      if (benchCase === warmUp) continue;
      perActivity[benchCase.label] = (seconds * 1000) / benchCase.activities;
      console.log(
        `${benchCase.label.padEnd(26)} ${seconds.toFixed(2).padStart(7)} s   ${(benchCase.activities / seconds).toFixed(0).padStart(6)} activities/s   ${perActivity[benchCase.label]?.toFixed(3)} ms/activity`,
      );
    }
    const small = perActivity["fan-out N=1,000"];
    const large = perActivity["fan-out N=10,000"];
    if (small && large)
      console.log(`N=10,000 per-activity cost is ${(large / small).toFixed(2)}× that of N=1,000 (target ≤ 2×)`);
  } finally {
    await host.kill();
    await azurite.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
