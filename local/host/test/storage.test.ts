/**
 * What the host relies on from Azure Storage, pinned against Azurite. Each behaviour below is one
 * Azure documents for Table and Blob storage; if an Azurite upgrade (or a move to a real account)
 * changed one of them, the host's crash safety would rest on sand, so the check fails here first.
 * docs/local-host.md ("Azurite and a real storage account") lists them and what differs.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TableClient, TableTransaction, type TransactionAction } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { startAzurite, type RunningAzurite } from "@besu-fleet/local-support";
import { DurableStore, type InstanceRecord } from "../src/store.js";
import { StoreThread } from "../src/store-thread.js";
import { MAX_TRANSACTION_BYTES, MAX_TRANSACTION_OPERATIONS, operationBytes } from "../src/table-batches.js";

let azurite: RunningAzurite;
let table: TableClient;

before(async () => {
  azurite = await startAzurite();
  table = TableClient.fromConnectionString(azurite.connectionString, "StorageContract", {
    allowInsecureConnection: true,
  });
  await table.createTable();
});

after(async () => {
  await azurite?.stop();
});

/** The HTTP status of a refused call (the SDK throws a RestError). */
async function refusal(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
  } catch (error) {
    return (error as { statusCode?: number }).statusCode;
  }
  assert.fail("the call was accepted");
}

function creates(partitionKey: string, count: number, properties: Record<string, string> = {}): TransactionAction[] {
  const transaction = new TableTransaction();
  for (let i = 0; i < count; i++) transaction.createEntity({ partitionKey, rowKey: `r${i}`, ...properties });
  return transaction.actions;
}

describe("table storage: what an episode's commit relies on", () => {
  test("a transaction is all or nothing: one failing operation writes none of the others", async () => {
    await table.createEntity({ partitionKey: "atomic", rowKey: "taken" });
    const transaction = new TableTransaction();
    transaction.createEntity({ partitionKey: "atomic", rowKey: "new" });
    transaction.createEntity({ partitionKey: "atomic", rowKey: "taken" });
    assert.equal(await refusal(table.submitTransaction(transaction.actions)), 409);
    assert.equal(await refusal(table.getEntity("atomic", "new")), 404);
  });

  test("a transaction holds at most 100 operations and a body of at most 4 MiB", async () => {
    assert.equal(await refusal(table.submitTransaction(creates("count", MAX_TRANSACTION_OPERATIONS + 1))), 400);
    await table.submitTransaction(creates("count", MAX_TRANSACTION_OPERATIONS));
    // 100 rows of 60,000 characters: 6 MB of JSON, refused as too large.
    const large = { a: "x".repeat(30_000), b: "y".repeat(30_000) };
    assert.equal(await refusal(table.submitTransaction(creates("bytes", 100, large))), 413);
    assert.ok(100 * operationBytes(large) > MAX_TRANSACTION_BYTES, "the host's estimate would have split it");
  });

  test("replacing a row under a stale ETag is refused (412), creating an existing row too (409)", async () => {
    const created = await table.createEntity({ partitionKey: "etag", rowKey: "", step: 1 });
    await table.updateEntity({ partitionKey: "etag", rowKey: "", step: 2 }, "Replace", { etag: created.etag });
    const stale = table.updateEntity({ partitionKey: "etag", rowKey: "", step: 3 }, "Replace", { etag: created.etag });
    assert.equal(await refusal(stale), 412);
    assert.equal(await refusal(table.createEntity({ partitionKey: "etag", rowKey: "" })), 409);
    assert.equal((await table.getEntity<{ step: number }>("etag", "")).step, 2);
  });

  test("a string property holds at most 64 KiB (32 K UTF-16 characters)", async () => {
    await table.createEntity({ partitionKey: "property", rowKey: "fits", value: "x".repeat(30_000) });
    const tooLarge = table.createEntity({ partitionKey: "property", rowKey: "over", value: "x".repeat(33_000) });
    assert.equal(await refusal(tooLarge), 400);
  });

  test("a query answers at most 1,000 rows a page, with a continuation token for the rest", async () => {
    await Promise.all(
      Array.from({ length: 11 }, (_, batch) => {
        const transaction = new TableTransaction();
        for (let i = 0; i < 100; i++) transaction.createEntity({ partitionKey: "paging", rowKey: `${batch}-${i}` });
        return table.submitTransaction(transaction.actions);
      }),
    );
    const pages = table
      .listEntities({ queryOptions: { filter: "PartitionKey eq 'paging'" } })
      .byPage({ maxPageSize: 5000 });
    const first = await pages.next();
    assert.equal(first.done, false);
    assert.equal(first.value.length, 1000);
    assert.ok(first.value.continuationToken, "the rest is behind a continuation token");
  });
});

describe("the host's store within those limits", () => {
  test("a history of 100 large non-ASCII events is written in transactions within 4 MiB and read back whole", async () => {
    const store = await DurableStore.open(azurite.connectionString, "StorageContractHub");
    // 29,000 two-byte characters each: 5.8 MB in one transaction of 100, which Azure refuses.
    const events = Array.from({ length: 100 }, (_, i) => `${i}:${"é".repeat(29_000)}`);
    await store.writeHistory("large-history", "e1", 0, events);
    assert.deepEqual(await store.readHistory("large-history", "e1", events.length), events);
  });
});

describe("blob storage: what the state store and the audit trail rely on", () => {
  test("creating a blob only if absent is refused when it exists; an append blob is never truncated by a second create", async () => {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("contract");
    await container.create();
    const blob = container.getBlockBlobClient("once.json");
    await blob.upload("{}", 2);
    assert.equal(await refusal(blob.upload("[]", 2, { conditions: { ifNoneMatch: "*" } })), 409);
    const appended = container.getAppendBlobClient("lines.jsonl");
    await appended.createIfNotExists();
    await appended.appendBlock("one\n", 4);
    await appended.createIfNotExists();
    await appended.appendBlock("two\n", 4);
    assert.equal((await appended.downloadToBuffer()).toString("utf8"), "one\ntwo\n");
  });
});

describe("the store on its own thread (what the host runs)", () => {
  const record = (instanceId: string, step: number): InstanceRecord => ({
    instanceId,
    name: "hello",
    runtimeStatus: "Running",
    createdTime: "2026-01-01T00:00:00.000Z",
    lastUpdatedTime: "2026-01-01T00:00:00.000Z",
    executionId: "e1",
    historyLength: step,
    parentNotified: true,
    runtime: "{}",
  });

  test("answers as the store does, refusals with their status code, and refuses calls once closed", async () => {
    const store = await StoreThread.open(azurite.connectionString, "StoreThreadHub");
    const etag = await store.createInstance(record("one", 1));
    assert.ok(etag !== undefined);
    assert.equal(
      await store.createInstance(record("one", 1)),
      undefined,
      "an existing instance is found on the thread",
    );
    await store.replaceInstance(record("one", 2), etag);
    // The commit's optimistic concurrency: the status code, which callers classify by, crosses the thread.
    assert.equal(await refusal(store.replaceInstance(record("one", 3), etag)), 412);
    assert.equal((await store.getInstance("one"))?.record.historyLength, 2);
    const events = ["a", "é".repeat(31_000)];
    await store.writeHistory("one", "e1", 0, events);
    assert.deepEqual(await store.readHistory("one", "e1", 2), events);
    await store.createInstance(record("two", 1));
    const listed: string[] = [];
    for await (const instance of store.listInstances({ instanceIdPrefix: "t" })) listed.push(instance.instanceId);
    assert.deepEqual(listed, ["two"]);
    await store.close();
    await assert.rejects(store.getInstance("one"), /closed/);
  });
});
