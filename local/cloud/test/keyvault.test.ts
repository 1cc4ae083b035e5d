/**
 * The simulated Key Vault against the real `@azure/keyvault-keys` clients: the challenge flow,
 * EC P-256K keys created, read and used to sign (ES256K, high s left as it comes), Azure's 403 and
 * 404 answers, api-version checks, injected faults, and keys kept owner-only across restarts.
 * Signatures are checked with @noble/curves and addresses with ethers, not with the vault's code.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { CryptographyClient, KeyClient, type KeyClientOptions } from "@azure/keyvault-keys";
import { isRestError } from "@azure/core-rest-pipeline";
import { secp256k1 } from "@besu-fleet/qbft";
import { computeAddress, hexlify } from "ethers";
import { simulatorCredential } from "../src/index.js";
import { control, httpsRequest, startTestCloud, type TestCloud } from "./helpers.js";

const API_VERSION = "2025-07-01";
const CURVE_ORDER_HALF = secp256k1.Point.CURVE().n / 2n;

/** A credential that records what the client's challenge policy asked it for. */
function recordingCredential(token: string): TokenCredential & { requests: { scopes: string[]; tenantId?: string }[] } {
  const requests: { scopes: string[]; tenantId?: string }[] = [];
  return {
    requests,
    getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
      requests.push({
        scopes: [scopes].flat(),
        ...(options?.tenantId === undefined ? {} : { tenantId: options.tenantId }),
      });
      return Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000 });
    },
  };
}

/** The public point of a JWK as ethers takes it: 0x04‖x‖y. */
function publicPoint(key: { x?: Uint8Array; y?: Uint8Array }): string {
  assert.ok(key.x && key.y, "the JWK carries x and y");
  return hexlify(Uint8Array.from([4, ...key.x, ...key.y]));
}

/** Expects `promise` to fail with Key Vault's status and error code. */
async function rejectsWith(promise: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isRestError(error), `a RestError, got ${String(error)}`);
    assert.equal(error.statusCode, status);
    assert.equal(error.code, code);
    return true;
  });
}

describe("simulated Key Vault (keys data plane) with the real @azure/keyvault-keys client", { timeout: 60_000 }, () => {
  let test: TestCloud;
  let options: KeyClientOptions;
  const client = (credential: TokenCredential = simulatorCredential()): KeyClient =>
    new KeyClient(test.connection.keyVault.vaultUrl, credential, options);

  before(async () => {
    test = await startTestCloud();
    // NOTE: a vault on 127.0.0.1 cannot match the challenge's resource (vault.azure.net): simulator only.
    options = {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: test.ca },
      retryOptions: { maxRetries: 0 },
    };
  });
  after(() => test.close());

  it("answers a request without a token with Key Vault's challenge", async () => {
    const response = await httpsRequest(
      `${test.connection.keyVault.vaultUrl}/keys/probe/create?api-version=${API_VERSION}`,
      test.ca,
      { method: "POST", body: { kty: "EC", crv: "P-256K" } },
    );
    assert.equal(response.status, 401);
    assert.equal(
      response.headers["www-authenticate"],
      `Bearer authorization="https://login.microsoftonline.com/${test.connection.tenantId}", resource="https://vault.azure.net"`,
    );
    assert.deepEqual(response.body, {
      error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." },
    });
  });

  it("creates, reads and signs with an EC P-256K key; the client fetched its token through the challenge", async () => {
    const credential = recordingCredential("officer");
    const keys = client(credential);
    const created = await keys.createKey("signer-a", "EC", { curve: "P-256K" });
    assert.deepEqual(credential.requests, [
      { scopes: ["https://vault.azure.net/.default"], tenantId: test.connection.tenantId },
    ]);
    assert.equal(created.key?.crv, "P-256K");
    assert.equal(created.key?.kty, "EC");
    assert.equal(created.key?.d, undefined, "the private key never leaves the vault");
    assert.match(created.id ?? "", new RegExp(`^${test.connection.keyVault.vaultUrl}/keys/signer-a/[0-9a-f]{32}$`));
    const read = await keys.getKey("signer-a");
    assert.equal(read.id, created.id);
    assert.equal(publicPoint(read.key ?? {}), publicPoint(created.key ?? {}));

    const crypto = new CryptographyClient(read, credential, options);
    let highS = 0;
    for (let i = 0; i < 24; i++) {
      const digest = randomBytes(32);
      const { result, keyID } = await crypto.sign("ES256K", digest);
      assert.equal(keyID, created.id);
      assert.equal(result.length, 64, "r‖s");
      const publicKey = Uint8Array.from([4, ...(read.key?.x ?? []), ...(read.key?.y ?? [])]);
      assert.ok(
        secp256k1.verify(result, digest, publicKey, { prehash: false, lowS: false }),
        "a valid ECDSA signature",
      );
      if (BigInt(hexlify(result.subarray(32))) > CURVE_ORDER_HALF) highS += 1;
    }
    assert.ok(highS > 0, "like Key Vault, the simulator does not normalise s: some signatures have a high s");
  });

  it("holds the deployer key whose address cloud.json publishes", async () => {
    const deployer = await client().getKey("deployer");
    assert.equal(deployer.id, test.connection.keyVault.deployerKeyId);
    assert.equal(
      computeAddress(publicPoint(deployer.key ?? {})).toLowerCase(),
      test.connection.keyVault.deployerAddress,
    );
  });

  it("answers 404 KeyNotFound, with Azure's error body, for a key it does not hold", async () => {
    await rejectsWith(client().getKey("no-such-key"), 404, "KeyNotFound");
    const raw = await httpsRequest(
      `${test.connection.keyVault.vaultUrl}/keys/no-such-key?api-version=${API_VERSION}`,
      test.ca,
      {
        headers: { Authorization: "Bearer someone" },
      },
    );
    assert.equal(raw.status, 404);
    assert.match(
      JSON.stringify(raw.body),
      /^\{"error":\{"code":"KeyNotFound","message":"A key with \(name\/id\) no-such-key was not found/,
    );
  });

  it("answers 403 to an identity without the role for the operation", async () => {
    await client(simulatorCredential("officer")).createKey("signer-b", "EC", { curve: "P-256K" });
    assert.equal((await control(test, "PUT", "keyvault/roles/nobody", { role: "none" })).status, 200);
    assert.equal((await control(test, "PUT", "keyvault/roles/user", { role: "Key Vault Crypto User" })).status, 200);
    await rejectsWith(client(simulatorCredential("nobody")).getKey("signer-b"), 403, "Forbidden");
    const asUser = client(simulatorCredential("user"));
    await rejectsWith(asUser.createKey("signer-c", "EC", { curve: "P-256K" }), 403, "Forbidden");
    const key = await asUser.getKey("signer-b");
    const signed = await new CryptographyClient(key, simulatorCredential("user"), options).sign(
      "ES256K",
      randomBytes(32),
    );
    assert.equal(signed.result.length, 64, "a Crypto User may sign");
    const forbidden = new CryptographyClient(key.id ?? "", simulatorCredential("nobody"), options);
    await rejectsWith(forbidden.sign("ES256K", randomBytes(32)), 403, "Forbidden");
  });

  it("refuses what it does not simulate and malformed requests with 400 BadParameter", async () => {
    await rejectsWith(client().createKey("rsa", "RSA"), 400, "BadParameter");
    await rejectsWith(client().createKey("p256", "EC", { curve: "P-256" }), 400, "BadParameter");
    const key = await client().getKey("deployer");
    const crypto = new CryptographyClient(key, simulatorCredential(), options);
    await rejectsWith(crypto.sign("ES256K", randomBytes(31)), 400, "BadParameter");
    for (const query of ["", "?api-version=1999-01-01"]) {
      const raw = await httpsRequest(`${test.connection.keyVault.vaultUrl}/keys/deployer${query}`, test.ca, {
        headers: { Authorization: "Bearer someone" },
      });
      assert.equal(raw.status, 400, query);
    }
  });

  it("fails requests on purpose when the fault rules target keyvault", async () => {
    await control(test, "PUT", "faults", {
      transient: [{ target: "keyvault", kind: "5xx", status: 503, rate: 1, count: 1 }],
    });
    try {
      await rejectsWith(client().getKey("deployer"), 503, "ServiceUnavailable");
      assert.equal((await client().getKey("deployer")).name, "deployer", "the rule's count is spent");
    } finally {
      await control(test, "DELETE", "faults");
    }
  });

  it("keeps the keys owner-only in its data directory and across restarts, out of cloud.json", async () => {
    const file = join(test.dataDir, "keyvault", "keys.json");
    assert.equal(statSync(file).mode % 0o1000, 0o600);
    assert.equal(statSync(join(test.dataDir, "keyvault")).mode % 0o1000, 0o700);
    const stored = readFileSync(file, "utf8");
    const cloudJson = readFileSync(join(test.dataDir, "cloud.json"), "utf8");
    assert.doesNotMatch(cloudJson, /"d"|privateKey/);
    // Last test: a second cloud on the same data directory (it rewrites cloud.json, which no later test reads).
    const again = await startTestCloud({ dataDir: test.dataDir });
    try {
      assert.equal(again.connection.keyVault.deployerAddress, test.connection.keyVault.deployerAddress);
      assert.equal(readFileSync(file, "utf8"), stored, "a restart creates no key");
    } finally {
      await again.close();
    }
  });
});
