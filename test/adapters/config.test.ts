/** Configuration from the environment: local (simulated cloud) and Azure modes, clear errors. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AZURE_ARM_ENDPOINT, LOOPBACK_RANGE, parseConfig, STATE_CONTAINER } from "../../lib/config.js";

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
      assert.deepEqual(
        config.apiServerAccess,
        { authorizedIpRanges: [LOOPBACK_RANGE] },
        "the simulated clusters' callers",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses the public ARM endpoint in Azure mode", () => {
    const config = parseConfig({
      AZURE_SUBSCRIPTION_ID: "sub",
      BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: "20.1.2.3",
      AzureWebJobsStorage: STORAGE,
    });
    assert.deepEqual(config.arm, { mode: "azure", armEndpoint: AZURE_ARM_ENDPOINT, subscriptionId: "sub" });
  });

  it("accepts an identity-based storage connection", () => {
    const config = parseConfig({
      AZURE_SUBSCRIPTION_ID: "sub",
      BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: "20.1.2.3",
      AzureWebJobsStorage__accountName: "fleetstate",
    });
    assert.deepEqual(config.storage, {
      kind: "identity",
      blobServiceUri: "https://fleetstate.blob.core.windows.net",
      container: STATE_CONTAINER,
    });
  });

  it("names the missing variable", () => {
    assert.throws(() => parseConfig({ AzureWebJobsStorage: STORAGE }), /AZURE_SUBSCRIPTION_ID is not set/);
    assert.throws(
      () => parseConfig({ AZURE_SUBSCRIPTION_ID: "sub", BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: "20.1.2.3" }),
      /AzureWebJobsStorage is not set/,
    );
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

  it("reads the API servers' authorized ranges, and refuses Azure mode without them", () => {
    const azure = { AZURE_SUBSCRIPTION_ID: "sub", AzureWebJobsStorage: STORAGE };
    assert.deepEqual(
      parseConfig({ ...azure, BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: " 20.1.2.3, 20.5.0.0/16 ,20.1.2.3" })
        .apiServerAccess,
      { authorizedIpRanges: ["20.1.2.3/32", "20.5.0.0/16"] },
    );
    assert.throws(() => parseConfig(azure), /BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES is not set/);
    assert.throws(
      () => parseConfig({ ...azure, BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: "20.1.2.3/24,fd00::/8,300.1.1.1" }),
      {
        message:
          "environment variable BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: '20.1.2.3/24' does not start at the first address of its range; 'fd00::/8' is not an IPv4 address or CIDR range; '300.1.1.1' is not an IPv4 address or CIDR range",
      },
    );
  });
});
