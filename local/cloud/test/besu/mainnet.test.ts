import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Interface, Wallet } from "ethers";
import { loadOrCreateDevAccounts, type DevAccounts } from "../../src/evm/dev-accounts.js";
import { MAINNET_CHAIN_SELECTOR, MainnetStandIn } from "../../src/evm/mainnet.js";
import { rpc, rpcRaw } from "./rpc-client.js";

const router = new Interface([
  "function typeAndVersion() view returns (string)",
  "function getWrappedNative() view returns (address)",
  "function applyRampUpdates((uint64 destChainSelector, address onRamp)[] onRampUpdates, (uint64 sourceChainSelector, address offRamp)[] offRampRemoves, (uint64 sourceChainSelector, address offRamp)[] offRampAdds)",
]);
const erc20 = new Interface([
  "function balanceOf(address) view returns (uint256)",
  "function symbol() view returns (string)",
]);

describe("Ethereum mainnet stand-in", { timeout: 60_000 }, () => {
  let dataDir: string;
  let accounts: DevAccounts;
  let mainnet: MainnetStandIn;
  // The operator's deployer is a Key Vault key in the whole cloud; here only its address matters.
  const deployer = Wallet.createRandom().address.toLowerCase();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "besu-fleet-mainnet-"));
    accounts = loadOrCreateDevAccounts(dataDir);
    mainnet = await MainnetStandIn.start({ ...accounts, deployer });
  });

  after(async () => {
    await mainnet.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = async (to: string, iface: Interface, name: string, args: unknown[] = []): Promise<unknown[]> => {
    const data = iface.encodeFunctionData(name, args);
    return [
      ...iface.decodeFunctionResult(name, String(await rpc(mainnet.info.rpcUrl, "eth_call", [{ to, data }, "latest"]))),
    ];
  };

  it("keeps its development accounts per data directory", () => {
    assert.deepEqual(loadOrCreateDevAccounts(dataDir), accounts);
    assert.equal(new Wallet(accounts.chainlinkOwner.privateKey).address.toLowerCase(), accounts.chainlinkOwner.address);
  });

  it("runs chain id 1 with Chainlink's Router, RMN proxy and a LINK stand-in deployed from the package bytecode", async () => {
    assert.equal(await rpc(mainnet.info.rpcUrl, "eth_chainId"), "0x1");
    assert.equal(mainnet.info.chainSelector, MAINNET_CHAIN_SELECTOR);
    assert.deepEqual(await call(mainnet.info.contracts.router, router, "typeAndVersion"), ["Router 1.2.0"]);
    const [wrapped] = await call(mainnet.info.contracts.router, router, "getWrappedNative");
    assert.equal(String(wrapped).toLowerCase(), mainnet.info.contracts.wrappedNative);
    assert.deepEqual(await call(mainnet.info.contracts.link, erc20, "symbol"), ["LINK"]);
    const [linkBalance] = await call(mainnet.info.contracts.link, erc20, "balanceOf", [deployer]);
    assert.ok(BigInt(String(linkBalance)) > 0n, "the deployer holds LINK to fund contracts");
    assert.ok(BigInt(String(await rpc(mainnet.info.rpcUrl, "eth_getBalance", [deployer, "latest"]))) > 0n);
  });

  it("refuses router configuration by the operator: the Router belongs to Chainlink", async () => {
    const data = router.encodeFunctionData("applyRampUpdates", [
      [{ destChainSelector: 138n, onRamp: deployer }],
      [],
      [],
    ]);
    const answer = await rpcRaw(mainnet.info.rpcUrl, "eth_call", [
      { from: deployer, to: mainnet.info.contracts.router, data },
      "latest",
    ]);
    assert.ok(answer.error, "the call reverts");
    assert.match(answer.error.message, /Only callable by owner/);
    assert.match(String(answer.error.data), /^0x08c379a0/, "revert data is passed on for clients to decode");
  });
});
