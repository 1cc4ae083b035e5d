import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deploymentWaves } from "../../lib/domain/deployment-waves.js";
import { parseSpecText } from "../../lib/domain/spec-validation.js";
import { readExample, validSpec } from "./helpers.js";

const CHAINS = {
  chain138: { chainSelector: "7777777777777777777" },
  mainnet: { existing: { router: "0x" + "11".repeat(20) } },
};
const TOKEN = { package: "@chainlink/contracts-ccip", contract: "v1_6_2/factory_burn_mint_erc20" };
const deployment = (name: string, args: unknown[] = []) => ({ name, artifact: TOKEN, args });

describe("deployment waves", () => {
  it("puts a deployment one wave after the latest deployment it refers to, independent ones together", () => {
    const spec = validSpec({
      chains: CHAINS,
      contracts: {
        chain138: [
          deployment("pool", ["${chain138.token}", "${chain138.router}"]),
          deployment("router", ["${chain138.weth}", "${chain138.rmnProxy}"]),
          deployment("weth"),
          deployment("rmnProxy", ["${chain138.rmn}"]),
          deployment("rmn"),
          deployment("token"),
        ],
      },
    });
    assert.deepEqual(deploymentWaves(spec.contracts?.chain138 ?? [], "chain138"), [
      ["token", "weth", "rmn"],
      ["rmnProxy"],
      ["router"],
      ["pool"],
    ]);
  });

  it("does not wait for existing contracts", () => {
    const spec = validSpec({
      chains: CHAINS,
      contracts: {
        chain138: [deployment("token")],
        mainnet: [deployment("pool", ["${mainnet.router}", "${deployer}"]), deployment("token")],
      },
    });
    assert.deepEqual(deploymentWaves(spec.contracts?.mainnet ?? [], "mainnet"), [["pool", "token"]]);
  });

  it("has every deployment of the CCIP example exactly once, after everything it refers to", () => {
    const parsed = parseSpecText(readExample("chain138-ccip.yaml"));
    assert.ok(parsed.ok);
    const spec = parsed.spec;
    const waves = deploymentWaves(spec.contracts?.chain138 ?? [], "chain138");
    assert.deepEqual(waves.flat().sort(), (spec.contracts?.chain138 ?? []).map((entry) => entry.name).sort());
    assert.ok(waves.length < (spec.contracts?.chain138 ?? []).length, "fewer waves than deployments");
    assert.deepEqual(waves.slice(1), [["rmnProxy"], ["router"], ["pool"]]);
  });

  it("is empty for a chain without deployments", () => {
    assert.deepEqual(deploymentWaves([], "mainnet"), []);
  });
});
