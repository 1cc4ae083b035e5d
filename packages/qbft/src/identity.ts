/** Node identity as Besu derives it from a node key: secp256k1 key → public key → enode id → address. */
import { keccak_256, secp256k1 } from "./crypto.js";
import { fromHex, toHex } from "./hex.js";

/** Public identities of a node; none of it is secret. */
export interface NodeIdentity {
  /** Uncompressed public key without the 0x04 prefix: 0x + 128 hex. */
  publicKey: string;
  /** Last 20 bytes of keccak256(public key), 0x lowercase. */
  address: string;
  /** The enode id: the public key as 128 hex characters, no 0x. */
  enodeId: string;
}

/** Parses a node key as Besu writes it (`key.priv`: 0x-hex, optionally with surrounding whitespace). */
export function parseNodePrivateKey(text: string): Uint8Array {
  const key = fromHex(text.trim());
  if (key.length !== 32 || !secp256k1.utils.isValidSecretKey(key)) {
    throw new Error("node key is not a valid 32-byte secp256k1 private key");
  }
  return key;
}

/** Address of a 64-byte public key (0x + 128 hex, or 128 hex). */
export function addressFromPublicKey(publicKey: string): string {
  const bytes = fromHex(publicKey);
  if (bytes.length !== 64) throw new Error("public key must be 64 bytes (uncompressed, no 04 prefix)");
  return toHex(keccak_256(bytes).subarray(12));
}

/** Derives a node's public identities from its private key (0x-hex). */
export function nodeIdentityFromPrivateKey(privateKeyHex: string): NodeIdentity {
  const uncompressed = secp256k1.getPublicKey(parseNodePrivateKey(privateKeyHex), false);
  const publicKey = toHex(uncompressed.subarray(1));
  return { publicKey, address: addressFromPublicKey(publicKey), enodeId: publicKey.slice(2) };
}

/** `enode://<128 hex>@host:port`, with `?discport=` only when discovery uses another port. */
export function enodeUrl(publicKey: string, host: string, port: number, discoveryPort?: number): string {
  const id = publicKey.startsWith("0x") ? publicKey.slice(2) : publicKey;
  if (!/^[0-9a-fA-F]{128}$/.test(id)) throw new Error("enode public key must be 128 hex characters");
  const query = discoveryPort !== undefined && discoveryPort !== port ? `?discport=${discoveryPort}` : "";
  return `enode://${id.toLowerCase()}@${host}:${port}${query}`;
}

/** The parts of an enode URL. */
export interface ParsedEnode {
  /** 128 hex, lowercase. */
  enodeId: string;
  host: string;
  port: number;
}

/** Parses an enode URL; throws with a Besu-like reason when it is malformed. */
export function parseEnodeUrl(url: string): ParsedEnode {
  const match = /^enode:\/\/([0-9a-fA-F]{128})@([^:/?#\s]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})(\?discport=\d{1,5})?$/.exec(
    url.trim(),
  );
  if (match === null) throw new Error(`Invalid enode URL syntax '${url}'`);
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw new Error(`Invalid enode URL port in '${url}'`);
  return { enodeId: match[1].toLowerCase(), host: match[2], port };
}

/**
 * Signs a 32-byte digest with a node key and returns the 65-byte r‖s‖v form used for QBFT
 * committer seals (v = recovery id 0/1).
 */
export function signSeal(privateKeyHex: string, digest: Uint8Array): string {
  const recovered = secp256k1.sign(digest, parseNodePrivateKey(privateKeyHex), { prehash: false, format: "recovered" });
  // noble puts the recovery byte first; Besu's SECPSignature encoding puts it last.
  const seal = new Uint8Array(65);
  seal.set(recovered.subarray(1), 0);
  seal[64] = recovered[0];
  return toHex(seal);
}

/** Recovers the address that produced a seal over a digest. */
export function recoverSealAddress(seal: string, digest: Uint8Array): string {
  const bytes = fromHex(seal);
  if (bytes.length !== 65) throw new Error("seal must be 65 bytes");
  const recovered = new Uint8Array(65);
  recovered[0] = bytes[64];
  recovered.set(bytes.subarray(0, 64), 1);
  const publicKey = secp256k1.recoverPublicKey(recovered, digest, { prehash: false });
  const uncompressed = secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return addressFromPublicKey(toHex(uncompressed.subarray(1)));
}
