/**
 * Runs orchestrations and activities on the durable store, replaying every orchestration through
 * the SDK's own orchestrator handler (never a re-implementation of generator replay).
 *
 * Crash safety rests on one rule: everything the engine must still do is derivable from what is
 * committed. An episode commits by (1) writing its new history rows, (2) replacing the instance
 * row with its ETag, (3) deleting the inbox messages it consumed. Work it starts afterwards
 * (activities, timers, sub-orchestrations, notifying a parent) is re-derived from history on
 * restart: a scheduled task without a completion in history or inbox runs again (at least once);
 * one whose completion is recorded does not.
 */
import { randomUUID } from "node:crypto";
import type { LoadedApp } from "./app-loader.js";
import { invokeFunction, registeredModel } from "./invoke.js";
import {
  ActionType,
  EventType,
  actionInputJson,
  flattenActions,
  orchestratorTrigger,
  parseOrchestratorFailure,
  type FailureDetails,
  type HistoryEvent,
  type OrchestratorState,
} from "./protocol.js";
import { DurableStore, type InboxMessage, type InstanceRecord, type RuntimeStatus } from "./store.js";
import { recordActions } from "./engine/actions.js";
import { ActivityRunner } from "./engine/activities.js";
import { BackgroundWork } from "./engine/background-work.js";
import { CompletionOutbox } from "./engine/completion-outbox.js";
import {
  completionKey,
  emptyRuntime,
  isTerminal,
  newId,
  newInstanceRecord,
  toLiveInstance,
  type LiveInstance,
  type Delivery,
  type Message,
  type RuntimeState,
} from "./engine/instance-state.js";
import { advanceRetry, isRetryEvent } from "./engine/retries.js";
import { TerminalWaiters } from "./engine/terminal-waiters.js";
import { DurableTimers } from "./engine/timers.js";

export interface EngineOptions {
  maxConcurrentActivities?: number;
  log?: (line: string) => void;
}

export class StartConflictError extends Error {}
export class UnknownOrchestratorError extends Error {}

export class Engine {
  private readonly live = new Map<string, LiveInstance>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly log: (line: string) => void;
  private readonly work = new BackgroundWork();
  private readonly timers: DurableTimers;
  private readonly activities: ActivityRunner;
  private readonly waiters = new TerminalWaiters();

  constructor(
    private readonly app: LoadedApp,
    readonly store: DurableStore,
    options: EngineOptions = {},
  ) {
    this.log = options.log ?? (() => undefined);
    const outbox = new CompletionOutbox(this.work, this.log, (instanceId, deliveries) => this.deliver(instanceId, deliveries));
    this.timers = new DurableTimers(this.work, (instanceId, completion) => outbox.post(instanceId, completion));
    this.activities = new ActivityRunner(app, options.maxConcurrentActivities ?? 200, this.work, outbox, (instanceId, executionId) => {
      const live = this.live.get(instanceId);
      return live !== undefined && live.record.executionId !== executionId;
    });
  }

  // ---- public API (used by the management API) -----------------------------------------------

  orchestratorNames(): string[] {
    return [...this.app.servable.values()].filter((fn) => fn.kind === "orchestration").map((fn) => fn.metadata.name);
  }

  /** Creates and starts an instance. A terminal instance with the same id is replaced. */
  async startNew(name: string, instanceId: string | undefined, inputJson: string | undefined): Promise<string> {
    const fn = this.app.servable.get(name);
    if (!fn || fn.kind !== "orchestration") {
      throw new UnknownOrchestratorError(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    }
    const record = newInstanceRecord(instanceId ?? newId(), name, inputJson);
    const id = record.instanceId;
    let etag = await this.store.createInstance(record);
    if (etag === undefined) {
      const existing = await this.store.getInstance(id);
      if (existing && !isTerminal(existing.record.runtimeStatus)) {
        throw new StartConflictError(`An instance with ID '${id}' already exists and is ${existing.record.runtimeStatus}.`);
      }
      this.dropLive(id);
      await this.store.deleteHistory(id);
      await this.store.deleteInbox(id, (await this.store.readInbox(id)).map((message) => message.key));
      etag = await this.store.replaceInstance(record, existing?.etag ?? "*");
    }
    this.adopt(record, etag, [], new Map());
    return id;
  }

  async raiseEvent(instanceId: string, eventName: string, payloadJson: string): Promise<"accepted" | "not-found" | "gone"> {
    const record = await this.currentRecord(instanceId);
    if (!record) return "not-found";
    if (isTerminal(record.runtimeStatus)) return "gone";
    const event: HistoryEvent = {
      EventType: EventType.EventRaised,
      EventId: -1,
      IsPlayed: false,
      Timestamp: new Date().toISOString(),
      Name: eventName,
      Input: payloadJson,
    };
    await this.deliver(instanceId, [{ key: `event:${Date.now().toString(36).padStart(10, "0")}:${randomUUID()}`, message: { kind: "event", event } }]);
    return "accepted";
  }

  async control(instanceId: string, kind: "terminate" | "suspend" | "resume", reason: string): Promise<"accepted" | "not-found" | "gone"> {
    const record = await this.currentRecord(instanceId);
    if (!record) return "not-found";
    if (isTerminal(record.runtimeStatus)) return "gone";
    await this.deliver(instanceId, [{ key: `${kind}:${Date.now().toString(36)}:${randomUUID()}`, message: { kind, reason } }]);
    return "accepted";
  }

  /** Deletes a terminal instance with its history and inbox; false when there is none. */
  async purge(instanceId: string): Promise<boolean> {
    const found = await this.store.getInstance(instanceId);
    if (!found || !isTerminal(found.record.runtimeStatus)) return false;
    this.dropLive(instanceId);
    await this.store.deleteHistory(instanceId);
    await this.store.deleteInstance(instanceId);
    return true;
  }

  async getHistory(instanceId: string): Promise<HistoryEvent[] | undefined> {
    const found = await this.store.getInstance(instanceId);
    if (!found) return undefined;
    const history = await this.store.readHistory(instanceId, found.record.executionId, found.record.historyLength);
    return history.map((text) => JSON.parse(text) as HistoryEvent);
  }

  /** Resolves when the instance is terminal (or the timeout passes). */
  waitForTerminal(instanceId: string, timeoutMs: number): Promise<void> {
    return this.waiters.wait(instanceId, timeoutMs, async () => {
      const record = await this.currentRecord(instanceId);
      return !record || isTerminal(record.runtimeStatus);
    });
  }

  // ---- start and stop --------------------------------------------------------------------------

  /** Loads every unfinished instance from storage and resumes its work. */
  async recover(): Promise<void> {
    const unfinished: string[] = [];
    const toNotify: InstanceRecord[] = [];
    for await (const record of this.store.listInstances()) {
      if (!isTerminal(record.runtimeStatus)) unfinished.push(record.instanceId);
      else if (!record.parentNotified) toNotify.push(record);
    }
    for (const instanceId of unfinished) await this.ensureLive(instanceId);
    for (const record of toNotify) await this.notifyParent(record);
  }

  /** Stops scheduling new work and waits for what is running. */
  async stop(): Promise<void> {
    this.work.stop();
    this.timers.clear();
    await this.work.drain();
  }

  // ---- internals -------------------------------------------------------------------------------

  private async currentRecord(instanceId: string): Promise<InstanceRecord | undefined> {
    const live = this.live.get(instanceId);
    if (live) return live.record;
    return (await this.store.getInstance(instanceId))?.record;
  }

  private dropLive(instanceId: string): void {
    this.live.delete(instanceId);
    this.timers.disarmAll(instanceId);
  }

  private adopt(record: InstanceRecord, etag: string, history: string[], inbox: Map<string, Message>): LiveInstance {
    const live = toLiveInstance(record, etag, history, inbox);
    this.live.set(record.instanceId, live);
    this.schedule(live);
    return live;
  }

  /** After a restart: re-run scheduled activities, re-arm timers, re-create children. */
  private resumeOutstandingWork(instanceId: string): void {
    const live = this.live.get(instanceId);
    if (!live) return;
    const events = live.history.map((text) => JSON.parse(text) as HistoryEvent);
    const delivered = new Set([...live.completed, ...live.inbox.keys()]);
    for (const event of events) {
      if (event.EventType === EventType.TaskScheduled && !delivered.has(`task:${event.EventId}`)) {
        this.activities.enqueue(instanceId, live.record.executionId, event.EventId, String(event.Name), String(event.Input ?? "null"));
      } else if (event.EventType === EventType.TimerCreated && !delivered.has(`timer:${event.EventId}`)) {
        if (!live.runtime.canceledTimers.includes(event.EventId)) this.timers.arm(instanceId, event.EventId, String(event.FireAt));
      } else if (event.EventType === EventType.SubOrchestrationInstanceCreated && !delivered.has(`sub:${event.EventId}`)) {
        this.work.track(this.createChild(live.record, event)).catch((error: unknown) => this.log(`could not create sub-orchestration: ${String(error)}`));
      }
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
        if (this.live.get(live.record.instanceId) !== live || this.work.stopped) return;
        await this.episode(live);
      } while (live.again && !this.work.stopped);
    } catch (error) {
      this.log(`orchestration ${live.record.instanceId}: episode failed (${error instanceof Error ? error.message : String(error)}); retrying from storage`);
      // Storage is the source of truth: retire this copy (it must never write again) and load the
      // committed state afresh a little later.
      if (this.live.get(live.record.instanceId) === live) this.dropLive(live.record.instanceId);
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

  /**
   * Makes the instance live from committed storage unless it already is. Concurrent callers share
   * one load, so an instance never has two in-memory copies (two writers would overwrite each
   * other's history rows before either commit failed).
   */
  private ensureLive(instanceId: string): Promise<void> {
    if (this.live.has(instanceId)) return Promise.resolve();
    const pending = this.loading.get(instanceId);
    if (pending) return pending;
    const load = (async () => {
      const found = await this.store.getInstance(instanceId);
      if (!found || isTerminal(found.record.runtimeStatus)) return;
      const history = await this.store.readHistory(instanceId, found.record.executionId, found.record.historyLength);
      const inbox = new Map<string, Message>();
      for (const message of await this.store.readInbox(instanceId)) inbox.set(message.key, JSON.parse(message.body) as Message);
      if (this.live.has(instanceId) || this.work.stopped) return;
      this.adopt(found.record, found.etag, history, inbox);
      this.resumeOutstandingWork(instanceId);
    })().finally(() => this.loading.delete(instanceId));
    this.loading.set(instanceId, load);
    return load;
  }

  /** One orchestrator episode: consume inbox messages, replay, commit, then start new work. */
  private async episode(live: LiveInstance): Promise<void> {
    const record = live.record;
    const now = new Date().toISOString();
    const consumed: string[] = [];
    const newEvents: HistoryEvent[] = [];
    let terminateReason: string | undefined;
    let suspendChange: "suspend" | "resume" | undefined;

    if (isTerminal(record.runtimeStatus)) {
      const stale = [...live.inbox.keys()];
      live.inbox.clear();
      if (stale.length > 0) await this.store.deleteInbox(record.instanceId, stale);
      return;
    }

    let retryEventTaken = false;
    for (const [key, message] of live.inbox) {
      if (message.kind === "terminate") {
        terminateReason = message.reason;
        consumed.push(key);
        break;
      }
      if (message.kind === "suspend" || message.kind === "resume") {
        // Events before it are processed first; the change takes its own episode.
        if (newEvents.length > 0) break;
        suspendChange = message.kind;
        consumed.push(key);
        break;
      }
      if (record.runtimeStatus === "Suspended") continue;
      const event = message.event;
      const doneKey = completionKey(event);
      if (doneKey && live.completed.has(doneKey)) {
        consumed.push(key); // a duplicate delivery (at-least-once activity run)
        continue;
      }
      if (isRetryEvent(live.runtime, event)) {
        // The SDK assigns a sequence number while it processes a retry failure or a retry timer;
        // taking one such event per episode, first, keeps the host's numbering identical to it.
        if (retryEventTaken || newEvents.length > 0) break;
        retryEventTaken = true;
      }
      newEvents.push({ ...event, IsPlayed: false });
      consumed.push(key);
    }

    if (terminateReason !== undefined) {
      await this.finish(live, consumed, now, "Terminated", JSON.stringify(terminateReason), [
        { EventType: EventType.ExecutionTerminated, EventId: -1, IsPlayed: false, Timestamp: now, Input: terminateReason },
      ]);
      return;
    }
    if (suspendChange) {
      const status: RuntimeStatus = suspendChange === "suspend" ? "Suspended" : "Running";
      const event: HistoryEvent = {
        EventType: suspendChange === "suspend" ? EventType.ExecutionSuspended : EventType.ExecutionResumed,
        EventId: -1,
        IsPlayed: false,
        Timestamp: now,
      };
      await this.commit(live, { ...record, runtimeStatus: status, lastUpdatedTime: now }, [event], consumed);
      if (live.inbox.size > 0) live.again = true;
      return;
    }

    const starting = record.historyLength === 0;
    if (!starting && newEvents.length === 0) {
      if (consumed.length > 0) {
        for (const key of consumed) live.inbox.delete(key);
        await this.store.deleteInbox(record.instanceId, consumed);
      }
      return;
    }

    const fn = this.app.servable.get(record.name);
    const episodeEvents: HistoryEvent[] = [{ EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: now }];
    if (starting) {
      episodeEvents.push({
        EventType: EventType.ExecutionStarted,
        EventId: -1,
        IsPlayed: false,
        Timestamp: now,
        Name: record.name,
        Input: record.input,
        OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: record.executionId },
        ParentInstance: record.parentInstanceId ? { OrchestrationInstance: { InstanceId: record.parentInstanceId }, TaskScheduleId: record.parentTaskId } : undefined,
      });
    }
    episodeEvents.push(...newEvents);

    const runtime: RuntimeState = structuredClone(live.runtime);
    const retryScheduled = retryEventTaken ? advanceRetry(runtime, newEvents[0] as HistoryEvent, now, record.instanceId) : [];

    if (!fn || fn.kind !== "orchestration") {
      const message = `The orchestrator function '${record.name}' does not exist in this app.`;
      await this.finish(live, consumed, now, "Failed", JSON.stringify(message), [...episodeEvents, failedEvent(now, { ErrorType: "Error", ErrorMessage: message })]);
      return;
    }

    const historyJson = "[" + [...live.history, ...episodeEvents.map((event) => JSON.stringify(event))].join(",") + "]";
    let state: OrchestratorState | undefined;
    let failure: { message: string; failureDetails?: FailureDetails } | undefined;
    try {
      const invocation = await invokeFunction(
        registeredModel(this.app),
        fn,
        { json: orchestratorTrigger(record.instanceId, record.parentInstanceId, historyJson, record.input ?? "null") },
      );
      state = invocation.result as OrchestratorState;
    } catch (error) {
      failure = parseOrchestratorFailure(error);
    }

    if (failure || !state) {
      const details = failure?.failureDetails ?? { ErrorType: "Error", ErrorMessage: failure?.message ?? "orchestrator returned nothing" };
      const message = failure?.message ?? details.ErrorMessage;
      await this.finish(live, consumed, now, "Failed", JSON.stringify(message), [...episodeEvents, ...retryScheduled, failedEvent(now, details)]);
      return;
    }

    const actions = flattenActions(state);
    const recorded = recordActions(runtime, actions, record.instanceId, now);
    for (const timerId of recorded.canceledTimers) this.timers.disarm(record.instanceId, timerId);
    if (recorded.problem) {
      await this.finish(live, consumed, now, "Failed", JSON.stringify(recorded.problem), [...episodeEvents, failedEvent(now, { ErrorType: "NonDeterministicOrchestrationError", ErrorMessage: recorded.problem })]);
      return;
    }
    const scheduled = [...retryScheduled, ...recorded.scheduled];
    const customStatus = state.customStatus === undefined ? record.customStatus : JSON.stringify(state.customStatus);

    if (state.isDone) {
      const continueAsNew = actions.find((action) => action.actionType === ActionType.ContinueAsNew);
      if (continueAsNew) {
        await this.continueAsNew(live, consumed, now, actionInputJson(continueAsNew), customStatus);
        return;
      }
      const output = JSON.stringify(state.output ?? null);
      await this.finish(live, consumed, now, "Completed", output, [
        ...episodeEvents,
        ...scheduled,
        { EventType: EventType.ExecutionCompleted, EventId: -1, IsPlayed: false, Timestamp: now, Result: output, OrchestrationStatus: "Completed" },
      ], customStatus);
      return;
    }

    const next: InstanceRecord = { ...record, runtimeStatus: "Running", lastUpdatedTime: now, customStatus, runtime: JSON.stringify(runtime) };
    await this.commit(live, next, [...episodeEvents, ...scheduled], consumed);
    live.runtime = runtime;
    this.startScheduledWork(live, scheduled);
    if (live.inbox.size > 0) live.again = true;
  }

  private async commit(live: LiveInstance, next: InstanceRecord, events: HistoryEvent[], consumed: string[]): Promise<void> {
    if (this.live.get(next.instanceId) !== live) throw new Error("this in-memory copy was retired; not writing");
    const texts = events.map((event) => JSON.stringify({ ...event, IsPlayed: true }));
    if (texts.length > 0) await this.store.writeHistory(next.instanceId, next.executionId, live.record.historyLength, texts);
    const committed: InstanceRecord = { ...next, historyLength: live.record.historyLength + texts.length };
    live.etag = await this.store.replaceInstance(committed, live.etag);
    live.record = committed;
    live.history.push(...texts);
    for (const event of events) {
      const key = completionKey(event);
      if (key) live.completed.add(key);
    }
    for (const key of consumed) live.inbox.delete(key);
    // Deleting consumed messages is housekeeping after the commit: a message that survives a
    // crash is recognised as a duplicate (its completion is in history) and dropped.
    if (consumed.length > 0) {
      this.work.track(this.store.deleteInbox(next.instanceId, consumed)).catch((error: unknown) => this.log(`inbox clean-up of ${next.instanceId} failed: ${String(error)}`));
    }
  }

  private async finish(live: LiveInstance, consumed: string[], now: string, status: RuntimeStatus, outputJson: string, events: HistoryEvent[], customStatus?: string): Promise<void> {
    const next: InstanceRecord = {
      ...live.record,
      runtimeStatus: status,
      output: outputJson,
      customStatus: customStatus ?? live.record.customStatus,
      lastUpdatedTime: now,
      parentNotified: live.record.parentInstanceId === undefined,
    };
    await this.commit(live, next, events, consumed);
    this.dropLive(live.record.instanceId);
    if (status !== "Completed") this.log(`orchestration ${live.record.instanceId} (${live.record.name}) ${status}: ${outputJson.slice(0, 300)}`);
    const leftovers = [...live.inbox.keys()];
    if (leftovers.length > 0) await this.store.deleteInbox(live.record.instanceId, leftovers);
    await this.notifyParent(live.record);
    this.waiters.release(live.record.instanceId);
  }

  private async continueAsNew(live: LiveInstance, consumed: string[], now: string, inputJson: string, customStatus: string | undefined): Promise<void> {
    const record: InstanceRecord = {
      ...live.record,
      runtimeStatus: "Running",
      input: inputJson,
      output: undefined,
      customStatus,
      lastUpdatedTime: now,
      executionId: newId(),
      historyLength: 0,
      runtime: JSON.stringify(emptyRuntime()),
    };
    const oldExecution = live.record.executionId;
    live.etag = await this.store.replaceInstance(record, live.etag);
    for (const key of consumed) live.inbox.delete(key);
    if (consumed.length > 0) await this.store.deleteInbox(record.instanceId, consumed);
    this.dropLive(record.instanceId);
    this.adopt(record, live.etag, [], live.inbox);
    this.log(`orchestration ${record.instanceId} continued as new (previous execution ${oldExecution})`);
  }

  private async notifyParent(record: InstanceRecord): Promise<void> {
    if (!record.parentInstanceId || record.parentTaskId === undefined || record.parentNotified) return;
    const now = new Date().toISOString();
    const output = record.output ?? "null";
    const event: HistoryEvent =
      record.runtimeStatus === "Completed"
        ? { EventType: EventType.SubOrchestrationInstanceCompleted, EventId: -1, IsPlayed: false, Timestamp: now, TaskScheduledId: record.parentTaskId, Result: output }
        : {
            EventType: EventType.SubOrchestrationInstanceFailed,
            EventId: -1,
            IsPlayed: false,
            Timestamp: now,
            TaskScheduledId: record.parentTaskId,
            FailureDetails: { ErrorType: "SubOrchestrationFailed", ErrorMessage: `Sub-orchestration ${record.instanceId} ${record.runtimeStatus}: ${safeParseString(output)}` },
          };
    await this.deliver(record.parentInstanceId, [{ key: `sub:${record.parentTaskId}`, message: { kind: "event", event } }]);
    const found = await this.store.getInstance(record.instanceId);
    if (found) await this.store.replaceInstance({ ...found.record, parentNotified: true }, found.etag);
  }

  /** Persists messages to an instance's inbox, then wakes the instance. */
  private async deliver(instanceId: string, messages: Delivery[]): Promise<void> {
    await this.store.putInbox(instanceId, messages.map(({ key, message }): InboxMessage => ({ key, body: JSON.stringify(message) })));
    const live = this.live.get(instanceId);
    if (live) {
      for (const { key, message } of messages) live.inbox.set(key, message);
      this.schedule(live);
    } else {
      await this.ensureLive(instanceId);
    }
  }

  private startScheduledWork(live: LiveInstance, scheduled: HistoryEvent[]): void {
    for (const event of scheduled) {
      if (event.EventType === EventType.TaskScheduled) {
        this.activities.enqueue(live.record.instanceId, live.record.executionId, event.EventId, String(event.Name), String(event.Input ?? "null"));
      } else if (event.EventType === EventType.TimerCreated) {
        if (!live.runtime.canceledTimers.includes(event.EventId)) this.timers.arm(live.record.instanceId, event.EventId, String(event.FireAt));
      } else if (event.EventType === EventType.SubOrchestrationInstanceCreated) {
        this.work.track(this.createChild(live.record, event)).catch((error: unknown) => this.log(`could not create sub-orchestration: ${String(error)}`));
      }
    }
  }

  private async createChild(parent: InstanceRecord, event: HistoryEvent): Promise<void> {
    const child = newInstanceRecord(String(event.InstanceId), String(event.Name), String(event.Input ?? "null"), { instanceId: parent.instanceId, taskId: event.EventId });
    const etag = await this.store.createInstance(child);
    if (etag !== undefined) {
      this.adopt(child, etag, [], new Map());
      return;
    }
    // Already created before a restart (or a retry reuses a caller-given id): resume or replace it.
    const existing = await this.store.getInstance(child.instanceId);
    if (!existing) return;
    if (existing.record.parentInstanceId === parent.instanceId && existing.record.parentTaskId === event.EventId) {
      if (isTerminal(existing.record.runtimeStatus)) await this.notifyParent(existing.record);
      else await this.ensureLive(child.instanceId);
      return;
    }
    if (isTerminal(existing.record.runtimeStatus)) {
      await this.store.deleteHistory(child.instanceId);
      const replaced = await this.store.replaceInstance(child, existing.etag);
      this.adopt(child, replaced, [], new Map());
      return;
    }
    await this.deliver(parent.instanceId, [{
      key: `sub:${event.EventId}`,
      message: {
        kind: "event",
        event: {
          EventType: EventType.SubOrchestrationInstanceFailed,
          EventId: -1,
          IsPlayed: false,
          Timestamp: child.createdTime,
          TaskScheduledId: event.EventId,
          FailureDetails: { ErrorType: "InvalidOperationError", ErrorMessage: `An instance with ID '${child.instanceId}' already exists and is running.` },
        },
      },
    }]);
  }
}

function failedEvent(now: string, details: FailureDetails): HistoryEvent {
  return { EventType: EventType.ExecutionFailed, EventId: -1, IsPlayed: false, Timestamp: now, Reason: details.ErrorMessage, FailureDetails: details, OrchestrationStatus: "Failed" };
}

function safeParseString(json: string): string {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === "string" ? value : json;
  } catch {
    return json;
  }
}
