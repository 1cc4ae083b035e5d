/**
 * Durable state of the local host in Azure Storage (Azurite locally), through the Azure SDK.
 *
 * Layout, per task hub:
 * - table `<hub>Instances`: one row per instance (status, input/output, the host's runtime
 *   bookkeeping). Updating this row (with its ETag) is the commit point of an episode.
 * - table `<hub>History`: partition = instance id, row = `<executionId>:<index>`; rows past the
 *   committed history length are leftovers of an interrupted episode and are overwritten.
 * - table `<hub>Inbox`: partition = instance id, one row per message not yet consumed
 *   (activity results, timer firings, raised events, start/terminate/suspend/resume). Row keys
 *   are deterministic where the message is (e.g. `task:000012`), so a duplicate is an upsert.
 * - blob container `<hub>-large`: values too large for a table property.
 */
import { randomUUID } from "node:crypto";
import { odata, TableClient, TableTransaction, type TableEntityResult } from "@azure/data-tables";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { transactionSlices } from "./table-batches.js";

/** Table string properties hold at most 64 KiB (32 K UTF-16 characters); larger values go to a blob. */
const MAX_INLINE_CHARS = 30_000;
const BLOB_REF = "@blob:";

export type RuntimeStatus =
  "Pending" | "Running" | "Completed" | "Failed" | "Terminated" | "Suspended" | "ContinuedAsNew";
export const TERMINAL_STATUSES: readonly RuntimeStatus[] = ["Completed", "Failed", "Terminated"];

export interface InstanceRecord {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  /** JSON text of the input, output and custom status (undefined when absent). */
  input?: string;
  output?: string;
  customStatus?: string;
  createdTime: string;
  lastUpdatedTime: string;
  executionId: string;
  historyLength: number;
  parentInstanceId?: string;
  /** The parent's TaskScheduledId for this sub-orchestration. */
  parentTaskId?: number;
  /** False until the parent has the completion of this sub-orchestration in its inbox. */
  parentNotified: boolean;
  /** The engine's bookkeeping, as JSON text (see RuntimeState in engine/instance-state.ts). */
  runtime: string;
}

export interface InboxMessage {
  key: string;
  /** JSON text of the message. */
  body: string;
}

export interface InstanceQuery {
  createdFrom?: Date;
  createdTo?: Date;
  statuses?: RuntimeStatus[];
  instanceIdPrefix?: string;
}

type Row = Record<string, unknown>;
type KeyedRow = Row & { partitionKey: string; rowKey: string };

export class DurableStore {
  private constructor(
    readonly hubName: string,
    private readonly instances: TableClient,
    private readonly history: TableClient,
    private readonly inbox: TableClient,
    private readonly large: ContainerClient,
  ) {}

  static async open(connectionString: string, hubName: string): Promise<DurableStore> {
    const options = { allowInsecureConnection: true };
    const table = (suffix: string) =>
      TableClient.fromConnectionString(connectionString, `${hubName}${suffix}`, options);
    const blobs = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(
      `${hubName.toLowerCase()}-large`,
    );
    const store = new DurableStore(hubName, table("Instances"), table("History"), table("Inbox"), blobs);
    await Promise.all([
      store.instances.createTable(),
      store.history.createTable(),
      store.inbox.createTable(),
      blobs.createIfNotExists(),
    ]);
    return store;
  }

  // ---- large values -------------------------------------------------------------------------

  private async pack(value: string | undefined): Promise<string | undefined> {
    if (value === undefined || value.length <= MAX_INLINE_CHARS) return value;
    const name = randomUUID();
    await this.large.getBlockBlobClient(name).upload(value, Buffer.byteLength(value));
    return BLOB_REF + name;
  }

  private async unpack(value: unknown): Promise<string | undefined> {
    if (typeof value !== "string") return undefined;
    if (!value.startsWith(BLOB_REF)) return value;
    const buffer = await this.large.getBlockBlobClient(value.slice(BLOB_REF.length)).downloadToBuffer();
    return buffer.toString("utf8");
  }

  // ---- instances ----------------------------------------------------------------------------

  private async toRow(record: InstanceRecord): Promise<KeyedRow> {
    return {
      partitionKey: record.instanceId,
      rowKey: "",
      Name: record.name,
      RuntimeStatus: record.runtimeStatus,
      Input: await this.pack(record.input),
      Output: await this.pack(record.output),
      CustomStatus: await this.pack(record.customStatus),
      CreatedTime: record.createdTime,
      LastUpdatedTime: record.lastUpdatedTime,
      ExecutionId: record.executionId,
      HistoryLength: record.historyLength,
      ParentInstanceId: record.parentInstanceId,
      ParentTaskId: record.parentTaskId,
      ParentNotified: record.parentNotified,
      Runtime: await this.pack(record.runtime),
    };
  }

  private async fromRow(row: TableEntityResult<Row>): Promise<InstanceRecord> {
    return {
      instanceId: String(row.partitionKey),
      name: String(row.Name),
      runtimeStatus: row.RuntimeStatus as RuntimeStatus,
      input: await this.unpack(row.Input),
      output: await this.unpack(row.Output),
      customStatus: await this.unpack(row.CustomStatus),
      createdTime: String(row.CreatedTime),
      lastUpdatedTime: String(row.LastUpdatedTime),
      executionId: String(row.ExecutionId),
      historyLength: Number(row.HistoryLength),
      parentInstanceId: typeof row.ParentInstanceId === "string" ? row.ParentInstanceId : undefined,
      parentTaskId: typeof row.ParentTaskId === "number" ? row.ParentTaskId : undefined,
      parentNotified: row.ParentNotified === true,
      runtime: (await this.unpack(row.Runtime)) ?? "{}",
    };
  }

  /** Returns the instance and its ETag, or undefined. */
  async getInstance(instanceId: string): Promise<{ record: InstanceRecord; etag: string } | undefined> {
    try {
      const row = await this.instances.getEntity<Row>(instanceId, "");
      return { record: await this.fromRow(row), etag: row.etag };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Creates the instance row; returns its ETag, or undefined when the instance already exists. */
  async createInstance(record: InstanceRecord): Promise<string | undefined> {
    try {
      const response = await this.instances.createEntity(await this.toRow(record));
      return response.etag;
    } catch (error) {
      if (statusOf(error) === 409) return undefined;
      throw error;
    }
  }

  /** Replaces the instance row if its ETag still matches (optimistic concurrency); returns the new ETag. */
  async replaceInstance(record: InstanceRecord, etag: string | "*"): Promise<string> {
    const response = await this.instances.updateEntity(await this.toRow(record), "Replace", { etag });
    return response.etag ?? "*";
  }

  async deleteInstance(instanceId: string): Promise<void> {
    await ignore404(this.instances.deleteEntity(instanceId, ""));
  }

  private static instanceFilter(query: InstanceQuery): string | undefined {
    const filters: string[] = [];
    if (query.createdFrom) filters.push(odata`CreatedTime ge ${query.createdFrom.toISOString()}`);
    if (query.createdTo) filters.push(odata`CreatedTime le ${query.createdTo.toISOString()}`);
    if (query.statuses && query.statuses.length > 0) {
      filters.push("(" + query.statuses.map((status) => odata`RuntimeStatus eq ${status}`).join(" or ") + ")");
    }
    if (query.instanceIdPrefix) {
      // A range of partition keys, as the Durable extension's Azure Storage backend queries a prefix:
      // only the matching rows are read.
      filters.push(
        odata`PartitionKey ge ${query.instanceIdPrefix} and PartitionKey lt ${query.instanceIdPrefix + "\uffff"}`,
      );
    }
    return filters.length > 0 ? filters.join(" and ") : undefined;
  }

  async *listInstances(query: InstanceQuery = {}): AsyncGenerator<InstanceRecord> {
    const filter = DurableStore.instanceFilter(query);
    for await (const row of this.instances.listEntities<Row>({ queryOptions: { filter } })) {
      yield await this.fromRow(row);
    }
  }

  /**
   * One page of at most `top` instances in instance id order, with the table's continuation token
   * for the next one. As with Azure Table queries, a filtered page may hold fewer rows (even none)
   * while more follow.
   */
  async listInstancePage(
    query: InstanceQuery,
    top: number,
    continuationToken?: string,
  ): Promise<{ records: InstanceRecord[]; continuationToken?: string }> {
    const filter = DurableStore.instanceFilter(query);
    const pages = this.instances
      .listEntities<Row>({ queryOptions: { filter } })
      .byPage({ maxPageSize: top, continuationToken });
    const page = await pages.next();
    if (page.done === true) return { records: [] };
    const records = await Promise.all(page.value.map((row) => this.fromRow(row)));
    return { records, ...(page.value.continuationToken ? { continuationToken: page.value.continuationToken } : {}) };
  }

  // ---- history ------------------------------------------------------------------------------

  async readHistory(instanceId: string, executionId: string, length: number): Promise<string[]> {
    const events: string[] = new Array<string>(length);
    const prefix = `${executionId}:`;
    const filter = odata`PartitionKey eq ${instanceId} and RowKey ge ${prefix} and RowKey lt ${prefix + "~"}`;
    for await (const row of this.history.listEntities<Row>({ queryOptions: { filter } })) {
      const index = Number(String(row.rowKey).slice(prefix.length));
      if (index < length) events[index] = (await this.unpack(row.Event)) ?? "null";
    }
    const missing = events.findIndex((event) => event === undefined);
    if (missing !== -1 && missing < length) {
      throw new Error(`History of instance ${instanceId} is missing event ${missing} of ${length}.`);
    }
    return events;
  }

  async writeHistory(instanceId: string, executionId: string, startIndex: number, events: string[]): Promise<void> {
    const rows: Row[] = [];
    for (let i = 0; i < events.length; i++) {
      rows.push({
        partitionKey: instanceId,
        rowKey: `${executionId}:${String(startIndex + i).padStart(8, "0")}`,
        Event: await this.pack(events[i]),
      });
    }
    await this.upsertInBatches(this.history, instanceId, rows);
  }

  async deleteHistory(instanceId: string): Promise<number> {
    const keys: string[] = [];
    for await (const row of this.history.listEntities<Row>({
      queryOptions: { filter: odata`PartitionKey eq ${instanceId}`, select: ["RowKey"] },
    })) {
      keys.push(String(row.rowKey));
    }
    await this.deleteInBatches(this.history, instanceId, keys);
    return keys.length;
  }

  // ---- inbox --------------------------------------------------------------------------------

  async putInbox(instanceId: string, messages: InboxMessage[]): Promise<void> {
    const rows: Row[] = [];
    for (const message of messages) {
      rows.push({ partitionKey: instanceId, rowKey: message.key, Body: await this.pack(message.body) });
    }
    await this.upsertInBatches(this.inbox, instanceId, rows);
  }

  async deleteInbox(instanceId: string, keys: string[]): Promise<void> {
    await this.deleteInBatches(this.inbox, instanceId, keys);
  }

  /** The unconsumed messages of one instance. */
  async readInbox(instanceId: string): Promise<InboxMessage[]> {
    const messages: InboxMessage[] = [];
    for await (const row of this.inbox.listEntities<Row>({
      queryOptions: { filter: odata`PartitionKey eq ${instanceId}` },
    })) {
      messages.push({ key: String(row.rowKey), body: (await this.unpack(row.Body)) ?? "null" });
    }
    return messages;
  }

  /** Every unconsumed message, grouped by instance (tests inspect storage with it). */
  async readAllInboxes(): Promise<Map<string, InboxMessage[]>> {
    const byInstance = new Map<string, InboxMessage[]>();
    for await (const row of this.inbox.listEntities<Row>()) {
      const instanceId = String(row.partitionKey);
      const list = byInstance.get(instanceId) ?? [];
      list.push({ key: String(row.rowKey), body: (await this.unpack(row.Body)) ?? "null" });
      byInstance.set(instanceId, list);
    }
    return byInstance;
  }

  // ---- batching -----------------------------------------------------------------------------

  /** Rows of one partition in table transactions within Azure's limits, submitted concurrently (they are independent). */
  private async upsertInBatches(table: TableClient, partition: string, rows: Row[]): Promise<void> {
    if (rows.length === 1) {
      await table.upsertEntity(rows[0] as KeyedRow, "Replace");
      return;
    }
    await Promise.all(
      transactionSlices(rows).map((slice) => {
        const transaction = new TableTransaction();
        for (const row of slice) {
          transaction.upsertEntity({ ...row, partitionKey: partition, rowKey: String(row.rowKey) }, "Replace");
        }
        return table.submitTransaction(transaction.actions);
      }),
    );
  }

  private async deleteInBatches(table: TableClient, partition: string, keys: string[]): Promise<void> {
    const deleteSlice = async (slice: string[]): Promise<void> => {
      if (slice.length === 1) {
        await ignore404(table.deleteEntity(partition, slice[0] as string));
        return;
      }
      const transaction = new TableTransaction();
      for (const key of slice) transaction.deleteEntity(partition, key);
      try {
        await table.submitTransaction(transaction.actions);
      } catch (error) {
        // A batch fails whole when one row is already gone (a retry after a crash): delete one by one.
        if (statusOf(error) !== 404) throw error;
        for (const key of slice) await ignore404(table.deleteEntity(partition, key));
      }
    };
    // A delete's body is empty: only the operation count bounds these slices.
    await Promise.all(transactionSlices(keys, () => 0).map(deleteSlice));
  }
}

export function statusOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "statusCode" in error) {
    const status = (error as { statusCode: unknown }).statusCode;
    return typeof status === "number" ? status : undefined;
  }
  return undefined;
}

async function ignore404(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}
