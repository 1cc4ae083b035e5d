/**
 * The hand-built trie root and genesis state root against the maintained, asynchronous
 * `@ethereumjs/mpt` on generated inputs: keys sharing long prefixes and keys that are prefixes of
 * others (branch values, extensions), values around the 32-byte inlining threshold, and whole
 * genesis states with code and storage. A seeded generator keeps every run the same.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { genesisMPTStateRoot, MerklePatriciaTrie } from "@ethereumjs/mpt";
import { genesisStateRoot, toHex, toQuantity, trieRoot, type GenesisAccount } from "../src/index.js";

/** mulberry32: a small deterministic generator, so a failure names a case that can be replayed. */
function generator(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) % below;
  };
}

/** Bytes drawn from a few values only, so that generated keys share prefixes. */
function bytes(next: (below: number) => number, length: number, alphabet?: readonly number[]): Uint8Array {
  return Uint8Array.from({ length }, () => (alphabet === undefined ? next(256) : alphabet[next(alphabet.length)]));
}

async function oracleRoot(entries: ReadonlyArray<{ key: Uint8Array; value: Uint8Array }>): Promise<string> {
  const trie = new MerklePatriciaTrie();
  for (const { key, value } of entries) await trie.put(key, value);
  return toHex(trie.root());
}

describe("trie root against @ethereumjs/mpt", () => {
  it("agrees on 400 generated tries", async () => {
    const next = generator(1);
    for (let round = 0; round < 400; round += 1) {
      const distinct = new Map<string, { key: Uint8Array; value: Uint8Array }>();
      const count = next(40);
      for (let index = 0; index < count; index += 1) {
        const key = bytes(next, 1 + next(6), [0x00, 0x01, 0x10, 0x11, 0xff]);
        distinct.set(toHex(key), { key, value: bytes(next, 1 + next(40)) });
      }
      const entries = [...distinct.values()];
      assert.equal(toHex(trieRoot(entries)), await oracleRoot(entries), `round ${round}`);
    }
  });

  it("agrees on 100 generated genesis states with code and storage", async () => {
    const next = generator(2);
    for (let round = 0; round < 100; round += 1) {
      const accounts: GenesisAccount[] = Array.from({ length: next(12) }, () => {
        const storage: Record<string, string> = {};
        for (let slot = next(6); slot > 0; slot -= 1) {
          const value = bytes(next, 32, [0x00, 0x00, 0x01, 0xab]);
          value[31] = 1 + next(255); // never zero: a zero slot is absent from the trie
          storage[toHex(bytes(next, 32, [0x00, 0x01, 0x22]))] = toHex(value);
        }
        return {
          address: toHex(bytes(next, 20)),
          balance: BigInt(toHex(bytes(next, 1 + next(12)))),
          nonce: BigInt(next(3)),
          code: toHex(bytes(next, next(2) * next(64))),
          storage,
        };
      });
      // genesisMPTStateRoot's own reader: [balance, code, storage pairs, nonce] per address.
      const state = Object.fromEntries(
        accounts.map((account) => [
          account.address,
          [toQuantity(account.balance), account.code, Object.entries(account.storage), toQuantity(account.nonce)],
        ]),
      );
      assert.equal(toHex(genesisStateRoot(accounts)), toHex(await genesisMPTStateRoot(state)), `round ${round}`);
    }
  });
});
