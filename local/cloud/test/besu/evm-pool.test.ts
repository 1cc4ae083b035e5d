/**
 * The simulated chains' EVM (ganache behind local/cloud/src/evm/ganache.ts) takes every
 * transaction a sender sends back to back at consecutive nonces, while blocks are being mined:
 * none is left waiting in the pool for a later transaction of its sender.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { Wallet } from "ethers";
import { startEvm } from "../../src/evm/ganache.js";

describe("EVM pool of the simulated chains", { timeout: 60_000 }, () => {
  it("mines every one of a sender's back-to-back transactions while blocks are mined on a timer", async () => {
    const sender = Wallet.createRandom();
    const { provider } = await startEvm({
      chainId: 138,
      gasLimit: "0x1c9c380",
      accounts: [{ address: sender.address, balance: 10n ** 21n }],
    });
    const request = (method: string, params: unknown[] = []) => provider.request({ method, params });
    // As Chain 138 runs it (network-evm.ts): no instamining, a block whenever the network makes one.
    await request("miner_stop");
    let mining = true;
    const miner = (async () => {
      while (mining) {
        await request("evm_mine", [{ blocks: 1 }]);
        await sleep(5);
      }
    })();
    try {
      const gasPrice = BigInt(String(await request("eth_gasPrice")));
      let nonce = 0;
      for (let round = 0; round < 10; round++) {
        const hashes: string[] = [];
        for (let index = 0; index < 5; index++) {
          const raw = await sender.signTransaction({
            chainId: 138,
            nonce: nonce++,
            gasLimit: 21_000,
            gasPrice,
            to: sender.address,
            value: 1,
            type: 0,
          });
          hashes.push(String(await request("eth_sendRawTransaction", [raw])));
        }
        // Blocks come every few milliseconds: this is hundreds of blocks even on a loaded machine,
        // while a stranded transaction would wait forever.
        const until = Date.now() + 15_000;
        let unmined = hashes;
        while (unmined.length > 0 && Date.now() < until) {
          const receipts = await Promise.all(unmined.map((hash) => request("eth_getTransactionReceipt", [hash])));
          unmined = unmined.filter((_, index) => receipts[index] === null);
          await sleep(10);
        }
        assert.deepEqual(unmined, [], `round ${round}: every transaction mined`);
      }
    } finally {
      mining = false;
      await miner;
      await provider.disconnect();
    }
  });
});
