/**
 * What a leaked secret would look like in storage, for the end-to-end tests that scan for one:
 * kubeconfig and credential markers, and the simulated Key Vault's private keys.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

/** Kubeconfig and credential markers, also inside JSON-escaped strings. */
export const CREDENTIAL_MARKERS: { name: string; pattern: RegExp }[] = [
  { name: "kubeconfig client-key-data", pattern: /client-key-data/i },
  { name: "kubeconfig client-certificate-data", pattern: /client-certificate-data/i },
  { name: "kubeconfig certificate-authority-data", pattern: /certificate-authority-data/i },
  { name: "a token field", pattern: /\\*"(?:access_)?token\\*"\s*:/i },
  { name: "a PEM private key", pattern: /PRIVATE KEY-----/ },
];

/**
 * The private keys of the simulated Key Vault whose data is in `cloudDir` (the deployer's among
 * them), read from its store: the only place they may be. Hex and base64 are what a leak would
 * look like (the vault's JWK `d` is base64url).
 */
export function vaultPrivateKeys(cloudDir: string): { owner: string; hex: string; base64: string }[] {
  const store = z
    .object({ keys: z.record(z.string(), z.array(z.object({ d: z.string() }))) })
    .parse(JSON.parse(fs.readFileSync(path.join(cloudDir, "keyvault", "keys.json"), "utf8")));
  return Object.entries(store.keys).flatMap(([name, versions]) =>
    versions.map(({ d }) => ({
      owner: `Key Vault key ${name}`,
      hex: d,
      base64: Buffer.from(d, "hex").toString("base64url"),
    })),
  );
}
