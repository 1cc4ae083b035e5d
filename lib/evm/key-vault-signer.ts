/**
 * The deployer's TransactionSigner over an Azure Key Vault key (EC, curve P-256K): the vault signs
 * the transaction's unsigned hash with ES256K and the private key never leaves it — nothing here,
 * in durable history, a blob or a log ever holds it. The key's public half (KeyClient.getKey) gives
 * the address; the vault's r‖s becomes an Ethereum signature in recoverable-signature.ts; ethers
 * builds and serialises the transaction. One key version is used throughout: an identifier without
 * a version is pinned to the newest version on first use, so the address and every signature agree.
 * Failures are ClassifiedErrors that name the key (never a token): 429, 5xx, resets and timeouts
 * transient (after the SDK's own retries), 401/403/404 permanent with what the operator must fix.
 */
import type { TokenCredential } from "@azure/core-auth";
import { isRestError } from "@azure/core-rest-pipeline";
import {
  CryptographyClient,
  KeyClient,
  parseKeyVaultKeyIdentifier,
  type KeyClientOptions,
  type KeyVaultKey,
} from "@azure/keyvault-keys";
import { computeAddress, getAddress, getBytes, hexlify, Transaction, type TransactionLike } from "ethers";
import { appIdentity, simulatedCloudCredential } from "../azure/identity.js";
import type { DeployerKeyConfig } from "../config.js";
import {
  ClassifiedError,
  classifyHttpStatus,
  classifyNetworkError,
  parseRetryAfter,
  type ErrorClassification,
} from "../errors.js";
import { withDeadline } from "../retry.js";
import { ethereumSignature } from "./recoverable-signature.js";
import type { SignedTransaction, TransactionSigner } from "./signer.js";

/** Each vault call, the SDK's retries included, answers within this or fails as a (transient) timeout. */
const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export interface KeyVaultSignerOptions {
  /** `https://<vault>/keys/<name>[/<version>]`. */
  keyId: string;
  credential: TokenCredential;
  /** PEM of the simulated cloud's CA; Azure needs none. */
  caCertificate?: string;
  /** Skip the check that the challenge's resource matches the vault's host: the simulated vault only. */
  disableChallengeResourceVerification?: boolean;
  /** Overrides of the SDK's retry policy (it retries 429 honouring Retry-After, 5xx and resets). */
  retryOptions?: KeyClientOptions["retryOptions"];
  callTimeoutMs?: number;
}

/** The key version in use, its address and a client bound to it. */
interface BoundKey {
  address: string;
  crypto: CryptographyClient;
}

export class KeyVaultSigner implements TransactionSigner {
  private readonly keyName: string;
  private readonly keyVersion: string | undefined;
  private readonly keys: KeyClient;
  private readonly clientOptions: KeyClientOptions;
  private readonly callTimeoutMs: number;
  private bound: Promise<BoundKey> | undefined;

  constructor(private readonly options: KeyVaultSignerOptions) {
    const { vaultUrl, name, version } = parseKeyVaultKeyIdentifier(options.keyId);
    this.keyName = name;
    this.keyVersion = version === "" ? undefined : version;
    this.clientOptions = {
      ...(options.caCertificate === undefined ? {} : { tlsOptions: { ca: options.caCertificate } }),
      ...(options.disableChallengeResourceVerification === true ? { disableChallengeResourceVerification: true } : {}),
      ...(options.retryOptions === undefined ? {} : { retryOptions: options.retryOptions }),
    };
    this.keys = new KeyClient(vaultUrl, options.credential, this.clientOptions);
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  async address(): Promise<string> {
    return (await this.boundKey()).address;
  }

  async signTransaction(transaction: TransactionLike<string>): Promise<SignedTransaction> {
    const { address, crypto } = await this.boundKey();
    // ethers refuses `from` on an unsigned transaction; it is checked here instead.
    const { from, ...fields } = transaction;
    if (from !== undefined && from !== null && getAddress(from) !== address)
      throw new Error(`transaction from ${from} cannot be signed by Key Vault key ${this.keyName} (${address})`);
    const unsigned = Transaction.from(fields);
    if (unsigned.signature !== null) throw new Error("the transaction is already signed");
    const digest = unsigned.unsignedHash;
    const { result } = await this.call("sign", (abortSignal) =>
      crypto.sign("ES256K", getBytes(digest), { abortSignal }),
    );
    unsigned.signature = ethereumSignature(result, digest, address);
    return { raw: unsigned.serialized, hash: unsigned.hash ?? "" };
  }

  /** Reads the key once (again after a failure): its address and a client for its version. */
  private boundKey(): Promise<BoundKey> {
    this.bound ??= this.bind().catch((error: unknown) => {
      this.bound = undefined;
      throw error;
    });
    return this.bound;
  }

  private async bind(): Promise<BoundKey> {
    const key = await this.call("getKey", (abortSignal) =>
      this.keys.getKey(this.keyName, {
        abortSignal,
        ...(this.keyVersion === undefined ? {} : { version: this.keyVersion }),
      }),
    );
    return {
      address: this.addressOf(key),
      crypto: new CryptographyClient(key, this.options.credential, this.clientOptions),
    };
  }

  private addressOf(key: KeyVaultKey): string {
    const jwk = key.key;
    if (jwk?.kty !== "EC" && jwk?.kty !== "EC-HSM")
      throw new ClassifiedError(`Key Vault key ${this.keyName}`, {
        retryable: false,
        kind: "invalid",
        code: "WrongKeyType",
        message: `key ${this.keyName} is ${jwk?.kty ?? "of no type"}, not an EC key on curve P-256K (create it with --kty EC --curve P-256K)`,
      });
    if (jwk.crv !== "P-256K" || jwk.x === undefined || jwk.y === undefined)
      throw new ClassifiedError(`Key Vault key ${this.keyName}`, {
        retryable: false,
        kind: "invalid",
        code: "WrongCurve",
        message: `key ${this.keyName} is on curve ${jwk.crv ?? "(none)"}, not P-256K (secp256k1), so it cannot sign Ethereum transactions`,
      });
    return computeAddress(hexlify(Uint8Array.from([4, ...jwk.x, ...jwk.y])));
  }

  /** One vault call with a deadline; its failure comes back classified, naming the key and the step. */
  private async call<T>(step: string, operation: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.callTimeoutMs, `Key Vault ${step}`, operation);
    } catch (error) {
      throw new ClassifiedError(`Key Vault key ${this.keyName}: ${step}`, classifyKeyVaultError(error, this.keyName));
    }
  }
}

/**
 * The one classifier for Key Vault. Permanent answers carry what to fix: 401 the identity's token,
 * 403 its role on the vault, 404 the key's name. Token-service failures (identity) count as 401.
 */
export function classifyKeyVaultError(error: unknown, keyName: string): ErrorClassification {
  if (isRestError(error)) {
    const status = error.statusCode;
    const code = error.code ?? (status === undefined ? "Unknown" : `Http${status}`);
    if (status === undefined)
      return classifyNetworkError(error) ?? { retryable: true, kind: "network", code, message: error.message };
    const firstLine = error.message.split(/\r?\n/)[0] ?? "";
    if (status === 401)
      return {
        retryable: false,
        kind: "unauthorized",
        code,
        message: `Key Vault did not accept the app's identity for key ${keyName} (${firstLine})`,
      };
    if (status === 403)
      return {
        retryable: false,
        kind: "forbidden",
        code,
        message: `the app's identity may not use key ${keyName}: grant it the role "Key Vault Crypto User" on the vault (${firstLine})`,
      };
    if (status === 404)
      return {
        retryable: false,
        kind: "notFound",
        code,
        message: `Key Vault has no key ${keyName}: check BESU_FLEET_DEPLOYER_KEY_ID (${firstLine})`,
      };
    return classifyHttpStatus(
      status,
      code,
      `key ${keyName}: ${firstLine}`,
      parseRetryAfter(error.response?.headers.get("retry-after")),
    );
  }
  const network = classifyNetworkError(error);
  if (network !== undefined) return network;
  if (
    error instanceof Error &&
    /^(CredentialUnavailableError|AuthenticationError|AuthenticationRequiredError)$/.test(error.name)
  )
    return {
      retryable: false,
      kind: "unauthorized",
      code: error.name,
      message: `no token for Key Vault key ${keyName}: ${error.message}`,
    };
  const message = error instanceof Error ? error.message : String(error);
  return { retryable: false, kind: "unknown", code: error instanceof Error ? error.name : "Unknown", message };
}

/** The deployer's signer for a configuration: the app's managed identity in Azure, the simulator's token locally. */
export function deployerSigner(config: DeployerKeyConfig): KeyVaultSigner {
  return config.mode === "azure"
    ? new KeyVaultSigner({ keyId: config.keyId, credential: appIdentity() })
    : new KeyVaultSigner({
        keyId: config.keyId,
        credential: simulatedCloudCredential(),
        caCertificate: config.caCertificate,
        // NOTE: the simulated vault is on 127.0.0.1, which can never match the challenge's vault.azure.net.
        disableChallengeResourceVerification: true,
      });
}
