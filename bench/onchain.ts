/**
 * Benchmark of the on-chain phases (contracts, ccip, funding and the on-chain verification) on
 * the simulated cloud: their wall time against their critical path. Not a test: figures go to
 * docs/performance.md.
 *
 * The critical path is what a control plane with no overhead would still wait for, in blocks:
 * on each chain the CREATE2 factory (its deployer's funding, then its pre-signed deployment, when
 * the chain lacked it) and then one block per dependency wave of deployments (a wave's
 * transactions, independent, can share a block), the two chains in parallel (the slower one);
 * then every CCIP and funding transaction in order, one block each (a step's check must see the
 * one before it hold). A block is Chain 138's block period in wall time; the mainnet stand-in
 * mines at once (0). Transaction counts come from the journal, waves from the spec
 * (lib/domain/deployment-waves.ts). Runs the CCIP example on four small regions (`smallCcipSpec`).
 *
 * The critical path assumes the control plane's work for one step (settling the journal, the
 * step's check, a gas estimate, a Key Vault signature, the journal write, the broadcast, the
 * receipt) fits in one block, as it does in Chain 138's 5 s. The default time scale, the simulated
 * cloud's own (×10, 0.5 s blocks), keeps that true; at ×50 a block (0.1 s) is shorter than that
 * work, and the ratio measures the compression of time rather than the orchestration.
 *
 *   npm run build && node dist/bench/onchain.js [--time-scale <n, default 10>]
 */
import { parseArgs } from "node:util";
import { BlobServiceClient } from "@azure/storage-blob";
import { defaultTimeScale } from "@besu-fleet/local-cloud";
import { z } from "zod";
import { deploymentWaves } from "../lib/domain/deployment-waves.js";
import { desiredStateSchema } from "../lib/domain/spec.js";
import { positiveNumber } from "./options.js";
import { machine, seconds } from "./report.js";
import { BenchStack, smallCcipSpec } from "./stack.js";

/** Chain 138's block period in the small CCIP spec (bench/stack.ts). */
const BLOCK_PERIOD_SECONDS = 5;

const entrySchema = z.object({ chainId: z.number(), intent: z.string() }).loose();

/** The factory's funding intent (activities/onchain.ts ensureFactory): the chain lacked the factory. */
const FACTORY_FUNDING = /CREATE2 factory/;

async function journalCounts(stack: BenchStack): Promise<Record<string, { chain138: number; mainnet: number }>> {
  const container = BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(
    "besu-fleet-state",
  );
  const counts = {
    factory: { chain138: 0, mainnet: 0 },
    contracts: { chain138: 0, mainnet: 0 },
    ccip: { chain138: 0, mainnet: 0 },
    funding: { chain138: 0, mainnet: 0 },
  };
  for await (const blob of container.listBlobsFlat({ prefix: "journal/" })) {
    const entry = entrySchema.parse(
      JSON.parse((await container.getBlockBlobClient(blob.name).downloadToBuffer()).toString("utf8")),
    );
    const phase = FACTORY_FUNDING.test(entry.intent)
      ? "factory"
      : entry.intent.startsWith("ccip")
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
  const timeScale = positiveNumber(values["time-scale"], "--time-scale", defaultTimeScale);
  const stack = await BenchStack.start(timeScale, { onChain: true });
  try {
    const spec = smallCcipSpec("benchccip");
    const rolloutId = await stack.startRollout(spec);
    const status = await stack.waitForEnd(rolloutId, 600_000, 200);
    if (status.state !== "Succeeded") throw new Error(`rollout ${status.state}: ${JSON.stringify(status.failure)}`);
    const phase = (name: string) => status.phases.find((entry) => entry.phase === name);
    const start = Date.parse(phase("contracts")?.startedAt ?? "");
    const end = Date.parse(phase("funding")?.finishedAt ?? phase("report")?.startedAt ?? "");
    const wallMs = end - start;
    const counts = await journalCounts(stack);
    const block = { chain138: (BLOCK_PERIOD_SECONDS / timeScale) * 1000, mainnet: 0 };
    const contracts = desiredStateSchema.parse(spec).contracts;
    const waves = {
      chain138: deploymentWaves(contracts?.chain138 ?? [], "chain138").length,
      mainnet: deploymentWaves(contracts?.mainnet ?? [], "mainnet").length,
    };
    // The factory: its deployer funded (journaled), then its pre-signed deployment (not our key, not journaled).
    const deployBlocks = (chain: "chain138" | "mainnet") => 2 * counts.factory[chain] + waves[chain];
    const criticalMs =
      Math.max(deployBlocks("chain138") * block.chain138, deployBlocks("mainnet") * block.mainnet) +
      (counts.ccip.chain138 + counts.funding.chain138) * block.chain138;
    console.log(machine());
    console.log(`time scale ×${timeScale}, Chain 138 block every ${seconds(block.chain138)} wall`);
    console.log(`transactions: ${JSON.stringify(counts)}; deployment waves: ${JSON.stringify(waves)}`);
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
