/**
 * The instances live in this process: at most one in-memory copy of each, loaded from committed
 * storage on demand, woken when a message reaches its inbox, and driven by a loop that runs one
 * episode at a time per instance. A copy whose episode fails is retired and loaded afresh, since
 * storage, not memory, is the source of truth.
 */
import type { InboxMessage, InstanceRecord } from "../store.js";
import type { TaskHubStore } from "../store-thread.js";
import type { BackgroundWork } from "./background-work.js";
import { isTerminal, toLiveInstance, type Delivery, type LiveInstance, type Message } from "./instance-state.js";
import type { DurableTimers } from "./timers.js";

export interface EpisodeRunner {
  runEpisode(live: LiveInstance): Promise<void>;
  /** Starts again what a freshly loaded instance had started before (activities, timers, children). */
  resumeWork(live: LiveInstance): void;
}

export class LiveInstances {
  private readonly live = new Map<string, LiveInstance>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly store: TaskHubStore,
    private readonly work: BackgroundWork,
    private readonly timers: DurableTimers,
    private readonly log: (line: string) => void,
    private readonly runner: EpisodeRunner,
  ) {}

  async currentRecord(instanceId: string): Promise<InstanceRecord | undefined> {
    const live = this.live.get(instanceId);
    if (live) return live.record;
    return (await this.store.getInstance(instanceId))?.record;
  }

  /** False once the copy is retired: it must never write again. */
  isCurrent(live: LiveInstance): boolean {
    return this.live.get(live.record.instanceId) === live;
  }

  isSuperseded(instanceId: string, executionId: string): boolean {
    const live = this.live.get(instanceId);
    return live !== undefined && live.record.executionId !== executionId;
  }

  /** Makes a committed instance live and schedules its first episode. */
  adopt(record: InstanceRecord, etag: string, history: string[], inbox: Map<string, Message>): LiveInstance {
    const live = toLiveInstance(record, etag, history, inbox);
    this.live.set(record.instanceId, live);
    this.schedule(live);
    return live;
  }

  /** Forgets the in-memory copy (and its timers); storage keeps the instance. */
  drop(instanceId: string): void {
    this.live.delete(instanceId);
    this.timers.disarmAll(instanceId);
  }

  /**
   * Makes the instance live from committed storage unless it already is. Concurrent callers share
   * one load, so an instance never has two in-memory copies (two writers would overwrite each
   * other's history rows before either commit failed).
   */
  ensureLive(instanceId: string): Promise<void> {
    if (this.live.has(instanceId)) return Promise.resolve();
    const pending = this.loading.get(instanceId);
    if (pending) return pending;
    const load = (async () => {
      const found = await this.store.getInstance(instanceId);
      if (!found || isTerminal(found.record.runtimeStatus)) return;
      const history = await this.store.readHistory(instanceId, found.record.executionId, found.record.historyLength);
      const inbox = new Map<string, Message>();
      for (const message of await this.store.readInbox(instanceId))
        inbox.set(message.key, JSON.parse(message.body) as Message);
      if (this.live.has(instanceId) || this.work.stopped) return;
      this.runner.resumeWork(this.adopt(found.record, found.etag, history, inbox));
    })().finally(() => this.loading.delete(instanceId));
    this.loading.set(instanceId, load);
    return load;
  }

  /** Persists messages to an instance's inbox, then wakes the instance. */
  async deliver(instanceId: string, deliveries: Delivery[]): Promise<void> {
    await this.store.putInbox(
      instanceId,
      deliveries.map(({ key, message }): InboxMessage => ({ key, body: JSON.stringify(message) })),
    );
    const live = this.live.get(instanceId);
    if (live) {
      for (const { key, message } of deliveries) live.inbox.set(key, message);
      this.schedule(live);
    } else {
      await this.ensureLive(instanceId);
    }
  }

  private schedule(live: LiveInstance): void {
    if (this.work.stopped) return;
    if (live.busy) {
      live.again = true;
      return;
    }
    live.busy = true;
    setImmediate(() => {
      this.work.track(this.runEpisodes(live));
    });
  }

  private async runEpisodes(live: LiveInstance): Promise<void> {
    try {
      do {
        live.again = false;
        if (!this.isCurrent(live) || this.work.stopped) return;
        await this.runner.runEpisode(live);
      } while (live.again && !this.work.stopped);
    } catch (error) {
      this.log(
        `orchestration ${live.record.instanceId}: episode failed (${error instanceof Error ? error.message : String(error)}); retrying from storage`,
      );
      // Retire this copy (it must never write again) and load the committed state a little later.
      if (this.isCurrent(live)) this.drop(live.record.instanceId);
      this.retryLoad(live.record.instanceId, 500);
    } finally {
      live.busy = false;
    }
  }

  private retryLoad(instanceId: string, delayMs: number): void {
    setTimeout(() => {
      if (this.work.stopped) return;
      this.work.track(this.ensureLive(instanceId)).catch((error: unknown) => {
        this.log(`orchestration ${instanceId}: could not load from storage (${String(error)}); retrying`);
        this.retryLoad(instanceId, Math.min(delayMs * 2, 10_000));
      });
    }, delayMs);
  }
}
