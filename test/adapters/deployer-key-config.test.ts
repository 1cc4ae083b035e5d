/** The deployer key's settings: optional, a Key Vault key URL, and the simulator's flag only with the simulated cloud. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigError, parseConfig } from "../../lib/config.js";

const STORAGE = "UseDevelopmentStorage=true";
const KEY_ID = "https://fleet-kv.vault.azure.net/keys/deployer/0123456789abcdef0123456789abcdef";

describe("parseConfig: the deployer key", () => {
  let dir: string;
  let cloudFile: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "besu-fleet-deployer-config-"));
    writeFileSync(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    cloudFile = join(dir, "cloud.json");
    writeFileSync(
      cloudFile,
      JSON.stringify({
        armEndpoint: "https://127.0.0.1:4443",
        caCertPath: join(dir, "ca.pem"),
        subscriptionId: "s",
        tenantId: "t",
      }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is absent when BESU_FLEET_DEPLOYER_KEY_ID is not set", () => {
    assert.equal(
      parseConfig({
        AZURE_SUBSCRIPTION_ID: "sub",
        BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: "20.1.2.3",
        AzureWebJobsStorage: STORAGE,
      }).deployerKey,
      undefined,
    );
  });

  it("is a key in Azure, checked by the client against the vault's domain, unless the simulator flag is set", () => {
    const azure = parseConfig({
      AZURE_SUBSCRIPTION_ID: "sub",
      BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: "20.1.2.3",
      AzureWebJobsStorage: STORAGE,
      BESU_FLEET_DEPLOYER_KEY_ID: KEY_ID,
    });
    assert.deepEqual(azure.deployerKey, { mode: "azure", keyId: KEY_ID });
    const withoutVersion = "https://fleet-kv.vault.azure.net/keys/deployer";
    const latest = parseConfig({
      AZURE_SUBSCRIPTION_ID: "sub",
      BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: "20.1.2.3",
      AzureWebJobsStorage: STORAGE,
      BESU_FLEET_DEPLOYER_KEY_ID: withoutVersion,
    });
    assert.deepEqual(latest.deployerKey, { mode: "azure", keyId: withoutVersion });
  });

  it("is the simulated vault's key, with the simulated cloud's CA, when local up says so", () => {
    const local = parseConfig({
      BESU_FLEET_CLOUD_FILE: cloudFile,
      AzureWebJobsStorage: STORAGE,
      BESU_FLEET_DEPLOYER_KEY_ID: "https://127.0.0.1:4444/keys/deployer/abc",
      BESU_FLEET_KEY_VAULT_SIMULATOR: "true",
    });
    assert.equal(local.deployerKey?.mode, "simulator");
    assert.match(local.deployerKey?.mode === "simulator" ? local.deployerKey.caCertificate : "", /BEGIN CERTIFICATE/);
  });

  it("refuses what is not a key identifier, and the simulator flag outside the simulated cloud, naming the variable", () => {
    for (const keyId of [
      "deployer",
      "http://fleet-kv.vault.azure.net/keys/deployer",
      "https://fleet-kv.vault.azure.net/secrets/deployer",
      "https://fleet-kv.vault.azure.net/keys/a/b/c",
    ])
      assert.throws(
        () =>
          parseConfig({
            AZURE_SUBSCRIPTION_ID: "sub",
            BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: "20.1.2.3",
            AzureWebJobsStorage: STORAGE,
            BESU_FLEET_DEPLOYER_KEY_ID: keyId,
          }),
        (error: unknown) =>
          error instanceof ConfigError &&
          /BESU_FLEET_DEPLOYER_KEY_ID must be a Key Vault key identifier/.test(error.message),
        keyId,
      );
    assert.throws(
      () =>
        parseConfig({
          AZURE_SUBSCRIPTION_ID: "sub",
          BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: "20.1.2.3",
          AzureWebJobsStorage: STORAGE,
          BESU_FLEET_DEPLOYER_KEY_ID: KEY_ID,
          BESU_FLEET_KEY_VAULT_SIMULATOR: "true",
        }),
      /BESU_FLEET_KEY_VAULT_SIMULATOR needs BESU_FLEET_CLOUD_FILE/,
    );
    assert.throws(
      () =>
        parseConfig({
          AZURE_SUBSCRIPTION_ID: "sub",
          BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: "20.1.2.3",
          AzureWebJobsStorage: STORAGE,
          BESU_FLEET_KEY_VAULT_SIMULATOR: "true",
        }),
      /BESU_FLEET_KEY_VAULT_SIMULATOR is set but BESU_FLEET_DEPLOYER_KEY_ID is not/,
    );
  });
});
