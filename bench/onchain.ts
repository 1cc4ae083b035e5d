/**
 * Benchmark of the on-chain phases (contracts, ccip, funding and the on-chain verification) on
 * the simulated cloud: their wall time against their critical path. Not a test: figures go to
 * docs/performance.md.
 *
 * The critical path is what a control plane with no overhead would still wait for: every
 * transaction needs a block, and the transactions of one chain go one after another (one
 * sender, no nonce gaps). So: the two chains' deployment transactions in parallel (the slower
 * chain), then every CCIP and funding transaction in order, each one block interval of its chain —
 * Chain 138's block period in wall time; the mainnet stand-in mines at once (0). The counts come
 * from the transaction journal. Runs the CCIP example on four small regions (`smallCcipSpec`).
 *
 *   npm run build && node dist/bench/onchain.js [--time-scale <n, default 50>]
 */
import { parseArgs } from "node:util";
import { BlobServiceClient } from "@azure/storage-blob";
import { z } from "zod";
import { positiveNumber } from "./options.js";
import { machine, seconds } from "./report.js";
import { BenchStack, smallCcipSpec } from "./stack.js";

/** Chain 138's block period in the small CCIP spec (bench/stack.ts). */
const BLOCK_PERIOD_SECONDS = 5;

const entrySchema = z.object({ chainId: z.number(), intent: z.string() }).loose();

async function journalCounts(stack: BenchStack): Promise<Record<string, { chain138: number; mainnet: number }>> {
  const container = BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(
    "besu-fleet-state",
  );
  const counts = {
    contracts: { chain138: 0, mainnet: 0 },
    ccip: { chain138: 0, mainnet: 0 },
    funding: { chain138: 0, mainnet: 0 },
  };
  for await (const blob of container.listBlobsFlat({ prefix: "journal/" })) {
    const entry = entrySchema.parse(
      JSON.parse((await container.getBlockBlobClient(blob.name).downloadToBuffer()).toString("utf8")),
    );
    const phase = entry.intent.startsWith("ccip")
      ? "ccip"
      : entry.intent.startsWith("top up")
        ? "funding"
        : "contracts";
    counts[phase][entry.chainId === 1 ? "mainnet" : "chain138"] += 1;
  }
  return counts;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "time-scale": { type: "string" } } });
  const timeScale = positiveNumber(values["time-scale"], "--time-scale", 50);
  const stack = await BenchStack.start(timeScale, { onChain: true });
  try {
    const rolloutId = await stack.startRollout(smallCcipSpec("benchccip"));
    const status = await stack.waitForEnd(rolloutId, 600_000, 200);
    if (status.state !== "Succeeded") throw new Error(`rollout ${status.state}: ${JSON.stringify(status.failure)}`);
    const phase = (name: string) => status.phases.find((entry) => entry.phase === name);
    const start = Date.parse(phase("contracts")?.startedAt ?? "");
    const end = Date.parse(phase("funding")?.finishedAt ?? phase("report")?.startedAt ?? "");
    const wallMs = end - start;
    const counts = await journalCounts(stack);
    // +1 on Chain 138: the CREATE2 factory's own pre-signed deployment (not journaled: not our key).
    const block = { chain138: (BLOCK_PERIOD_SECONDS / timeScale) * 1000, mainnet: 0 };
    const criticalMs =
      Math.max((counts.contracts.chain138 + 1) * block.chain138, counts.contracts.mainnet * block.mainnet) +
      counts.ccip.chain138 * block.chain138 +
      counts.funding.chain138 * block.chain138;
    console.log(machine());
    console.log(`time scale ×${timeScale}, Chain 138 block every ${seconds(block.chain138)} wall`);
    console.log(`transactions: ${JSON.stringify(counts)}`);
    for (const name of ["contracts", "ccip", "funding"]) {
      const entry = phase(name);
      if (entry !== undefined)
        console.log(
          `  ${name}: ${seconds(Date.parse(entry.finishedAt ?? entry.startedAt) - Date.parse(entry.startedAt))}`,
        );
    }
    console.log(
      `on-chain phases: ${seconds(wallMs)} wall, critical path ${seconds(criticalMs)}, ratio ${(wallMs / criticalMs).toFixed(2)}× (target ≤ 1.2×)`,
    );
  } finally {
    await stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
