import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deploymentOrder, parseReference, resolveValue } from "../../lib/domain/contracts-references.js";
import { parseSpecText } from "../../lib/domain/spec-validation.js";
import { problemsOf, readExample, validSpec } from "./helpers.js";

const CHAINS = { chain138: { chainSelector: "7777777777777777777" }, mainnet: {} };
const TOKEN = { package: "@chainlink/contracts-ccip", contract: "v1_6_2/factory_burn_mint_erc20" };
const ROUTER = { package: "@chainlink/contracts-ccip", contract: "latest/router" };

function deployment(name: string, args: unknown[] = []) {
  return { name, artifact: ROUTER, args };
}

function messageAt(problems: ReadonlyArray<{ path: string; message: string }>, path: string): string {
  const problem = problems.find((entry) => entry.path === path);
  assert.ok(problem, `expected a problem at ${path}, got ${JSON.stringify(problems)}`);
  return problem.message;
}

describe("on-chain sections", () => {
  it("fills the chains' defaults: mainnet is chain 1 with its published selector and RPC setting", () => {
    const spec = validSpec({ chains: CHAINS });
    assert.equal(spec.chains?.mainnet.chainId, 1);
    assert.equal(spec.chains?.mainnet.chainSelector, undefined);
    assert.equal(spec.chains?.mainnet.rpcUrlSetting, "BESU_FLEET_MAINNET_RPC_URL");
    assert.equal(spec.chains?.chain138.rpcUrlSetting, "BESU_FLEET_CHAIN138_RPC_URL");
  });

  it("rejects a selector that belongs to another known chain, naming it", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      chains: {
        chain138: { chainSelector: "5009297550715157269" },
        mainnet: { chainSelector: "16015286601757825753" },
      },
    });
    assert.match(messageAt(problems, "chains.chain138.chainSelector"), /selector for chain 1,/);
    assert.match(
      messageAt(problems, "chains.mainnet.chainSelector"),
      /selector for chain 11155111, not the published selector of chain 1 \(5009297550715157269\)/,
    );
  });

  it("requires a selector for an external chain that has no published one, and chains for contracts", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      chains: { chain138: { chainSelector: "7" }, mainnet: { chainId: 31337 } },
    });
    assert.match(messageAt(problems, "chains.mainnet.chainSelector"), /is required/);
    const withoutChains = problemsOf({
      network: { name: "chain138" },
      contracts: { chain138: [deployment("router")] },
    });
    assert.match(messageAt(withoutChains, "chains"), /is required when contracts/);
  });

  it("reports unknown references, cross-chain constructor references and malformed ones by path", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      chains: CHAINS,
      contracts: {
        chain138: [deployment("pool", ["${chain138.token}", "${mainnet.router}", "${chain138}"])],
        mainnet: [deployment("router")],
      },
    });
    assert.match(messageAt(problems, "contracts.chain138[0].args[0]"), /unknown reference \$\{chain138.token\}/);
    assert.match(messageAt(problems, "contracts.chain138[0].args[1]"), /other chain/);
    assert.match(messageAt(problems, "contracts.chain138[0].args[2]"), /is not a reference/);
  });

  it("rejects a dependency cycle within a chain, showing it", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      chains: CHAINS,
      contracts: {
        chain138: [
          deployment("a", ["${chain138.b}"]),
          deployment("b", [["${chain138.c}"]]),
          deployment("c", ["${chain138.a}"]),
        ],
      },
    });
    assert.match(messageAt(problems, "contracts.chain138"), /cycle: a → b → c → a/);
  });

  it("orders deployments after what they refer to, otherwise in the spec's order", () => {
    const spec = validSpec({
      chains: CHAINS,
      contracts: {
        chain138: [
          deployment("router", ["${chain138.weth}", "${chain138.rmn}"]),
          deployment("weth"),
          deployment("rmn"),
        ],
      },
    });
    assert.deepEqual(
      deploymentOrder(spec.contracts?.chain138 ?? [], "chain138").map((entry) => entry.name),
      ["weth", "rmn", "router"],
    );
  });

  it("checks ensure-step function signatures and targets", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      chains: CHAINS,
      ccip: {
        steps: [
          {
            name: "ramps",
            chain: "chain138",
            contract: "router",
            check: { function: "isChainSupported(uint64) view returns (bool)", equals: true },
            send: [{ function: "applyRampUpdates((uint64,address)[],(uint64,address)[],(uint64,address)[])" }],
          },
        ],
      },
    });
    assert.match(messageAt(problems, "ccip.steps[0].contract"), /must be an address or a reference/);
    const badSignature = problemsOf({
      network: { name: "chain138" },
      chains: CHAINS,
      ccip: {
        steps: [
          {
            name: "bad",
            chain: "mainnet",
            contract: "0x0000000000000000000000000000000000000001",
            check: { function: "isChainSupported(uint64 view", equals: true },
            send: [{ function: "f()" }],
          },
        ],
      },
    });
    assert.match(messageAt(badSignature, "ccip.steps[0].check.function"), /Solidity function signature/);
  });

  it("requires a spending cap for every asset a top-up spends", () => {
    const problems = problemsOf({
      network: { name: "chain138" },
      chains: CHAINS,
      contracts: { mainnet: [{ name: "link", artifact: TOKEN }] },
      funding: {
        topUps: [{ name: "pool", chain: "mainnet", account: "${deployer}", asset: "${mainnet.link}", target: "10" }],
        caps: [{ chain: "mainnet", asset: "native", max: "1000" }],
      },
    });
    assert.match(
      messageAt(problems, "funding.topUps[0].asset"),
      /no cap in funding.caps for \$\{mainnet.link\} on mainnet/,
    );
  });

  it("parses and resolves references inside nested values", () => {
    assert.deepEqual(parseReference("${mainnet.chainSelector}"), { kind: "selector", chain: "mainnet" });
    assert.deepEqual(parseReference("${chain138.pool.abiEncoded}"), {
      kind: "contract",
      chain: "chain138",
      name: "pool",
      abiEncoded: true,
    });
    const resolved = resolveValue([{ remote: "${mainnet.pool}", n: 1 }, "${deployer}", "plain"], (reference) =>
      reference.kind === "deployer" ? "0xD" : reference.kind === "contract" ? `0x${reference.name}` : "7",
    );
    assert.deepEqual(resolved, [{ remote: "0xpool", n: 1 }, "0xD", "plain"]);
  });

  it("accepts the CCIP example", () => {
    const result = parseSpecText(readExample("chain138-ccip.yaml"));
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    assert.ok((result.spec.ccip?.steps.length ?? 0) > 0);
  });
});
