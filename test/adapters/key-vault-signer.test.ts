/**
 * The Key Vault transaction signer. First against known secp256k1 vectors, with ethers' own signing
 * key as the oracle: Key Vault's raw r‖s (high s included) becomes exactly the signature ethers
 * makes. Then through the real @azure/keyvault-keys client against the simulated vault: a known key
 * imported there signs for its known address, the deployer key's transaction is mined by the
 * mainnet stand-in from the deployer's address, and each vault failure is classified with the key's name.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { TokenCredential } from "@azure/core-auth";
import { KeyClient } from "@azure/keyvault-keys";
import { secp256k1 } from "@besu-fleet/qbft";
import {
  BesuCloudFieldsSchema,
  createBesuPlugin,
  simulatorCredential,
  startCloud,
  type RunningCloud,
} from "@besu-fleet/local-cloud";
import { getBytes, JsonRpcProvider, keccak256, SigningKey, toUtf8Bytes, Transaction, Wallet } from "ethers";
import { ClassifiedError } from "../../lib/errors.js";
import { deployerSigner, KeyVaultSigner } from "../../lib/evm/key-vault-signer.js";
import { ethereumSignature } from "../../lib/evm/recoverable-signature.js";

/** A well-known test key (ethers' documentation) and its address. */
const KNOWN_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const KNOWN_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
const HALF_ORDER = secp256k1.Point.CURVE().n / 2n;

/** r‖s as Key Vault returns it: RFC 6979 without low-s normalisation. */
function vaultStyleSignature(digest: string): Uint8Array {
  return secp256k1.sign(getBytes(digest), getBytes(KNOWN_KEY), { prehash: false, lowS: false });
}

function digestWith(highS: boolean): string {
  for (let i = 0; ; i++) {
    const digest = keccak256(toUtf8Bytes(`digest ${i}`));
    if (secp256k1.Signature.fromBytes(vaultStyleSignature(digest), "compact").hasHighS() === highS) return digest;
  }
}

describe("ethereumSignature: Key Vault's r‖s to an Ethereum signature", () => {
  for (const highS of [true, false]) {
    it(`gives the signature ethers makes with the same key (raw s ${highS ? "high" : "low"})`, () => {
      const digest = digestWith(highS);
      const expected = new SigningKey(KNOWN_KEY).sign(digest);
      const signature = ethereumSignature(vaultStyleSignature(digest), digest, KNOWN_ADDRESS);
      assert.equal(signature.r, expected.r);
      assert.equal(signature.s, expected.s);
      assert.equal(signature.yParity, expected.yParity);
      assert.ok(BigInt(signature.s) <= HALF_ORDER, "low s (EIP-2)");
    });
  }

  it("refuses a signature that does not recover to the address", () => {
    const digest = digestWith(false);
    assert.throws(
      () => ethereumSignature(vaultStyleSignature(digest), digest, Wallet.createRandom().address),
      /does not recover to 0x/,
    );
    assert.throws(() => ethereumSignature(new Uint8Array(65), digest, KNOWN_ADDRESS), /64 bytes/);
  });
});

describe("KeyVaultSigner against the simulated Key Vault", { timeout: 120_000 }, () => {
  let dataDir: string;
  let cloud: RunningCloud;
  let ca: string;
  let vaultUrl: string;
  const signer = (keyId: string, credential: TokenCredential = simulatorCredential()): KeyVaultSigner =>
    new KeyVaultSigner({
      keyId,
      credential,
      caCertificate: ca,
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    });
  const control = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${cloud.connection.controlUrl}/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
    });
  /** Expects a ClassifiedError that names the key and says whether to retry. */
  const rejectsClassified = async (
    promise: Promise<unknown>,
    kind: string,
    retryable: boolean,
    retryAfterMs?: number,
  ): Promise<void> => {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof ClassifiedError, `a ClassifiedError, got ${String(error)}`);
      assert.equal(error.classification.kind, kind, error.message);
      assert.equal(error.classification.retryable, retryable);
      assert.equal(error.classification.retryAfterMs, retryAfterMs);
      assert.match(error.message, /Key Vault key [a-z-]+/);
      assert.doesNotMatch(error.message, /besu-fleet-simulator|token-of-a-denied-identity/, "no token in the message");
      return true;
    });
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "besu-fleet-kv-signer-"));
    cloud = await startCloud({ dataDir, timeScale: 2000, plugins: [createBesuPlugin()] });
    ca = readFileSync(cloud.connection.caCertPath, "utf8");
    vaultUrl = cloud.connection.keyVault.vaultUrl;
  });
  after(async () => {
    await cloud.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("signs for the known address with the known key imported into the vault", async () => {
    const keys = new KeyClient(vaultUrl, simulatorCredential(), {
      tlsOptions: { ca },
      disableChallengeResourceVerification: true,
    });
    const point = SigningKey.computePublicKey(KNOWN_KEY, false);
    const imported = await keys.importKey("known", {
      kty: "EC",
      crv: "P-256K",
      d: getBytes(KNOWN_KEY),
      x: getBytes(point).subarray(1, 33),
      y: getBytes(point).subarray(33),
    });
    const known = signer(imported.id ?? "");
    assert.equal(await known.address(), KNOWN_ADDRESS);
    for (let nonce = 0; nonce < 12; nonce++) {
      const signed = await known.signTransaction({
        type: 2,
        chainId: 138,
        nonce,
        maxFeePerGas: 2_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
        gasLimit: 21_000n,
        to: Wallet.createRandom().address,
        value: 1n,
      });
      const parsed = Transaction.from(signed.raw);
      assert.equal(parsed.from, KNOWN_ADDRESS, "the signed transaction recovers to the key's address");
      assert.equal(parsed.hash, signed.hash);
      assert.ok(BigInt(parsed.signature?.s ?? 0) <= HALF_ORDER, "low s whatever the vault returned");
    }
  });

  it("signs as the deployer a transaction the mainnet stand-in mines from the deployer's address", async () => {
    const { evm } = BesuCloudFieldsSchema.parse(cloud.connection);
    assert.ok(evm.mainnet, "the mainnet stand-in runs");
    const deployer = deployerSigner({
      mode: "simulator",
      keyId: cloud.connection.keyVault.deployerKeyId,
      caCertificate: ca,
    });
    const address = await deployer.address();
    assert.equal(address.toLowerCase(), cloud.connection.keyVault.deployerAddress);
    assert.equal(evm.mainnet.deployer.address, cloud.connection.keyVault.deployerAddress, "the funded account");
    const provider = new JsonRpcProvider(evm.mainnet.rpcUrl, 1, { staticNetwork: true });
    try {
      const fee = await provider.getFeeData();
      const signed = await deployer.signTransaction({
        type: 2,
        chainId: 1,
        nonce: await provider.getTransactionCount(address),
        maxFeePerGas: (fee.maxFeePerGas ?? 0n) * 2n,
        maxPriorityFeePerGas: fee.maxPriorityFeePerGas ?? 0n,
        gasLimit: 21_000n,
        to: Wallet.createRandom().address,
        value: 10n ** 15n,
      });
      const hash = await provider.send("eth_sendRawTransaction", [signed.raw]);
      assert.equal(hash, signed.hash);
      const receipt = await provider.waitForTransaction(signed.hash, 1, 10_000);
      assert.equal(receipt?.status, 1);
      assert.equal(receipt?.from, address);
    } finally {
      provider.destroy();
    }
  });

  it("fails permanently, naming the key, for a missing key, a refused identity or a rejected token", async () => {
    await rejectsClassified(signer(`${vaultUrl}/keys/missing`).address(), "notFound", false);
    assert.equal((await control("PUT", "keyvault/roles/token-of-a-denied-identity", { role: "none" })).status, 200);
    await rejectsClassified(
      signer(`${vaultUrl}/keys/deployer`, simulatorCredential("token-of-a-denied-identity")).address(),
      "forbidden",
      false,
    );
    // A token the vault does not take (the simulated vault takes any non-empty one): 401 after the challenge.
    const rejectedToken: TokenCredential = {
      getToken: () => Promise.resolve({ token: "", expiresOnTimestamp: Date.now() + 60_000 }),
    };
    await rejectsClassified(signer(`${vaultUrl}/keys/deployer`, rejectedToken).address(), "unauthorized", false);
  });

  it("fails transiently on the vault's 503, 429 (with Retry-After) and reset, then works again", async () => {
    const cases = [
      { fault: { kind: "5xx", status: 503 }, kind: "unavailable", retryAfterMs: undefined },
      { fault: { kind: "429" }, kind: "throttled", retryAfterMs: 1000 },
      { fault: { kind: "reset" }, kind: "network", retryAfterMs: undefined },
    ] as const;
    for (const { fault, kind, retryAfterMs } of cases) {
      const deployer = signer(cloud.connection.keyVault.deployerKeyId);
      const rule = { target: "keyvault", rate: 1, count: 1, ...fault };
      assert.equal((await control("PUT", "faults", { transient: [rule] })).status, 200);
      await rejectsClassified(deployer.address(), kind, true, retryAfterMs);
      assert.equal((await deployer.address()).toLowerCase(), cloud.connection.keyVault.deployerAddress, "works again");
    }
    await control("DELETE", "faults");
  });
});
