/** Hex helpers shared by the QBFT codecs; Ethereum tooling writes byte strings as 0x-prefixed hex. */
import { bytesToHex, hexToBytes } from "./crypto.js";

/** Parses 0x-prefixed (or bare) hex into bytes; throws on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  const body = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
    throw new Error(`not a hex byte string: ${hex.length > 20 ? `${hex.slice(0, 20)}…` : hex}`);
  }
  return hexToBytes(body.toLowerCase());
}

/** Formats bytes as lowercase 0x-prefixed hex. */
export function toHex(bytes: Uint8Array): string {
  return `0x${bytesToHex(bytes)}`;
}

/** Formats a non-negative integer as an Ethereum JSON-RPC quantity (`0x0`, `0x1a`). */
export function toQuantity(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}
