import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderContracts, renderOnChain, renderOnChainChanges } from "../../cli/onchain-render.js";
import type { RolloutStatus } from "../../lib/domain/rollout-status.js";
import { succeededStatus } from "./statuses.js";

const ROUTER = "0x00000000000000000000000000000000000000a1";
const HASH = `0x${"ab".repeat(32)}`;

function withOnChain(): RolloutStatus {
  return {
    ...succeededStatus(),
    contracts: [{ chain: "chain138", name: "router", address: ROUTER, codeHash: HASH }],
    onChain: {
      deployments: [{ chain: "chain138", name: "router", state: "deployed", address: ROUTER, hash: "0xd1" }],
      ccipSteps: [
        { name: "routerRamps", chain: "chain138", state: "made", hashes: ["0xc1"] },
        { name: "poolLane", chain: "mainnet", state: "failed", hashes: [], error: "Reverted: ChainAlreadyExists(5)" },
      ],
      topUps: [{ name: "pingPongLink", chain: "mainnet", state: "skipped" }],
      verificationProblems: [],
    },
  };
}

describe("on-chain views", () => {
  it("shows every deployment, step and top-up with its transaction hashes or error", () => {
    const lines = renderOnChain(withOnChain());
    assert.ok(lines.includes(`  contract chain138.router: deployed at ${ROUTER} 0xd1`), lines.join("\n"));
    assert.ok(lines.includes("  ccip routerRamps (chain138): made 0xc1"));
    assert.ok(lines.includes("  ccip poolLane (mainnet): failed — Reverted: ChainAlreadyExists(5)"));
    assert.ok(lines.includes("  funding pingPongLink (mainnet): skipped"));
    assert.deepEqual(renderOnChain(succeededStatus()), []);
  });

  it("lists only what changed for a watch that is not a terminal", () => {
    const before = withOnChain();
    const after = withOnChain();
    after.onChain = {
      ...after.onChain!,
      topUps: [{ name: "pingPongLink", chain: "mainnet", state: "funded", hash: "0xf1" }],
    };
    assert.deepEqual(
      renderOnChainChanges(before, after).map((line) => line.slice(8)),
      ["   funding pingPongLink (mainnet): funded 0xf1"],
    );
  });

  it("lists the contracts per chain with address and code hash", () => {
    const lines = renderContracts(withOnChain());
    assert.match(lines[0] ?? "", /^CHAIN\s+NAME\s+ADDRESS\s+CODE HASH$/);
    assert.match(lines[1] ?? "", new RegExp(`^chain138\\s+router\\s+${ROUTER}\\s+${HASH}$`));
  });
});
