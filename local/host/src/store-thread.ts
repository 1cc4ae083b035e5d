/**
 * The durable store on a thread of its own. Under the Functions host the Durable extension's
 * storage work (Azure Storage requests: building and signing them, writing and parsing their
 * bodies) runs in the host process, not on the Node.js worker's thread that runs the app's HTTP
 * triggers, orchestrator replays and activities. Here the store would otherwise share that one
 * thread: profiled during a 24-region rollout, its requests to Azurite (through the Azure SDK and
 * Node's HTTP client) were the largest part of the host's busy time, and an HTTP trigger that
 * arrived meanwhile waited for them (docs/performance.md, status under load). On this thread each
 * store operation is one message each way; the store itself (store.ts) is unchanged, and so is
 * what it commits and when: the engine awaits every operation as before, so crash safety (the
 * commit order in engine.ts) holds as it did. The thread dies with the process.
 */
import { once } from "node:events";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { DurableStore, InstanceQuery, InstanceRecord } from "./store.js";

/** The store's operations the engine and the management API use, each one message to the thread. */
type Operation = Extract<
  keyof DurableStore,
  | "getInstance"
  | "createInstance"
  | "replaceInstance"
  | "deleteInstance"
  | "listInstancePage"
  | "readHistory"
  | "writeHistory"
  | "deleteHistory"
  | "putInbox"
  | "deleteInbox"
  | "readInbox"
>;

/** What the engine and the management API use of a store: DurableStore itself, or this thread of it. */
export type TaskHubStore = Pick<DurableStore, Operation | "hubName" | "listInstances">;

/** Every instance at once, for listInstances: an async generator cannot cross threads. */
const LIST_ALL = "listAllInstances";

export interface StoreCall {
  id: number;
  operation: Operation | typeof LIST_ALL;
  args: unknown[];
}

/** An error as it crosses the thread: what store callers classify by (the status code) survives. */
export interface ThreadError {
  name: string;
  message: string;
  stack?: string;
  statusCode?: number;
}

export type StoreReply = { id: number; value: unknown } | { id: number; error: ThreadError };

/** What the thread sends once, before any reply: the store is open, or why it is not. */
export type StoreOpened = { opened: true } | { opened: false; error: ThreadError };

export interface StoreThreadData {
  connectionString: string;
  hubName: string;
}

export function toThreadError(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    ...(typeof statusCode === "number" ? { statusCode } : {}),
  };
}

function fromThreadError(error: ThreadError): Error {
  return Object.assign(new Error(error.message), error);
}

/** Runs one call on the thread's store. */
export async function runCall(store: DurableStore, call: StoreCall): Promise<unknown> {
  if (call.operation === LIST_ALL) {
    const records: InstanceRecord[] = [];
    for await (const record of store.listInstances(...(call.args as [InstanceQuery?]))) records.push(record);
    return records;
  }
  const operation = store[call.operation] as (...args: unknown[]) => Promise<unknown>;
  return operation.apply(store, call.args);
}

export class StoreThread implements TaskHubStore {
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  /** Why the thread is gone, once it is: every call after that fails with it. */
  private stopped: Error | undefined;

  readonly getInstance = this.forward("getInstance");
  readonly createInstance = this.forward("createInstance");
  readonly replaceInstance = this.forward("replaceInstance");
  readonly deleteInstance = this.forward("deleteInstance");
  readonly listInstancePage = this.forward("listInstancePage");
  readonly readHistory = this.forward("readHistory");
  readonly writeHistory = this.forward("writeHistory");
  readonly deleteHistory = this.forward("deleteHistory");
  readonly putInbox = this.forward("putInbox");
  readonly deleteInbox = this.forward("deleteInbox");
  readonly readInbox = this.forward("readInbox");

  private constructor(
    readonly hubName: string,
    private readonly worker: Worker,
  ) {
    worker.on("message", (reply: StoreReply) => this.settle(reply));
    worker.on("error", (error) => this.stop(error));
    worker.on("exit", (code) => this.stop(new Error(`the store thread exited (code ${code})`)));
  }

  /** Starts the thread and opens the store on it (creating the task hub's tables and container). */
  static async open(connectionString: string, hubName: string): Promise<StoreThread> {
    const worker = new Worker(path.join(__dirname, "store-worker.js"), {
      workerData: { connectionString, hubName } satisfies StoreThreadData,
    });
    // once() rejects on the thread's 'error' (a failure to load the store module, say).
    const [opened] = (await once(worker, "message").catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    })) as [StoreOpened];
    if (!opened.opened) {
      await worker.terminate();
      throw fromThreadError(opened.error);
    }
    // Like the sockets of a store in this thread, an idle store thread does not keep the process alive.
    worker.unref();
    return new StoreThread(hubName, worker);
  }

  async *listInstances(query: InstanceQuery = {}): AsyncGenerator<InstanceRecord> {
    yield* (await this.call(LIST_ALL, [query])) as InstanceRecord[];
  }

  async close(): Promise<void> {
    this.stop(new Error("the store is closed"));
    await this.worker.terminate();
  }

  private forward<K extends Operation>(operation: K): DurableStore[K] {
    return ((...args: unknown[]) => this.call(operation, args)) as DurableStore[K];
  }

  private call(operation: StoreCall["operation"], args: unknown[]): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // An operation under way keeps the process alive, as its socket would on this thread.
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, operation, args } satisfies StoreCall);
    });
  }

  private settle(reply: StoreReply): void {
    const waiting = this.pending.get(reply.id);
    if (waiting === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if ("error" in reply) waiting.reject(fromThreadError(reply.error));
    else waiting.resolve(reply.value);
  }

  private stop(reason: Error): void {
    this.stopped ??= reason;
    for (const { reject } of this.pending.values()) reject(this.stopped);
    this.pending.clear();
  }
}
