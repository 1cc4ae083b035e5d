import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startCloud } from "../src/index.js";
import { httpsRequest } from "./helpers.js";

describe("cloud lifecycle", () => {
  it("reuses the CA and identity of a data directory across restarts and frees its ports on close", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "besu-fleet-cloud-"));
    try {
      const first = await startCloud({ dataDir, timeScale: 1000 });
      const ca = readFileSync(first.connection.caCertPath, "utf8");
      const answer = await httpsRequest(
        `${first.connection.armEndpoint}/subscriptions/${first.connection.subscriptionId}?api-version=2022-12-01`,
        ca,
        { headers: { Authorization: "Bearer x" } },
      );
      assert.equal(answer.status, 200);
      await first.close();
      await assert.rejects(httpsRequest(`${first.connection.armEndpoint}/`, ca), /ECONNREFUSED/);
      await assert.rejects(fetch(`${first.connection.controlUrl}/state`));

      const second = await startCloud({ dataDir, timeScale: 1000 });
      try {
        assert.equal(second.connection.subscriptionId, first.connection.subscriptionId);
        assert.equal(second.connection.tenantId, first.connection.tenantId);
        assert.equal(readFileSync(second.connection.caCertPath, "utf8"), ca);
        const again = await httpsRequest(
          `${second.connection.armEndpoint}/subscriptions/${second.connection.subscriptionId}/resourcegroups?api-version=2022-12-01`,
          ca,
          { headers: { Authorization: "Bearer x" } },
        );
        assert.deepEqual(again.body, { value: [] }, "state is not persisted across restarts");
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("starts with the demo scenario shipped in local/cloud/scenarios", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "besu-fleet-cloud-"));
    try {
      const cloud = await startCloud({
        dataDir,
        timeScale: 1000,
        scenarioFile: join(__dirname, "../../scenarios/faults-demo.yaml"),
      });
      try {
        const faults = (await (await fetch(`${cloud.connection.controlUrl}/faults`)).json()) as {
          regions: Record<string, unknown>;
        };
        assert.deepEqual(Object.keys(faults.regions).sort(), ["australiasoutheast", "koreasouth"]);
      } finally {
        await cloud.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a time scale that is not a positive number", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "besu-fleet-cloud-"));
    try {
      await assert.rejects(startCloud({ dataDir, timeScale: 0 }), /time scale/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
