/**
 * What the engine knows about one orchestration instance: the bookkeeping it persists with the
 * instance row (sequence numbers, recorded actions, cancelled timers, retry chains), the shape of
 * inbox messages, the in-memory copy of an instance that is live in this process, how a call is
 * scheduled in history, and the keys that pair a scheduled task with its completion.
 */
import { randomUUID } from "node:crypto";
import { EventType, type FailureDetails, type HistoryEvent, type RetryOptions } from "../protocol.js";
import { TERMINAL_STATUSES, type InstanceRecord, type RuntimeStatus } from "../store.js";

/** The engine's bookkeeping for one execution, persisted with the instance row. */
export interface RuntimeState {
  /** The next sequence number the SDK will assign. */
  nextSequence: number;
  /** One entry per distinct action seen so far, in the SDK's order. */
  actions: { type: number; id: number; name?: string }[];
  /** Timers (by id) that must not fire: cancelled by the orchestrator. */
  canceledTimers: number[];
  /** Retry chains, keyed by the id of the task or retry timer currently outstanding. */
  retries: Record<string, RetryChain>;
  /** Polled callHttp tasks: the call or poll timer outstanding, by id (see http-calls.ts). */
  httpPolls: Record<string, HttpPoll>;
  /**
   * The entities the orchestration has asked to lock and not released yet (acquired or not): the
   * SDK's release takes one sequence number per entity, and the host releases them when the
   * orchestration ends holding them (see entities.ts).
   */
  heldLock?: HeldLock;
}

export interface HeldLock {
  /** The lock request id, which names the EventRaised that grants it. */
  id: string;
  /** Scheduler ids, in the order the SDK sorted them (the order of acquisition). */
  entities: string[];
}

export type HttpPoll = { phase: "call" } | { phase: "timer"; callId: number; request: { method: string; uri: string } };

/** An activity or sub-orchestration call, as scheduled in history. */
export interface ScheduledCall {
  kind: "activity" | "orchestration";
  name: string;
  inputJson: string;
  /** For sub-orchestrations: the caller's instance id, if it gave one. */
  instanceId?: string;
}

/**
 * The history event that schedules a call under sequence number `id`. A sub-orchestration the
 * caller gave no id is named `<parent id>:<task id, 8 digits>`.
 */
export function callScheduledEvent(
  call: ScheduledCall,
  id: number,
  now: string,
  parentInstanceId: string,
): HistoryEvent {
  if (call.kind === "activity") {
    return {
      EventType: EventType.TaskScheduled,
      EventId: id,
      IsPlayed: false,
      Timestamp: now,
      Name: call.name,
      Input: call.inputJson,
    };
  }
  return {
    EventType: EventType.SubOrchestrationInstanceCreated,
    EventId: id,
    IsPlayed: false,
    Timestamp: now,
    Name: call.name,
    Input: call.inputJson,
    InstanceId: call.instanceId ?? `${parentInstanceId}:${String(id).padStart(8, "0")}`,
  };
}

export interface RetryChain extends ScheduledCall {
  options: RetryOptions;
  /** The attempt that is running (phase task) or that failed last (phase timer). */
  attempt: number;
  phase: "task" | "timer";
  firstAttemptAt: string;
  /**
   * Set when an attempt failed after `retryTimeoutInMilliseconds`: the remaining attempts are
   * failed at once with this failure instead of running (see retries.ts).
   */
  timedOut?: FailureDetails;
}

/** An inbox message body. */
export type Message =
  | { kind: "event"; event: HistoryEvent }
  | { kind: "terminate"; reason: string }
  | { kind: "suspend"; reason: string }
  | { kind: "resume"; reason: string };

/** A message on its way to an inbox, under its row key. */
export interface Delivery {
  key: string;
  message: Message;
}

export interface LiveInstance {
  record: InstanceRecord;
  etag: string;
  /** Committed history as JSON text (IsPlayed true), in order. */
  history: string[];
  /** Keys of completions already in history, to drop duplicate deliveries. */
  completed: Set<string>;
  runtime: RuntimeState;
  inbox: Map<string, Message>;
  /** An episode loop is running for this copy. */
  busy: boolean;
  /** Something arrived while busy: the loop runs another episode. */
  again: boolean;
}

export const isTerminal = (status: RuntimeStatus): boolean => TERMINAL_STATUSES.includes(status);
export const emptyRuntime = (): RuntimeState => ({
  nextSequence: 0,
  actions: [],
  canceledTimers: [],
  retries: {},
  httpPolls: {},
});
/** A fresh instance or execution id, in the 32-hex-digit form the Durable extension uses. */
export const newId = (): string => randomUUID().replaceAll("-", "");

/** The inbox key of a completion: the same for every delivery of it, so duplicates collide. */
export const completionKey = (event: HistoryEvent): string | undefined => {
  switch (event.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
      return `task:${String(event.TaskScheduledId)}`;
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return `sub:${String(event.TaskScheduledId)}`;
    case EventType.TimerFired:
      return `timer:${String(event.TimerId)}`;
    default:
      return undefined;
  }
};

/** The completion key a scheduling event waits for (see completionKey). */
export const awaitedCompletionKey = (event: HistoryEvent): string | undefined => {
  switch (event.EventType) {
    case EventType.TaskScheduled:
      return `task:${event.EventId}`;
    case EventType.SubOrchestrationInstanceCreated:
      return `sub:${event.EventId}`;
    case EventType.TimerCreated:
      return `timer:${event.EventId}`;
    default:
      return undefined;
  }
};

/** A Pending instance row for a new execution; a child names its parent and the parent's task id. */
export function newInstanceRecord(
  instanceId: string,
  name: string,
  inputJson: string | undefined,
  parent?: { instanceId: string; taskId: number },
): InstanceRecord {
  const now = new Date().toISOString();
  return {
    instanceId,
    name,
    runtimeStatus: "Pending",
    input: inputJson,
    createdTime: now,
    lastUpdatedTime: now,
    executionId: newId(),
    historyLength: 0,
    ...(parent && { parentInstanceId: parent.instanceId, parentTaskId: parent.taskId }),
    parentNotified: parent === undefined,
    runtime: JSON.stringify(emptyRuntime()),
  };
}

/** The in-memory copy of an instance, rebuilt from its committed row, history and inbox. */
export function toLiveInstance(
  record: InstanceRecord,
  etag: string,
  history: string[],
  inbox: Map<string, Message>,
): LiveInstance {
  const completed = new Set<string>();
  for (const text of history) {
    const key = completionKey(JSON.parse(text) as HistoryEvent);
    if (key) completed.add(key);
  }
  const runtime = { ...emptyRuntime(), ...(JSON.parse(record.runtime) as Partial<RuntimeState>) };
  return { record, etag, history, completed, runtime, inbox, busy: false, again: false };
}
