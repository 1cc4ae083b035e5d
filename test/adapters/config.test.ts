/** Configuration from the environment: local (simulated cloud) and Azure modes, clear errors. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AZURE_ARM_ENDPOINT, parseConfig, STATE_CONTAINER } from "../../lib/config.js";

const STORAGE = "UseDevelopmentStorage=true";

describe("parseConfig", () => {
  it("reads the simulated cloud's connection file in local mode", () => {
    const dir = mkdtempSync(join(tmpdir(), "besu-fleet-config-"));
    try {
      writeFileSync(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
      writeFileSync(
        join(dir, "cloud.json"),
        JSON.stringify({
          armEndpoint: "https://127.0.0.1:4443",
          caCertPath: join(dir, "ca.pem"),
          subscriptionId: "sub",
          tenantId: "tenant",
          controlUrl: "http://127.0.0.1:1/_sim",
        }),
      );
      const config = parseConfig({ BESU_FLEET_CLOUD_FILE: join(dir, "cloud.json"), AzureWebJobsStorage: STORAGE });
      assert.equal(config.arm.mode, "local");
      assert.ok(config.arm.mode === "local");
      assert.equal(config.arm.armEndpoint, "https://127.0.0.1:4443");
      assert.equal(config.arm.subscriptionId, "sub");
      assert.match(config.arm.caCertificate, /BEGIN CERTIFICATE/);
      assert.deepEqual(config.storage, {
        kind: "connectionString",
        connectionString: STORAGE,
        container: STATE_CONTAINER,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses the public ARM endpoint in Azure mode", () => {
    const config = parseConfig({ AZURE_SUBSCRIPTION_ID: "sub", AzureWebJobsStorage: STORAGE });
    assert.deepEqual(config.arm, { mode: "azure", armEndpoint: AZURE_ARM_ENDPOINT, subscriptionId: "sub" });
  });

  it("accepts an identity-based storage connection", () => {
    const config = parseConfig({ AZURE_SUBSCRIPTION_ID: "sub", AzureWebJobsStorage__accountName: "fleetstate" });
    assert.deepEqual(config.storage, {
      kind: "identity",
      blobServiceUri: "https://fleetstate.blob.core.windows.net",
      container: STATE_CONTAINER,
    });
  });

  it("names the missing variable", () => {
    assert.throws(() => parseConfig({ AzureWebJobsStorage: STORAGE }), /AZURE_SUBSCRIPTION_ID is not set/);
    assert.throws(() => parseConfig({ AZURE_SUBSCRIPTION_ID: "sub" }), /AzureWebJobsStorage is not set/);
  });

  it("says which field of a bad connection file is wrong", () => {
    const dir = mkdtempSync(join(tmpdir(), "besu-fleet-config-"));
    try {
      writeFileSync(join(dir, "cloud.json"), JSON.stringify({ armEndpoint: "https://127.0.0.1:4443" }));
      assert.throws(
        () => parseConfig({ BESU_FLEET_CLOUD_FILE: join(dir, "cloud.json"), AzureWebJobsStorage: STORAGE }),
        /BESU_FLEET_CLOUD_FILE .*caCertPath/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
