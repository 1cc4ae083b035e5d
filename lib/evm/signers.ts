/**
 * The one place where the configuration becomes the deployer's TransactionSigner: the Key Vault
 * key named by `BESU_FLEET_DEPLOYER_KEY_ID` (lib/evm/key-vault-signer.ts; its private key never
 * leaves the vault). Without it the on-chain phases cannot sign, and their first activity says so.
 */
import { ConfigError, DEPLOYER_KEY_ID_ENV, type AppConfig } from "../config.js";
import { deployerSigner } from "./key-vault-signer.js";
import type { TransactionSigner } from "./signer.js";

/** The deployer's signer for a configuration, built once; throws a ConfigError when no key is configured. */
export function signerFor(config: AppConfig): () => TransactionSigner {
  let signer: TransactionSigner | undefined;
  return () => {
    if (config.deployerKey === undefined)
      throw new ConfigError(
        `environment variable ${DEPLOYER_KEY_ID_ENV} is not set (the Key Vault key that signs the deployer's transactions)`,
      );
    signer ??= deployerSigner(config.deployerKey);
    return signer;
  };
}
