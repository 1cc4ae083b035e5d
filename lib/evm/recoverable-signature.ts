/**
 * From a plain ECDSA signature (r‖s, 64 bytes, as Key Vault's ES256K returns it) to an Ethereum
 * one. Key Vault neither normalises s nor returns the recovery id, and Ethereum needs both: since
 * EIP-2 a transaction with s above n/2 is invalid, so such an s is replaced by n − s (the same
 * signature, mirrored); and of the two public keys a signature may recover to, the recovery id
 * (yParity) must pick the signer's, so both are tried and the one that recovers the expected
 * address is kept. The curve order and parsing come from @noble/curves (via @besu-fleet/qbft) and
 * recovery from ethers: no curve arithmetic is written here.
 */
import { getAddress, recoverAddress, Signature, toBeHex } from "ethers";
import { secp256k1 } from "@besu-fleet/qbft";

const CURVE_ORDER = secp256k1.Point.CURVE().n;

/**
 * The Ethereum signature (low s, with yParity) of `digest` that recovers to `address`. Throws
 * when neither recovery id does: the signature was not made by that address's key (a wrong key
 * version, or a key that is not the configured one).
 */
export function ethereumSignature(rawSignature: Uint8Array, digest: string, address: string): Signature {
  if (rawSignature.length !== 64) throw new Error(`an ES256K signature is 64 bytes (r‖s), got ${rawSignature.length}`);
  const parsed = secp256k1.Signature.fromBytes(rawSignature, "compact");
  const s = parsed.hasHighS() ? CURVE_ORDER - parsed.s : parsed.s;
  const expected = getAddress(address);
  for (const yParity of [0, 1] as const) {
    const candidate = Signature.from({ r: toBeHex(parsed.r, 32), s: toBeHex(s, 32), yParity });
    if (recoverAddress(digest, candidate) === expected) return candidate;
  }
  throw new Error(`the signature does not recover to ${expected}: it was not made by that address's key`);
}
