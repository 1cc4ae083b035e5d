/**
 * The on-chain activities against the simulated cloud's mainnet stand-in (Chainlink's contracts
 * deployed from the real bytecode), signing with the simulated Key Vault's deployer key and
 * journaling in Azurite: a CREATE2 deployment on a chain that lacks the factory (its pre-signed
 * deployment first), a revert decoded to its reason, a spending cap refused before sending.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { keccak256 } from "ethers";
import { createOnChainActivities } from "../../activities/onchain-handlers.js";
import type { OnChainContext } from "../../activities/onchain-contracts.js";
import { validateSpec } from "../../lib/domain/spec-validation.js";
import { create2Address, CREATE2_FACTORY } from "../../lib/evm/create2.js";
import { initCode, loadArtifact } from "../../lib/evm/artifacts.js";
import { JournalStore } from "../../lib/evm/journal-store.js";
import type { TransactionSigner } from "../../lib/evm/signer.js";
import { signedEntry } from "../../lib/domain/tx-journal.js";
import { EvmRpc } from "../../lib/evm/rpc.js";
import { startChainCloud, type ChainCloud } from "./chain-harness.js";

const SPEC_DOCUMENT = "rollouts/adapter/spec.json";
const CHAIN138_SELECTOR = "13813813813813813813";
const RECEIVER = { package: "@chainlink/contracts-ccip", contract: "latest/log_message_data_receiver" };

let chains: ChainCloud;
let activities: ReturnType<typeof createOnChainActivities>;
let context: OnChainContext;
let mainnet: EvmRpc;
let journal: JournalStore;
let signer: TransactionSigner;

before(async () => {
  chains = await startChainCloud("besu-fleet-onchain-");
  const { documents, mainnet: standIn } = chains;
  signer = chains.signer;
  journal = new JournalStore(documents);
  const validation = validateSpec({
    network: { name: "adapternet" },
    chains: {
      chain138: { chainSelector: CHAIN138_SELECTOR },
      mainnet: { existing: { router: standIn.contracts.router } },
    },
    contracts: {
      mainnet: [
        { name: "receiver", artifact: RECEIVER, salt: "receiver-v1" },
        { name: "second", artifact: RECEIVER, salt: "receiver-v2" },
        { name: "third", artifact: RECEIVER, salt: "receiver-v3" },
        { name: "waveA", artifact: RECEIVER, salt: "receiver-wave-a" },
        { name: "waveB", artifact: RECEIVER, salt: "receiver-wave-b" },
      ],
    },
    ccip: {
      steps: [
        {
          name: "ramps",
          chain: "mainnet",
          contract: "${mainnet.router}",
          check: {
            function: "isChainSupported(uint64) view returns (bool)",
            args: ["${chain138.chainSelector}"],
            equals: true,
          },
          send: [
            {
              function: "applyRampUpdates((uint64,address)[],(uint64,address)[],(uint64,address)[])",
              args: [[["${chain138.chainSelector}", "${mainnet.receiver}"]], [], []],
            },
          ],
        },
      ],
    },
    funding: {
      topUps: [{ name: "big", chain: "mainnet", account: "0x00000000000000000000000000000000000000f1", target: "5" }],
      caps: [{ chain: "mainnet", asset: "native", max: "4" }],
    },
  });
  assert.ok(validation.ok, JSON.stringify(!validation.ok && validation.problems));
  await documents.saveDocument(SPEC_DOCUMENT, validation.spec);
  activities = createOnChainActivities({ documents, signer: () => signer, settings: chains.settings });
  context = {
    network: "adapternet",
    rolloutId: "adapter",
    specDocument: SPEC_DOCUMENT,
    deployer: await signer.address(),
    selectors: { chain138: CHAIN138_SELECTOR, mainnet: "5009297550715157269" },
    addresses: { chain138: {}, mainnet: { router: standIn.contracts.router } },
  };
  mainnet = new EvmRpc(standIn.rpcUrl, "mainnet");
});

after(async () => {
  await chains?.close();
});

/** One deployment as a wave of its own, answered as the deployment's progress. */
async function deployOne(name: string) {
  const result = await activities.deployContracts({ context, chain: "mainnet", names: [name] });
  if (!result.ok) return result;
  const [deployment] = result.deployments;
  assert.ok(deployment !== undefined && deployment.name === name, JSON.stringify(result));
  return { ...result, ...deployment };
}

const deployerNonce = async (): Promise<bigint> =>
  mainnet.quantity("eth_getTransactionCount", [context.deployer, "latest"]);

describe("on-chain activities on the mainnet stand-in", () => {
  it("deploys through CREATE2 on a chain without the factory (its pre-signed deployment first), once", async () => {
    const calls: string[] = [];
    let result: Awaited<ReturnType<typeof deployOne>> | undefined;
    for (let call = 0; call < 10; call += 1) {
      result = await deployOne("receiver");
      assert.ok(result.ok, JSON.stringify(result));
      calls.push(result.progress === "done" ? "done" : (result.detail ?? "pending"));
      if (result.progress === "done") break;
    }
    assert.ok(result?.ok === true && result.progress === "done", calls.join(", "));
    // The stand-in mines at once: the factory's funding, its pre-signed deployment and the
    // contract all fit in one call.
    assert.deepEqual(calls, ["done"]);
    assert.notEqual(await mainnet.call("eth_getCode", [CREATE2_FACTORY, "latest"]), "0x", "the factory is there");
    const expected = create2Address("receiver-v1", initCode(loadArtifact(RECEIVER), []));
    assert.equal(result.address, expected);
    assert.equal(result.codeHash, keccak256(String(await mainnet.call("eth_getCode", [expected, "latest"]))));
    context.addresses.mainnet.receiver = expected;

    const nonce = await deployerNonce();
    const again = await deployOne("receiver");
    assert.ok(again.ok && again.progress === "done" && again.address === expected);
    assert.equal(await deployerNonce(), nonce, "a deployment whose code is there sends nothing");
  });

  it("settles entries a crash left 'broadcast' after their transactions were mined, sending nothing twice", async () => {
    // The state a SIGKILL between the receipt and the journal's write leaves behind.
    const mined = (await journal.list("adapternet")).filter(({ entry }) => entry.state === "mined");
    assert.deepEqual(
      mined.map(({ entry }) => entry.intent),
      ["deploy receiver", "fund the CREATE2 factory's one-off deployer"],
    );
    for (const { name, entry } of mined) {
      await journal.write(name, { ...entry, state: "broadcast", mined: undefined });
    }
    const nonce = await deployerNonce();
    const receiver = await deployOne("receiver");
    assert.ok(
      receiver.ok && receiver.progress === "done" && receiver.alreadyPresent === false,
      JSON.stringify(receiver),
    );
    assert.equal(await deployerNonce(), nonce, "the receiver's deployment is not sent again");
    // The next deployment through the factory settles the factory's funding before anything else.
    let second = await deployOne("second");
    for (let call = 0; call < 5 && second.ok && second.progress === "pending"; call += 1)
      second = await deployOne("second");
    assert.ok(second.ok && second.progress === "done", JSON.stringify(second));
    assert.equal(await deployerNonce(), nonce + 1n, "only the second deployment was sent");
    assert.deepEqual(
      (await journal.list("adapternet")).filter(({ entry }) => entry.state !== "mined"),
      [],
      "every entry is settled",
    );
  });

  it("broadcasts an entry a crash left 'signed' (never sent) before anything new, at its own nonce", async () => {
    // The state a SIGKILL between the journal's write and the broadcast leaves behind.
    const nonce = await deployerNonce();
    const recipient = "0x00000000000000000000000000000000000000f3";
    const fields = {
      intent: "a transfer a crash never broadcast",
      chainId: Number(await mainnet.quantity("eth_chainId")),
      sender: context.deployer,
      nonce: Number(nonce),
      to: recipient,
      dataHash: keccak256("0x"),
      value: "1",
      gasLimit: "21000",
    };
    const gasPrice = await mainnet.quantity("eth_gasPrice");
    const signed = await signer.signTransaction({
      type: 0,
      chainId: fields.chainId,
      nonce: fields.nonce,
      gasLimit: 21_000n,
      gasPrice,
      to: recipient,
      data: "0x",
      value: 1n,
    });
    const crashedName = JournalStore.entryName(["adapternet", "adapter", "crashed"]);
    await journal.write(
      crashedName,
      signedEntry(fields, { ...signed, fees: { gasPrice: gasPrice.toString() }, signedAt: new Date().toISOString() }),
    );

    let third = await deployOne("third");
    for (let call = 0; call < 5 && third.ok && third.progress === "pending"; call += 1)
      third = await deployOne("third");
    assert.ok(third.ok && third.progress === "done" && third.alreadyPresent === false, JSON.stringify(third));
    const crashed = await journal.read(crashedName);
    assert.equal(crashed?.state, "mined", JSON.stringify(crashed));
    assert.equal(crashed.mined?.hash, signed.hash, "the journaled bytes were sent, not a new transaction");
    assert.equal(await mainnet.quantity("eth_getBalance", [recipient, "latest"]), 1n);
    assert.equal(await deployerNonce(), nonce + 2n, "the transfer at its nonce, the deployment at the next");
  });

  it("deploys a wave back to back in one call, at consecutive nonces, and reports a re-run from the chain", async () => {
    const nonce = await deployerNonce();
    const wave = await activities.deployContracts({ context, chain: "mainnet", names: ["waveA", "waveB"] });
    assert.ok(wave.ok, JSON.stringify(wave));
    assert.deepEqual(
      wave.deployments.map(({ name, progress, alreadyPresent }) => ({ name, progress, alreadyPresent })),
      [
        { name: "waveA", progress: "done", alreadyPresent: false },
        { name: "waveB", progress: "done", alreadyPresent: false },
      ],
    );
    const nonces = await Promise.all(
      wave.deployments.map(async ({ hash }) =>
        Number(((await mainnet.call("eth_getTransactionByHash", [hash])) as { nonce: string }).nonce),
      ),
    );
    assert.deepEqual(nonces, [Number(nonce), Number(nonce) + 1]);
    const again = await activities.deployContracts({ context, chain: "mainnet", names: ["waveA", "waveB"] });
    assert.ok(again.ok && again.deployments.every((entry) => entry.progress === "done"), JSON.stringify(again));
    assert.deepEqual(
      again.deployments.map(({ hash }) => hash),
      wave.deployments.map(({ hash }) => hash),
      "the journal's transactions, not new ones",
    );
    assert.equal(await deployerNonce(), nonce + 2n);
  });

  it("fails a step whose transaction reverts with the decoded reason, sending nothing", async () => {
    const nonce = await deployerNonce();
    const result = await activities.ensureStep({ context, step: 0 });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.kind === "permanent" && result.code === "Reverted", JSON.stringify(result));
    assert.match(result.message, /Only callable by owner/);
    assert.equal(await deployerNonce(), nonce);
  });

  it("refuses a top-up that would pass its spending cap before sending anything", async () => {
    const nonce = await deployerNonce();
    const result = await activities.topUp({ context, topUp: 0, capRemaining: "4" });
    assert.ok(!result.ok && result.code === "SpendingCapExceeded", JSON.stringify(result));
    assert.match(result.message, /needs 5 of native on mainnet, but only 4 remains/);
    assert.equal(await deployerNonce(), nonce);
  });
});
