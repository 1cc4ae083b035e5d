/**
 * The simulated vault's keys: EC keys on secp256k1 (Key Vault's `P-256K`), kept in
 * `<dataDir>/keyvault/keys.json` (mode 0600 in a 0700 folder, never committed) because, as in a
 * real vault, the private key lives only with the vault: clients get the public JWK and signatures,
 * never `d`. Every create or import adds a version; reads without a version take the newest.
 * Signing uses @noble/curves (re-exported by @besu-fleet/qbft) with a random nonce and without
 * low-s normalisation, as Key Vault's ES256K does, so clients must normalise s themselves.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { addressFromPublicKey, fromHex, secp256k1, toHex } from "@besu-fleet/qbft";

/** The one key type and curve the simulated vault supports (what an Ethereum account needs). */
export const SUPPORTED_CURVE = "P-256K";
/** Key operations the vault allows on an EC key, the default when a create names none. */
export const EC_KEY_OPERATIONS = ["sign", "verify"] as const;

const versionSchema = z.object({
  version: z.string(),
  /** Private scalar, hex without 0x. */
  d: z.string(),
  keyOps: z.array(z.string()),
  /** Unix seconds, as Key Vault's attributes carry them. */
  created: z.number(),
  tags: z.record(z.string(), z.string()),
});
const fileSchema = z.object({ keys: z.record(z.string(), z.array(versionSchema)) });
type StoredVersion = z.infer<typeof versionSchema>;

/** One version of a key as clients may see it: public parts only. */
export interface PublicKeyVersion {
  name: string;
  version: string;
  keyOps: readonly string[];
  created: number;
  tags: Readonly<Record<string, string>>;
  /** Big-endian 32-byte coordinates of the public point. */
  x: Uint8Array;
  y: Uint8Array;
  /** The key's Ethereum address (lower-case hex), for the simulator's own bookkeeping (funded accounts). */
  address: string;
}

/** Options of a new key or an imported one. */
export interface KeyOptions {
  keyOps?: readonly string[];
  tags?: Record<string, string>;
}

export class VaultKeys {
  private readonly file: string;
  private readonly keys: Map<string, StoredVersion[]>;

  constructor(dataDir: string) {
    const folder = join(dataDir, "keyvault");
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    this.file = join(folder, "keys.json");
    const stored = existsSync(this.file) ? fileSchema.parse(JSON.parse(readFileSync(this.file, "utf8"))) : { keys: {} };
    this.keys = new Map(Object.entries(stored.keys));
  }

  /** Creates a new version of `name` with a fresh random private key. */
  create(name: string, options: KeyOptions = {}): PublicKeyVersion {
    return this.addVersion(name, secp256k1.utils.randomSecretKey(), options);
  }

  /** Adds a version of `name` holding a private key given by the caller (Key Vault's import). */
  importKey(name: string, privateKey: Uint8Array, options: KeyOptions = {}): PublicKeyVersion {
    if (!secp256k1.utils.isValidSecretKey(privateKey)) throw new RangeError("not a valid secp256k1 private key");
    return this.addVersion(name, privateKey, options);
  }

  /** The key's newest version, or the one named; undefined when there is no such key or version. */
  get(name: string, version?: string): PublicKeyVersion | undefined {
    const stored = this.find(name, version);
    return stored === undefined ? undefined : publicView(name, stored);
  }

  /** Names of every key, in creation order. */
  names(): string[] {
    return [...this.keys.keys()];
  }

  /**
   * ECDSA over `digest` as given (no hashing), r‖s, 64 bytes. The nonce is hedged with fresh
   * randomness and s is left as it comes, high or low, as Key Vault answers ES256K.
   */
  sign(name: string, version: string | undefined, digest: Uint8Array): Uint8Array {
    const stored = this.find(name, version);
    if (stored === undefined) throw new RangeError(`no key ${name}${version === undefined ? "" : `/${version}`}`);
    return secp256k1.sign(digest, fromHex(stored.d), { prehash: false, lowS: false, extraEntropy: true });
  }

  private find(name: string, version: string | undefined): StoredVersion | undefined {
    const versions = this.keys.get(name);
    if (versions === undefined) return undefined;
    return version === undefined ? versions.at(-1) : versions.find((entry) => entry.version === version);
  }

  private addVersion(name: string, privateKey: Uint8Array, options: KeyOptions): PublicKeyVersion {
    const stored: StoredVersion = {
      version: randomBytes(16).toString("hex"),
      d: toHex(privateKey).slice(2),
      keyOps: [...(options.keyOps ?? EC_KEY_OPERATIONS)],
      created: Math.floor(Date.now() / 1000),
      tags: { ...options.tags },
    };
    this.keys.set(name, [...(this.keys.get(name) ?? []), stored]);
    this.save();
    return publicView(name, stored);
  }

  private save(): void {
    const contents = { keys: Object.fromEntries(this.keys) };
    writeFileSync(this.file, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  }
}

function publicView(name: string, stored: StoredVersion): PublicKeyVersion {
  const point = secp256k1.getPublicKey(fromHex(stored.d), false);
  return {
    name,
    version: stored.version,
    keyOps: stored.keyOps,
    created: stored.created,
    tags: stored.tags,
    x: point.subarray(1, 33),
    y: point.subarray(33, 65),
    address: addressFromPublicKey(toHex(point.subarray(1))),
  };
}
