/**
 * The drift check's on-chain activity against the simulated cloud's mainnet stand-in, reading
 * through the real on-chain adapter: code replaced or removed at a recorded address, an
 * ensure-step that no longer holds, a balance drained below its threshold — each one finding and
 * nothing else — and a chain whose RPC endpoint does not answer, which is a transient failure
 * (retried, then unknown), never in sync. The chain is changed through the simulator's own
 * `evm_setAccount*` methods, not through the product.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { keccak256 } from "ethers";
import { driftOnChainActivities } from "../../activities/drift-onchain.js";
import type { DeployedContract } from "../../lib/domain/onchain-status.js";
import { validateSpec } from "../../lib/domain/spec-validation.js";
import { EvmRpc } from "../../lib/evm/rpc.js";
import { startChainCloud, type ChainCloud } from "./chain-harness.js";

const SPEC_DOCUMENT = "rollouts/drift-adapter/spec.json";
/** Runtime code that answers every call with the word 1 (PUSH1 1, PUSH1 0, MSTORE, PUSH1 32, PUSH1 0, RETURN). */
const RETURNS_ONE = "0x600160005260206000f3";
/** The same, answering 2. */
const RETURNS_TWO = "0x600260005260206000f3";
const CONSTANT = "0x00000000000000000000000000000000000d0001";
const SECOND = "0x00000000000000000000000000000000000d0002";
const FUNDED = "0x00000000000000000000000000000000000d0003";

let chains: ChainCloud;
let mainnet: EvmRpc;
let check: ReturnType<typeof driftOnChainActivities>["checkOnChainDrift"];
let recorded: DeployedContract[];

const setAccount = (method: string, address: string, value: string) => mainnet.call(method, [address, value]);

before(async () => {
  chains = await startChainCloud("besu-fleet-drift-onchain-");
  const { documents, signer } = chains;
  mainnet = new EvmRpc(chains.mainnet.rpcUrl, "mainnet");
  const validation = validateSpec({
    network: { name: "driftnet" },
    chains: {
      chain138: { chainSelector: "13813813813813813813" },
      mainnet: { existing: { constant: CONSTANT, second: SECOND } },
    },
    ccip: {
      steps: [
        {
          name: "constantIsOne",
          chain: "mainnet",
          contract: "${mainnet.constant}",
          check: { function: "value() view returns (uint256)", equals: 1 },
          send: [{ function: "setValue(uint256)", args: [1] }],
        },
      ],
    },
    funding: {
      topUps: [
        { name: "operatorGas", chain: "mainnet", account: FUNDED, target: "1000" },
        { name: "validatorGas", chain: "chain138", account: FUNDED, target: "1" },
      ],
      caps: [
        { chain: "mainnet", asset: "native", max: "1000" },
        { chain: "chain138", asset: "native", max: "1" },
      ],
    },
    drift: { minimumBalances: { operatorGas: "600" } },
  });
  assert.ok(validation.ok, JSON.stringify(!validation.ok && validation.problems));
  await documents.saveDocument(SPEC_DOCUMENT, validation.spec);
  // Chain 138's endpoint in these settings is down.
  check = driftOnChainActivities({ documents, signer: () => signer, settings: chains.settings }).checkOnChainDrift;
  await setAccount("evm_setAccountCode", CONSTANT, RETURNS_ONE);
  await setAccount("evm_setAccountCode", SECOND, RETURNS_ONE);
  await setAccount("evm_setAccountBalance", FUNDED, "0x3e8");
  recorded = [
    { chain: "mainnet", name: "constant", address: CONSTANT, codeHash: keccak256(RETURNS_ONE) },
    { chain: "mainnet", name: "second", address: SECOND, codeHash: keccak256(RETURNS_ONE) },
  ];
});

after(async () => {
  await chains?.close();
});

/** The mainnet check's findings as `resource field: desired → actual`. */
async function mainnetFindings(): Promise<string[]> {
  const result = await check({ specDocument: SPEC_DOCUMENT, chain: "mainnet", contracts: recorded });
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result.unknown, [], "everything on mainnet could be read");
  assert.ok(result.observed.every((finding) => finding.kind === "contracts" && finding.region === "mainnet"));
  return result.observed.map(
    (finding) => `${finding.resource} ${finding.field}: ${finding.desired} → ${finding.actual}`,
  );
}

describe("drift of contracts on the mainnet stand-in", () => {
  it("finds nothing while the code, the ensure-step and the balance are as the rollout left them", async () => {
    assert.deepEqual(await mainnetFindings(), []);
  });

  it("reports a balance drained below its minimum, and only that", async () => {
    await setAccount("evm_setAccountBalance", FUNDED, "0x258"); // 600: at the minimum, still in sync
    assert.deepEqual(await mainnetFindings(), []);
    await setAccount("evm_setAccountBalance", FUNDED, "0x64");
    assert.deepEqual(await mainnetFindings(), ["balance/operatorGas balance: >= 600 (native) → 100"]);
    await setAccount("evm_setAccountBalance", FUNDED, "0x3e8");
  });

  it("reports code removed from a recorded address", async () => {
    await setAccount("evm_setAccountCode", SECOND, "0x");
    assert.deepEqual(await mainnetFindings(), [
      `contract/second codeHash: ${keccak256(RETURNS_ONE)} → (no code at ${SECOND})`,
    ]);
  });

  it("reports code replaced, and the ensure-step it broke with what its view call now returns", async () => {
    await setAccount("evm_setAccountCode", CONSTANT, RETURNS_TWO);
    assert.deepEqual(await mainnetFindings(), [
      `contract/constant codeHash: ${keccak256(RETURNS_ONE)} → ${keccak256(RETURNS_TWO)}`,
      `contract/second codeHash: ${keccak256(RETURNS_ONE)} → (no code at ${SECOND})`,
      "ccip/constantIsOne value() view returns (uint256): 1 → 2",
    ]);
  });

  it("answers a transient failure naming the chain when its RPC endpoint is down: retried, never in sync", async () => {
    const result = await check({ specDocument: SPEC_DOCUMENT, chain: "chain138", contracts: recorded });
    assert.ok(!result.ok && result.kind === "transient", JSON.stringify(result));
    assert.match(result.message, /eth_chainId on chain138/);
  });
});
