/**
 * The simulator's development accounts that are not the operator's: generated once per data
 * directory, kept in a file only the owner can read, never committed. (The operator's deployer is
 * a key of the simulated Key Vault, local/cloud/src/keyvault/, and never leaves it.)
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { secp256k1 } from "@besu-fleet/qbft";
import { addressFromPublicKey, toHex } from "@besu-fleet/qbft";

const accountSchema = z.object({ address: z.string(), privateKey: z.string() });
const fileSchema = z.object({
  /** Owns the Chainlink contracts on the mainnet stand-in (the operator is not their owner). */
  chainlinkOwner: accountSchema,
});

/** A development account. */
export type DevAccount = z.infer<typeof accountSchema>;
export type DevAccounts = z.infer<typeof fileSchema>;

function newAccount(): DevAccount {
  let key: Uint8Array;
  do key = randomBytes(32);
  while (!secp256k1.utils.isValidSecretKey(key));
  const publicKey = secp256k1.getPublicKey(key, false).subarray(1);
  return { address: addressFromPublicKey(toHex(publicKey)), privateKey: toHex(key) };
}

/** The file holding the accounts of a data directory. */
export function devAccountsFile(dataDir: string): string {
  return join(dataDir, "besu", "dev-accounts.json");
}

/** Loads the data directory's development accounts, creating them on first use. */
export function loadOrCreateDevAccounts(dataDir: string): DevAccounts {
  const file = devAccountsFile(dataDir);
  if (existsSync(file)) return fileSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  const accounts: DevAccounts = { chainlinkOwner: newAccount() };
  mkdirSync(join(dataDir, "besu"), { recursive: true });
  writeFileSync(file, `${JSON.stringify(accounts, null, 2)}\n`, { mode: 0o600 });
  return accounts;
}
