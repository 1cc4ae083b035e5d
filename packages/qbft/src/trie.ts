/**
 * Root hash of a Merkle Patricia trie built in one go from key/value pairs (Ethereum yellow paper,
 * appendix D) — enough to compute a genesis state root; no proofs, no updates. NOTE: hand-built
 * because the maintained tries (`@ethereumjs/mpt` and its kin) are asynchronous, and the genesis
 * hash is computed inside durable orchestrator code, which must stay synchronous. The tests check
 * it against `@ethereumjs/mpt` on generated tries and against roots computed by Besu.
 */
import { keccak_256 } from "./crypto.js";
import { rlpEncode, type RlpItem } from "./rlp.js";

/** Root of the empty trie: keccak256(rlp("")). */
export const EMPTY_TRIE_ROOT = keccak_256(rlpEncode(new Uint8Array(0)));

interface NibblePair {
  nibbles: number[];
  value: Uint8Array;
}

function toNibbles(key: Uint8Array): number[] {
  const nibbles: number[] = [];
  for (const byte of key) nibbles.push(byte >> 4, byte & 0x0f);
  return nibbles;
}

/** Hex-prefix encoding of a nibble path with the leaf/extension flag. */
function hexPrefix(nibbles: readonly number[], leaf: boolean): Uint8Array {
  const odd = nibbles.length % 2 === 1;
  const flag = (leaf ? 2 : 0) + (odd ? 1 : 0);
  const padded = odd ? [flag, ...nibbles] : [flag, 0, ...nibbles];
  const out = new Uint8Array(padded.length / 2);
  for (let index = 0; index < out.length; index += 1) out[index] = (padded[2 * index] << 4) | padded[2 * index + 1];
  return out;
}

/** A child reference: nodes under 32 encoded bytes are inlined, larger ones referenced by hash. */
function reference(node: RlpItem): RlpItem {
  const encoded = rlpEncode(node);
  return encoded.length < 32 ? node : keccak_256(encoded);
}

function commonPrefixLength(pairs: readonly NibblePair[], depth: number): number {
  const first = pairs[0].nibbles;
  let length = 0;
  for (;;) {
    const position = depth + length;
    if (position >= first.length) return length;
    const nibble = first[position];
    if (!pairs.every((pair) => pair.nibbles.length > position && pair.nibbles[position] === nibble)) return length;
    length += 1;
  }
}

function buildNode(pairs: readonly NibblePair[], depth: number): RlpItem {
  if (pairs.length === 1) return [hexPrefix(pairs[0].nibbles.slice(depth), true), pairs[0].value];
  const shared = commonPrefixLength(pairs, depth);
  if (shared > 0) {
    return [
      hexPrefix(pairs[0].nibbles.slice(depth, depth + shared), false),
      reference(buildNode(pairs, depth + shared)),
    ];
  }
  const branch: RlpItem[] = [];
  let branchValue: Uint8Array = new Uint8Array(0);
  for (let nibble = 0; nibble < 16; nibble += 1) {
    const children = pairs.filter((pair) => pair.nibbles.length > depth && pair.nibbles[depth] === nibble);
    branch.push(children.length === 0 ? new Uint8Array(0) : reference(buildNode(children, depth + 1)));
  }
  const terminal = pairs.find((pair) => pair.nibbles.length === depth);
  if (terminal !== undefined) branchValue = terminal.value;
  branch.push(branchValue);
  return branch;
}

/** Root hash of the trie holding these entries (keys must be distinct; empty values are absent). */
export function trieRoot(entries: ReadonlyArray<{ key: Uint8Array; value: Uint8Array }>): Uint8Array {
  const pairs = entries
    .filter((entry) => entry.value.length > 0)
    .map((entry) => ({ nibbles: toNibbles(entry.key), value: entry.value }));
  if (pairs.length === 0) return EMPTY_TRIE_ROOT;
  return keccak_256(rlpEncode(buildNode(pairs, 0)));
}
