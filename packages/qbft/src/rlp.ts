/**
 * Recursive Length Prefix encoding (Ethereum yellow paper, appendix B): the serialisation of
 * QBFT extraData, block headers and votes. Decoding is strict (canonical lengths, no trailing
 * bytes) because Besu rejects non-canonical input too.
 */

/** An RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | RlpItem[];

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Minimal big-endian bytes of a non-negative integer; zero is the empty string (an RLP "scalar"). */
export function encodeScalar(value: number | bigint): Uint8Array {
  let remaining = BigInt(value);
  if (remaining < 0n) throw new Error("RLP scalars are non-negative");
  const bytes: number[] = [];
  while (remaining > 0n) {
    bytes.unshift(Number(remaining & 0xffn));
    remaining >>= 8n;
  }
  return Uint8Array.from(bytes);
}

/** Reads a big-endian scalar; rejects leading zero bytes like Besu's `readIntScalar`. */
export function decodeScalar(bytes: Uint8Array): bigint {
  if (bytes.length > 0 && bytes[0] === 0) throw new Error("RLP scalar has a leading zero byte");
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function lengthPrefix(length: number, shortBase: number): Uint8Array {
  if (length <= 55) return Uint8Array.of(shortBase + length);
  const lengthBytes = encodeScalar(length);
  return concat([Uint8Array.of(shortBase + 55 + lengthBytes.length), lengthBytes]);
}

/** Encodes an item as RLP bytes. */
export function rlpEncode(item: RlpItem): Uint8Array {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < 0x80) return item;
    return concat([lengthPrefix(item.length, 0x80), item]);
  }
  const payload = concat(item.map(rlpEncode));
  return concat([lengthPrefix(payload.length, 0xc0), payload]);
}

interface Decoded {
  item: RlpItem;
  end: number;
}

function readLength(bytes: Uint8Array, start: number, lengthOfLength: number): number {
  if (start + lengthOfLength > bytes.length) throw new Error("RLP length runs past the input");
  const lengthBytes = bytes.subarray(start, start + lengthOfLength);
  if (lengthBytes[0] === 0) throw new Error("RLP length has a leading zero byte");
  const length = Number(decodeScalar(lengthBytes));
  if (length <= 55) throw new Error("RLP long form used for a short length");
  return length;
}

function decodeAt(bytes: Uint8Array, offset: number): Decoded {
  if (offset >= bytes.length) throw new Error("RLP input ends early");
  const prefix = bytes[offset];
  if (prefix < 0x80) return { item: bytes.subarray(offset, offset + 1), end: offset + 1 };
  if (prefix < 0xc0) {
    let start: number;
    let length: number;
    if (prefix <= 0xb7) {
      start = offset + 1;
      length = prefix - 0x80;
      if (length === 1 && start < bytes.length && bytes[start] < 0x80) {
        throw new Error("RLP single byte below 0x80 must not be length-prefixed");
      }
    } else {
      const lengthOfLength = prefix - 0xb7;
      length = readLength(bytes, offset + 1, lengthOfLength);
      start = offset + 1 + lengthOfLength;
    }
    if (start + length > bytes.length) throw new Error("RLP string runs past the input");
    return { item: bytes.subarray(start, start + length), end: start + length };
  }
  let start: number;
  let length: number;
  if (prefix <= 0xf7) {
    start = offset + 1;
    length = prefix - 0xc0;
  } else {
    const lengthOfLength = prefix - 0xf7;
    length = readLength(bytes, offset + 1, lengthOfLength);
    start = offset + 1 + lengthOfLength;
  }
  const end = start + length;
  if (end > bytes.length) throw new Error("RLP list runs past the input");
  const items: RlpItem[] = [];
  let cursor = start;
  while (cursor < end) {
    const child = decodeAt(bytes, cursor);
    if (child.end > end) throw new Error("RLP list item runs past its list");
    items.push(child.item);
    cursor = child.end;
  }
  return { item: items, end };
}

/** Decodes exactly one RLP item; trailing bytes are an error. */
export function rlpDecode(bytes: Uint8Array): RlpItem {
  const decoded = decodeAt(bytes, 0);
  if (decoded.end !== bytes.length) throw new Error("RLP input has trailing bytes");
  return decoded.item;
}
