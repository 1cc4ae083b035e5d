/**
 * Recursive Length Prefix encoding (Ethereum yellow paper, appendix B), the serialisation of QBFT
 * extraData, block headers and trie nodes, done by the maintained `@ethereumjs/rlp`. Its decoder
 * is strict as Besu's is (non-canonical lengths, a prefixed single byte below 0x80 and trailing
 * bytes are errors); this module adds what it leaves to the caller: empty input is an error, not
 * an empty string, and scalars are checked for leading zeros.
 */
import { RLP } from "@ethereumjs/rlp";
import { bytesToHex, hexToBytes } from "./crypto.js";

/** An RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | RlpItem[];

/** Encodes an item as RLP bytes. */
export function rlpEncode(item: RlpItem): Uint8Array {
  return RLP.encode(item);
}

/** Decodes exactly one RLP item; empty input and trailing bytes are errors. */
export function rlpDecode(bytes: Uint8Array): RlpItem {
  if (bytes.length === 0) throw new Error("RLP input is empty");
  return RLP.decode(bytes);
}

/** Minimal big-endian bytes of a non-negative integer; zero is the empty string (an RLP "scalar"). */
export function encodeScalar(value: number | bigint): Uint8Array {
  const scalar = BigInt(value);
  if (scalar < 0n) throw new Error("RLP scalars are non-negative");
  if (scalar === 0n) return new Uint8Array(0);
  const hex = scalar.toString(16);
  return hexToBytes(hex.length % 2 === 0 ? hex : `0${hex}`);
}

/** Reads a big-endian scalar; rejects leading zero bytes like Besu's `readIntScalar`. */
export function decodeScalar(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  if (bytes[0] === 0) throw new Error("RLP scalar has a leading zero byte");
  return BigInt(`0x${bytesToHex(bytes)}`);
}
