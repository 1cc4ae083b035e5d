/**
 * Deterministic deployment through the CREATE2 factory every EVM tool knows
 * (0x4e59b44847b379578588920cA78FbF26c0B4956C, Arachnid's "deterministic deployment proxy"): the
 * address depends only on the factory, the salt and the init code, so it is the same on every
 * chain and "already deployed" is a code check. A chain without the factory gets it from its
 * pre-signed deployment: a transaction without chain id (pre-EIP-155) from a one-off account
 * nobody holds the key of, which the deployer funds first. Besu accepts such transactions unless
 * `--strict-tx-replay-protection-enabled` is set.
 */
import { concat, getCreate2Address, id, keccak256 } from "ethers";

export const CREATE2_FACTORY = "0x4e59b44847b379578588920cA78FbF26c0B4956C";

/** The factory's pre-signed deployment (gas price 100 gwei, gas limit 100 000, no chain id). */
export const FACTORY_DEPLOYMENT = {
  signer: "0x3fAB184622Dc19b6109349B94811493BF2a45362",
  /** What the one-off account must hold: gas limit × gas price. */
  cost: 100_000n * 100_000_000_000n,
  raw: "0xf8a58085174876e800830186a08080b853604580600e600039806000f350fe7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf31ba02222222222222222222222222222222222222222222222222222222222222222a02222222222222222222222222222222222222222222222222222222222222222",
} as const;

/** The 32-byte salt of a spec salt (its keccak-256, so any text is a valid salt). */
export const saltOf = (text: string): string => id(text);

/** Where the factory deploys `initCode` with `salt`. */
export function create2Address(salt: string, initCode: string): string {
  return getCreate2Address(CREATE2_FACTORY, saltOf(salt), keccak256(initCode));
}

/** The factory's call data: the 32-byte salt followed by the init code. */
export function factoryCallData(salt: string, initCode: string): string {
  return concat([saltOf(salt), initCode]);
}
