/**
 * How Besu reads the values of a genesis file (`GenesisConfig`, `GenesisReader.ParserUtils`,
 * `GenesisState`). Its dialects differ field by field and a genesis hash depends on them: keys are
 * case-insensitive; `timestamp`, `gasLimit` and `baseFeePerGas` go through Java's `Long.decode`
 * (decimal, `0x`/`#` hex, a leading `0` means octal); `nonce`, `difficulty` and the blob gas
 * fields are hexadecimal with or without `0x`, so `"nonce": "10"` is sixteen; balances are hex
 * with `0x`, decimal without; hashes and addresses are left-padded to their size.
 */
import { fromHex } from "./hex.js";

/** A genesis that Besu would refuse to start with; the message reads like Besu's. */
export class GenesisError extends Error {
  override name = "GenesisError";
}

const MAX_LONG = 2n ** 63n - 1n;
const MAX_UNSIGNED_LONG = 2n ** 64n - 1n;

function invalid(field: string, value: unknown): GenesisError {
  return new GenesisError(`Invalid genesis file: ${field} has an invalid value '${String(value)}'`);
}

/** The JSON value as the text Besu's Jackson reader would give for it (numbers as decimal). */
function asText(value: string | number): string {
  return typeof value === "number" ? String(value) : value;
}

/** Every object key lowercased, at every depth, as Besu normalises a genesis before reading it. */
export function lowercaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowercaseKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.toLowerCase(), lowercaseKeys(inner)]));
}

/** Java's `Long.decode`: `timestamp`, `gasLimit`, `baseFeePerGas`. */
export function decodeLong(value: string | number, field: string): bigint {
  const text = asText(value);
  let parsed: bigint;
  if (/^(0x|0X|#)[0-9a-fA-F]+$/.test(text)) parsed = BigInt(`0x${text.replace(/^(0x|0X|#)/, "")}`);
  else if (/^0[0-7]+$/.test(text)) parsed = BigInt(`0o${text.slice(1)}`);
  else if (/^\d+$/.test(text)) parsed = BigInt(text);
  else throw invalid(field, value);
  if (parsed > MAX_LONG) throw invalid(field, value);
  return parsed;
}

/** Hexadecimal with or without `0x`, at most `maximum`: `nonce`, `difficulty`, blob gas fields. */
export function hexQuantity(value: string | number, field: string, maximum = MAX_UNSIGNED_LONG): bigint {
  const text = asText(value);
  const digits = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]+$/.test(digits)) throw invalid(field, value);
  const parsed = BigInt(`0x${digits}`);
  if (parsed > maximum) throw invalid(field, value);
  return parsed;
}

/** An account balance: hexadecimal with `0x`, decimal without. */
export function balanceQuantity(value: string | number, field: string): bigint {
  const text = asText(value);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return BigInt(text);
  if (/^\d+$/.test(text)) return BigInt(text);
  throw invalid(field, value);
}

/** A decimal or `0x`-hex quantity (`chainId`). */
export function plainQuantity(value: string | number, field: string): bigint {
  const text = asText(value).trim();
  if (/^0x[0-9a-fA-F]+$/.test(text) || /^\d+$/.test(text)) return BigInt(text);
  throw invalid(field, value);
}

/** Hex bytes (even length, `0x` optional). */
export function hexBytes(hex: string, field: string): Uint8Array {
  try {
    return fromHex(hex);
  } catch {
    throw new GenesisError(`Invalid genesis file: ${field} is not hex`);
  }
}

/** Hex of at most `length` bytes, left-padded with zeros to exactly `length` (an odd nibble is allowed). */
export function paddedBytes(hex: string, length: number, field: string): Uint8Array {
  const digits = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  const bytes = hexBytes(digits.length % 2 === 0 ? digits : `0${digits}`, field);
  if (bytes.length > length) throw new GenesisError(`Invalid genesis file: ${field} is longer than ${length} bytes`);
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}
