import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

  it("drops the old deployer key from a data directory written before the deployer moved into Key Vault", () => {
    const legacyDir = mkdtempSync(join(tmpdir(), "besu-fleet-legacy-accounts-"));
    try {
      const legacy = { deployer: Wallet.createRandom(), chainlinkOwner: Wallet.createRandom() };
      const account = (wallet: { address: string; privateKey: string }): DevAccounts["chainlinkOwner"] => ({
        address: wallet.address.toLowerCase(),
        privateKey: wallet.privateKey,
      });
      mkdirSync(join(legacyDir, "besu"));
      const file = join(legacyDir, "besu", "dev-accounts.json");
      writeFileSync(
        file,
        JSON.stringify({ deployer: account(legacy.deployer), chainlinkOwner: account(legacy.chainlinkOwner) }),
      );
      assert.deepEqual(loadOrCreateDevAccounts(legacyDir), { chainlinkOwner: account(legacy.chainlinkOwner) });
      assert.doesNotMatch(readFileSync(file, "utf8"), new RegExp(legacy.deployer.privateKey.slice(2), "i"));
    } finally {
      rmSync(legacyDir, { recursive: true, force: true });
    }
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

  it("answers a method it does not serve with -32601, as Ethereum nodes do, so a client does not retry it", async () => {
    const answer = await rpcRaw(mainnet.info.rpcUrl, "qbft_getValidatorsByBlockNumber", ["latest"]);
    assert.equal(answer.error?.code, -32601, JSON.stringify(answer));
    assert.match(answer.error?.message ?? "", /does not exist\/is not available/);
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
