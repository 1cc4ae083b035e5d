/**
 * The one place where the configuration becomes the deployer's TransactionSigner. In Azure and on
 * the simulated cloud that is a Key Vault key named by `BESU_FLEET_DEPLOYER_KEY_ID` (its private
 * key never leaves the vault); without it the on-chain phases cannot sign and say so.
 */
import { ConfigError } from "../config.js";
import type { TransactionSigner } from "./signer.js";

/** The app setting naming the deployer's Key Vault key (its key identifier URL). */
export const DEPLOYER_KEY_ENV = "BESU_FLEET_DEPLOYER_KEY_ID";

/** The deployer's signer for a configuration; throws a ConfigError naming what is missing. */
export function deployerSigner(env: NodeJS.ProcessEnv): TransactionSigner {
  const keyId = env[DEPLOYER_KEY_ENV]?.trim();
  if (keyId === undefined || keyId === "")
    throw new ConfigError(
      `environment variable ${DEPLOYER_KEY_ENV} is not set (the Key Vault key that signs the deployer's transactions)`,
    );
  throw new ConfigError(`${DEPLOYER_KEY_ENV} is set, but this build has no Key Vault signer yet`);
}
