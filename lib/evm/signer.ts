/**
 * The seam between the phases that send transactions and whatever holds the deployer's key. In
 * Azure (and on the simulated cloud) that is a Key Vault key (lib/evm/key-vault-signer.ts): the
 * private key never leaves the vault, so nothing here ever sees it. Everything that sends a
 * transaction asks a TransactionSigner for the signed bytes and journals them before broadcasting.
 */
import type { TransactionLike } from "ethers";

/** A signed transaction, ready to broadcast. */
export interface SignedTransaction {
  /** The serialized signed transaction (0x-prefixed hex), as eth_sendRawTransaction takes it. */
  raw: string;
  /** Its hash (keccak-256 of raw). */
  hash: string;
}

/** Signs transactions for one account. */
export interface TransactionSigner {
  /** The account's address (EIP-55 checksummed). */
  address(): Promise<string>;
  /** Signs a fully specified transaction (type, chainId, nonce, fees, gasLimit, to/data/value). */
  signTransaction(transaction: TransactionLike<string>): Promise<SignedTransaction>;
}
