/** The blob document store and the saveDocument activity against Azurite. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dirname, join } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { buildDependencies } from "../../activities/dependencies.js";
import { createActivities } from "../../activities/factory.js";
import { parseConfig } from "../../lib/config.js";
import { auditBlobName, readAudit, recordAudit } from "../../lib/state/audit.js";
import { changesRecorded, noteChange, recordingChanges } from "../../lib/state/change-trail.js";
import { DocumentStore } from "../../lib/state/documents.js";
import { startAzurite, type RunningAzurite } from "@besu-fleet/local-support";
import { startAdapterCloud, type AdapterCloud } from "./harness.js";

describe("document store on Azurite", { timeout: 120_000 }, () => {
  let azurite: RunningAzurite;
  let env: AdapterCloud;

  /** How many blocks the (single) audit blob of a container holds: one per append. */
  async function committedBlocks(store: DocumentStore, container: string): Promise<number | undefined> {
    const [blob] = await store.listDocuments("audit/");
    const properties = await BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(container)
      .getAppendBlobClient(blob?.name ?? "")
      .getProperties();
    return properties.blobCommittedBlockCount;
  }

  before(async () => {
    azurite = await startAzurite();
    env = await startAdapterCloud({ storageConnectionString: azurite.connectionString });
  });

  after(async () => {
    await env?.close();
    await azurite?.stop();
  });

  it("saves a document through the activity, overwrites it by name, reads and lists it back", async () => {
    const activities = createActivities(env.deps);
    assert.deepEqual(
      await activities.saveDocument({ name: "rollouts/r-1/report.json", document: { state: "Running" } }),
      { ok: true, blobName: "rollouts/r-1/report.json" },
    );
    assert.deepEqual(
      await activities.saveDocument({ name: "rollouts/r-1/report.json", document: { state: "Succeeded" } }),
      { ok: true, blobName: "rollouts/r-1/report.json" },
    );
    await activities.saveDocument({ name: "rollouts/r-2/report.json", document: { state: "Failed" } });
    const store = new DocumentStore(azurite.connectionString, "besu-fleet-state");
    assert.deepEqual(await store.readDocument("rollouts/r-1/report.json"), { state: "Succeeded" });
    assert.equal(await store.readDocument("rollouts/none.json"), undefined);
    assert.deepEqual(
      (await store.listDocuments("rollouts/r-")).map((entry) => entry.name),
      ["rollouts/r-1/report.json", "rollouts/r-2/report.json"],
    );
  });

  it("refuses a blob name outside the contract as a permanent failure", async () => {
    const result = await createActivities(env.deps).saveDocument({ name: "../escape.txt", document: {} });
    assert.equal(result.ok, false);
  });

  it("builds working adapters from the environment in local mode (composition root)", async () => {
    const config = parseConfig({
      BESU_FLEET_CLOUD_FILE: join(dirname(env.cloud.connection.caCertPath), "cloud.json"),
      AzureWebJobsStorage: azurite.connectionString,
    });
    const activities = createActivities(buildDependencies(config));
    const plan = env.plans[0];
    assert.ok(plan);
    const preflight = await activities.preflightRegion({ plan });
    assert.equal(preflight.ok, true, JSON.stringify(preflight));
    assert.deepEqual(await activities.saveDocument({ name: "specs/chain138-dev.json", document: env.spec }), {
      ok: true,
      blobName: "specs/chain138-dev.json",
    });
  });

  it("records the changes one activity call noted together as one appended block, attributed to who asked", async () => {
    const store = new DocumentStore(azurite.connectionString, "audit-batch");
    const answer = await recordingChanges(store, { by: "ops@contoso.example", target: "rollout-n-1" }, async () => {
      for (const name of ["a", "b", "c"])
        noteChange({ system: "kubernetes", action: "PATCH", subject: `/api/v1/configmaps/${name}`, outcome: "done" });
      return "answered";
    });
    assert.equal(answer, "answered");
    // Outside an activity call nothing is noted.
    noteChange({ system: "azure", action: "PUT", subject: "/subscriptions/x", outcome: "accepted" });
    const entries = await readAudit(store, { top: 10 });
    assert.deepEqual(
      entries.map((entry) => [entry.who, entry.target, entry.system, entry.subject]),
      ["c", "b", "a"].map((name) => ["ops@contoso.example", "rollout-n-1", "kubernetes", `/api/v1/configmaps/${name}`]),
    );
    assert.equal(await committedBlocks(store, "audit-batch"), 1, "one block for the three changes noted together");
  });

  it("appends a change while the activity call is still running, so a process killed later in the call keeps it", async () => {
    const store = new DocumentStore(azurite.connectionString, "audit-early");
    const seenDuringTheCall = await recordingChanges(store, { by: "ops@contoso.example" }, async () => {
      noteChange({ system: "chain", action: "eth_sendRawTransaction", subject: "0x01", outcome: "sent" });
      await changesRecorded();
      const recorded = (await readAudit(store, { top: 10 })).map((entry) => entry.subject);
      // Noted while that append was done: recorded with the call, in order, in a block of its own.
      noteChange({ system: "chain", action: "transaction mined", subject: "0x01", outcome: "success" });
      return recorded;
    });
    assert.deepEqual(seenDuringTheCall, ["0x01"]);
    assert.deepEqual(
      (await readAudit(store, { top: 10 })).map((entry) => entry.action),
      ["transaction mined", "eth_sendRawTransaction"],
    );
    assert.equal(await committedBlocks(store, "audit-early"), 2);
  });

  it("reads the audit trail newest first across hourly blobs and an earlier version's daily blob", async () => {
    const store = new DocumentStore(azurite.connectionString, "audit-order");
    const entry = (at: string) => ({
      at,
      who: "function key",
      action: "POST /api/rollouts",
      status: 202,
      outcome: "accepted",
    });
    // Written by a version that kept one blob a day: it sorts before the hours of its day.
    await store.appendLines("audit/2026-12-03.jsonl", [JSON.stringify(entry("2026-12-03T08:00:00.000Z"))]);
    await recordAudit(store, entry("2026-12-03T23:59:00.000Z"));
    await recordAudit(store, entry("2026-12-04T00:01:00.000Z"));
    await recordAudit(store, entry("2026-12-04T00:02:00.000Z"));
    assert.equal(auditBlobName("2026-12-04T00:01:00.000Z"), "audit/2026-12-04T00.jsonl");
    assert.deepEqual(
      (await readAudit(store, { top: 10 })).map((found) => found.at),
      ["2026-12-04T00:02:00.000Z", "2026-12-04T00:01:00.000Z", "2026-12-03T23:59:00.000Z", "2026-12-03T08:00:00.000Z"],
    );
  });
});
