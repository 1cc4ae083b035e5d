import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Contract, ContractFactory, Interface, JsonRpcProvider, Wallet } from "ethers";
import { ChainGateway } from "../../src/besu/gateway.js";
import { ccipArtifact } from "../../src/evm/mainnet.js";
import { nodeAt, qbftGenesis } from "./fake-cluster.js";
import { fourValidatorMesh, useBesuWorlds } from "./harness.js";
import { blockNumber, pause, rpc, rpcRaw, waitFor } from "./rpc-client.js";

const setup = useBesuWorlds();

/** Init code that deploys a contract whose every call returns 42. */
const RETURNS_42 = "0x600a600c600039600a6000f3602a60005260206000f3";

describe("Chain 138 EVM behind the simulated nodes", { timeout: 60_000 }, () => {
  it("executes a deployment sent to one node, visible on another, mined only while blocks are produced", async () => {
    const deployer = Wallet.createRandom();
    const env = setup([{ address: deployer.address.toLowerCase(), balance: 10n ** 21n }]);
    fourValidatorMesh(env);
    const [url1, url3] = [await env.url("validator-1"), await env.url("validator-3")];
    await waitFor("blocks", async () => (await blockNumber(url1)) >= 2);
    assert.equal(BigInt((await rpc(url3, "eth_getBalance", [deployer.address, "latest"])) as string), 10n ** 21n);

    const gasPrice = BigInt((await rpc(url1, "eth_gasPrice")) as string);
    const sign = (nonce: number, data: string): Promise<string> =>
      deployer.signTransaction({ chainId: 138, nonce, gasLimit: 200_000, gasPrice, data, type: 0 });
    const deployHash = (await rpc(url1, "eth_sendRawTransaction", [await sign(0, RETURNS_42)])) as string;
    let receipt: { contractAddress: string; blockNumber: string; blockHash: string; status: string } | null = null;
    await waitFor("deployment mined", async () => {
      receipt = (await rpc(url3, "eth_getTransactionReceipt", [deployHash])) as typeof receipt;
      return receipt !== null;
    });
    assert.ok(receipt !== null);
    const mined: { contractAddress: string; blockNumber: string; blockHash: string; status: string } = receipt;
    assert.equal(mined.status, "0x1");
    assert.ok(Number(mined.blockNumber) <= (await blockNumber(url3)), "the receipt's block is on the simulated chain");
    const block = (await rpc(url3, "eth_getBlockByNumber", [mined.blockNumber, false])) as {
      hash: string;
      transactions: string[];
    };
    assert.equal(block.hash, mined.blockHash, "the receipt names the simulated chain's block");
    assert.deepEqual(block.transactions, [deployHash]);
    assert.notEqual(await rpc(url1, "eth_getCode", [mined.contractAddress, "latest"]), "0x");
    assert.equal(
      BigInt((await rpc(url1, "eth_call", [{ to: mined.contractAddress, data: "0x" }, "latest"])) as string),
      42n,
    );

    env.world.setHalted(true);
    await pause(200);
    const haltedAt = await blockNumber(url1);
    const secondHash = (await rpc(url1, "eth_sendRawTransaction", [await sign(1, RETURNS_42)])) as string;
    await pause(1000);
    assert.equal(await blockNumber(url1), haltedAt, "a halted chain produces no block");
    assert.equal(await rpc(url3, "eth_getTransactionReceipt", [secondHash]), null, "nothing is mined while halted");
    env.world.setHalted(false);
    await waitFor(
      "mined after resume",
      async () => (await rpc(url3, "eth_getTransactionReceipt", [secondHash])) !== null,
      30_000,
    );
  });

  it("deploys and configures Chainlink's real Router with ethers through the Chain 138 RPC URL; reverts read as Besu's", async () => {
    const deployer = Wallet.createRandom();
    const env = setup([{ address: deployer.address.toLowerCase(), balance: 10n ** 21n }]);
    const validator = nodeAt("router-validator", "10.244.0.10");
    env.clusters.add({
      cluster: "aks-eastus",
      region: "eastus",
      name: "router",
      argv: [
        "--genesis-file=/g/genesis.json",
        "--node-private-key-file=/k/key",
        "--rpc-http-enabled",
        "--host-allowlist=*",
      ],
      files: {
        "/g/genesis.json": qbftGenesis([validator.identity], { blockPeriodSeconds: 1 }),
        "/k/key": validator.key,
      },
    });
    const gateway = await ChainGateway.start(() => env.world);
    const provider = new JsonRpcProvider(gateway.chainUrl(138), 138, { staticNetwork: true, pollingInterval: 50 });
    try {
      const { abi, bytecode } = ccipArtifact("latest", "router");
      const deployed = await new ContractFactory(abi, bytecode, deployer.connect(provider)).deploy(
        deployer.address,
        deployer.address,
      );
      await deployed.waitForDeployment();
      const routerAddress = await deployed.getAddress();
      const router = new Contract(routerAddress, abi, deployer.connect(provider));
      assert.equal(await router.getFunction("typeAndVersion")(), "Router 1.2.0");
      const selector = 5009297550715157269n;
      const update = (await router.getFunction("applyRampUpdates")(
        [{ destChainSelector: selector, onRamp: deployer.address }],
        [],
        [],
      )) as { wait(): Promise<{ status: number } | null> };
      assert.equal((await update.wait())?.status, 1);
      assert.equal(await router.getFunction("isChainSupported")(selector), true);
      const stranger = Wallet.createRandom().address;
      const data = new Interface(abi).encodeFunctionData("applyRampUpdates", [
        [{ destChainSelector: 1n, onRamp: stranger }],
        [],
        [],
      ]);
      const reverted = await rpcRaw(gateway.chainUrl(138), "eth_call", [
        { from: stranger, to: routerAddress, data },
        "latest",
      ]);
      assert.deepEqual(
        [reverted.error?.code, reverted.error?.message],
        [-32000, "Execution reverted: Only callable by owner"],
      );
    } finally {
      provider.destroy();
      await gateway.close();
    }
  });

  it("finds logs by the network's block numbers", async () => {
    const deployer = Wallet.createRandom();
    const env = setup([{ address: deployer.address.toLowerCase(), balance: 10n ** 21n }]);
    const validator = nodeAt("logs-validator", "10.244.0.10");
    env.clusters.add({
      cluster: "aks-eastus",
      region: "eastus",
      name: "logs",
      argv: [
        "--genesis-file=/g/genesis.json",
        "--node-private-key-file=/k/key",
        "--rpc-http-enabled",
        "--host-allowlist=*",
      ],
      files: {
        "/g/genesis.json": qbftGenesis([validator.identity], { blockPeriodSeconds: 1 }),
        "/k/key": validator.key,
      },
    });
    const url = await env.url("logs");
    await waitFor("a few blocks before the EVM starts", async () => (await blockNumber(url)) >= 3);
    const { abi, bytecode } = ccipArtifact("v1_6_2", "factory_burn_mint_erc20");
    const data =
      bytecode + new Interface(abi).encodeDeploy(["Token", "TKN", 18, 1000n, 1000n, deployer.address]).slice(2);
    const gasPrice = BigInt((await rpc(url, "eth_gasPrice")) as string);
    const hash = (await rpc(url, "eth_sendRawTransaction", [
      await deployer.signTransaction({ chainId: 138, nonce: 0, gasLimit: 8_000_000, gasPrice, data, type: 0 }),
    ])) as string;
    let receipt: { blockNumber: string; blockHash: string; contractAddress: string } | null = null;
    await waitFor("token deployed", async () => {
      receipt = (await rpc(url, "eth_getTransactionReceipt", [hash])) as typeof receipt;
      return receipt !== null;
    });
    assert.ok(receipt !== null);
    const mined: { blockNumber: string; blockHash: string; contractAddress: string } = receipt;
    assert.ok(Number(mined.blockNumber) > 3, "mined in a block produced after it was sent");
    const inRange = (await rpc(url, "eth_getLogs", [
      { address: mined.contractAddress, fromBlock: mined.blockNumber, toBlock: mined.blockNumber },
    ])) as { blockNumber: string; blockHash: string }[];
    assert.ok(inRange.length > 0, "the pre-mint Transfer is found in its block");
    assert.ok(inRange.every((log) => log.blockNumber === mined.blockNumber && log.blockHash === mined.blockHash));
    const before = (await rpc(url, "eth_getLogs", [
      {
        address: mined.contractAddress,
        fromBlock: "earliest",
        toBlock: `0x${(Number(mined.blockNumber) - 1).toString(16)}`,
      },
    ])) as unknown[];
    assert.deepEqual(before, []);
  });

  it("honours the genesis alloc", async () => {
    const env = setup();
    const validator = nodeAt("alloc-validator", "10.244.0.10");
    const funded = Wallet.createRandom().address.toLowerCase();
    env.clusters.add({
      cluster: "aks-eastus",
      region: "eastus",
      name: "alloc",
      argv: [
        "/opt/besu/bin/besu",
        "--genesis-file=/g/genesis.json",
        "--node-private-key-file=/k/key",
        "--rpc-http-enabled",
        "--host-allowlist=*",
      ],
      files: {
        "/g/genesis.json": qbftGenesis([validator.identity], { alloc: { [funded.slice(2)]: { balance: "0x3e8" } } }),
        "/k/key": validator.key,
      },
    });
    const url = await env.url("alloc");
    assert.equal(await rpc(url, "eth_getBalance", [funded, "latest"]), "0x3e8");
    assert.equal(await rpc(url, "eth_getBalance", [funded, "earliest"]), "0x3e8");
  });
});
