/**
 * One orchestrator episode: take the waiting inbox messages, replay the whole history plus the
 * new events through the SDK's own orchestrator handler (never a re-implementation of generator
 * replay), record the actions it returns, commit, and only then start the work it scheduled.
 * Terminate, suspend and resume are episodes of their own that do not replay.
 */
import { invokeFunction } from "../invoke.js";
import {
  ActionType,
  EventType,
  actionInputJson,
  failureFields,
  flattenActions,
  orchestratorTrigger,
  parseOrchestratorFailure,
  type FailureDetails,
  type HistoryEvent,
  type OrchestratorState,
} from "../protocol.js";
import type { InstanceRecord } from "../store.js";
import { recordActions } from "./actions.js";
import { commit, continueAsNew, finish, type Episode } from "./commit.js";
import type { EngineContext } from "./context.js";
import { completionKey, isTerminal, type LiveInstance, type Message, type RuntimeState } from "./instance-state.js";
import { advancePolls, isPollingResponse } from "./http-calls.js";
import { advanceRetry, isRetryEvent } from "./retries.js";
import { startScheduledWork } from "./scheduled-work.js";

/** The inbox messages an episode takes, in inbox order. */
interface TakenMessages {
  consumed: string[];
  events: HistoryEvent[];
  /** events[0] is a retry event or a polled 202 (see retries.ts, http-calls.ts). */
  retryEventFirst: boolean;
  /** A terminate, suspend or resume message, which ends the taking. */
  control?: Exclude<Message, { kind: "event" }>;
}

export async function runEpisode(ctx: EngineContext, live: LiveInstance): Promise<void> {
  const record = live.record;
  const now = new Date().toISOString();
  if (isTerminal(record.runtimeStatus)) {
    const stale = [...live.inbox.keys()];
    live.inbox.clear();
    if (stale.length > 0) await ctx.store.deleteInbox(record.instanceId, stale);
    return;
  }
  const taken = takeMessages(live);
  const episode: Episode = { ctx, live, now, consumed: taken.consumed };
  if (taken.control?.kind === "terminate") {
    const reason = taken.control.reason;
    await finish(episode, "Terminated", JSON.stringify(reason), [
      { EventType: EventType.ExecutionTerminated, EventId: -1, IsPlayed: false, Timestamp: now, Input: reason },
    ]);
    return;
  }
  if (taken.control) {
    const suspend = taken.control.kind === "suspend";
    const event: HistoryEvent = {
      EventType: suspend ? EventType.ExecutionSuspended : EventType.ExecutionResumed,
      EventId: -1,
      IsPlayed: false,
      Timestamp: now,
    };
    await commit(episode, { ...record, runtimeStatus: suspend ? "Suspended" : "Running", lastUpdatedTime: now }, [
      event,
    ]);
    if (live.inbox.size > 0) live.again = true;
    return;
  }
  if (record.historyLength > 0 && taken.events.length === 0) {
    // Only duplicates (or nothing) arrived: no replay, just clear them away.
    if (taken.consumed.length > 0) {
      for (const key of taken.consumed) live.inbox.delete(key);
      await ctx.store.deleteInbox(record.instanceId, taken.consumed);
    }
    return;
  }
  await replay(episode, taken);
}

function takeMessages(live: LiveInstance): TakenMessages {
  const taken: TakenMessages = { consumed: [], events: [], retryEventFirst: false };
  for (const [key, message] of live.inbox) {
    if (message.kind === "terminate") {
      taken.consumed.push(key);
      return { ...taken, control: message };
    }
    if (message.kind === "suspend" || message.kind === "resume") {
      // Events before it are processed first; the change takes its own episode.
      if (taken.events.length > 0) break;
      taken.consumed.push(key);
      return { ...taken, control: message };
    }
    if (live.record.runtimeStatus === "Suspended") continue;
    const doneKey = completionKey(message.event);
    if (doneKey && live.completed.has(doneKey)) {
      taken.consumed.push(key); // a duplicate delivery (at-least-once activity run)
      continue;
    }
    if (isRetryEvent(live.runtime, message.event) || isPollingResponse(live.runtime, message.event)) {
      // The SDK assigns sequence numbers while it processes a retry event or a polled 202;
      // taking one per episode, first, keeps the host's numbering identical to it.
      if (taken.retryEventFirst || taken.events.length > 0) break;
      taken.retryEventFirst = true;
    }
    taken.events.push({ ...message.event, IsPlayed: false });
    taken.consumed.push(key);
  }
  return taken;
}

/** Replays the instance with the taken events and writes where that leaves it. */
async function replay(episode: Episode, taken: TakenMessages): Promise<void> {
  const { ctx, live, now } = episode;
  const record = live.record;
  const episodeEvents = [...startEvents(record, now), ...taken.events];
  const runtime: RuntimeState = structuredClone(live.runtime);
  const hostScheduled = [
    ...(taken.retryEventFirst ? advanceRetry(runtime, taken.events[0] as HistoryEvent, now, record.instanceId) : []),
    ...advancePolls(runtime, taken.events, now),
  ];

  const fn = ctx.app.servable.get(record.name);
  if (!fn || fn.kind !== "orchestration") {
    const message = `The orchestrator function '${record.name}' does not exist in this app.`;
    await finish(episode, "Failed", JSON.stringify(message), [
      ...episodeEvents,
      failedEvent(now, { ErrorType: "Error", ErrorMessage: message }),
    ]);
    return;
  }
  // What follows runs without a pause until the SDK answers: one such stretch per event-loop turn.
  await ctx.replayTurns.next();
  const historyJson = "[" + [...live.history, ...episodeEvents.map((event) => JSON.stringify(event))].join(",") + "]";
  let state: OrchestratorState | undefined;
  let failure: { message: string; failureDetails?: FailureDetails } | undefined;
  try {
    const invocation = await invokeFunction(
      ctx.app.registry,
      fn,
      { json: orchestratorTrigger(record.instanceId, record.parentInstanceId, historyJson, record.input ?? "null") },
      { log: ctx.log },
    );
    state = invocation.result as OrchestratorState;
  } catch (error) {
    failure = parseOrchestratorFailure(error);
  }
  if (failure || !state) {
    const details = failure?.failureDetails ?? {
      ErrorType: "Error",
      ErrorMessage: failure?.message ?? "orchestrator returned nothing",
    };
    await finish(episode, "Failed", JSON.stringify(failure?.message ?? details.ErrorMessage), [
      ...episodeEvents,
      ...hostScheduled,
      failedEvent(now, details),
    ]);
    return;
  }

  const actions = flattenActions(state);
  const recorded = recordActions(runtime, actions, record.instanceId, now);
  for (const timerId of recorded.canceledTimers) ctx.timers.disarm(record.instanceId, timerId);
  if (recorded.problem) {
    await finish(episode, "Failed", JSON.stringify(recorded.problem), [
      ...episodeEvents,
      failedEvent(now, { ErrorType: "NonDeterministicOrchestrationError", ErrorMessage: recorded.problem }),
    ]);
    return;
  }
  const scheduled = [...hostScheduled, ...recorded.scheduled];
  const customStatus = state.customStatus === undefined ? record.customStatus : JSON.stringify(state.customStatus);
  if (state.isDone) {
    const continued = actions.find((action) => action.actionType === ActionType.ContinueAsNew);
    if (continued) {
      await continueAsNew(episode, actionInputJson(continued), customStatus, runtime);
      sendMessages(ctx, live, scheduled);
      return;
    }
    const output = JSON.stringify(state.output ?? null);
    const completed: HistoryEvent = {
      EventType: EventType.ExecutionCompleted,
      EventId: -1,
      IsPlayed: false,
      Timestamp: now,
      Result: output,
      OrchestrationStatus: "Completed",
    };
    await finish(episode, "Completed", output, [...episodeEvents, ...scheduled, completed], customStatus, runtime);
    sendMessages(ctx, live, scheduled);
    return;
  }
  await commit(
    episode,
    { ...record, runtimeStatus: "Running", lastUpdatedTime: now, customStatus, runtime: JSON.stringify(runtime) },
    [...episodeEvents, ...scheduled],
  );
  live.runtime = runtime;
  startScheduledWork(ctx, live, scheduled);
  if (live.inbox.size > 0) live.again = true;
}

/**
 * The last episode's signals and lock releases still go out, as the extension sends an ending
 * orchestration's messages; tasks it scheduled and never awaited do not start.
 */
function sendMessages(ctx: EngineContext, live: LiveInstance, scheduled: HistoryEvent[]): void {
  startScheduledWork(
    ctx,
    live,
    scheduled.filter((event) => event.EventType === EventType.EventSent),
  );
}

/** OrchestratorStarted opens every episode; the first also carries ExecutionStarted. */
function startEvents(record: InstanceRecord, now: string): HistoryEvent[] {
  const events: HistoryEvent[] = [
    { EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: now },
  ];
  if (record.historyLength > 0) return events;
  events.push({
    EventType: EventType.ExecutionStarted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: now,
    Name: record.name,
    Input: record.input,
    OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: record.executionId },
    ParentInstance: record.parentInstanceId
      ? { OrchestrationInstance: { InstanceId: record.parentInstanceId }, TaskScheduleId: record.parentTaskId }
      : undefined,
  });
  return events;
}

function failedEvent(now: string, details: FailureDetails): HistoryEvent {
  return {
    EventType: EventType.ExecutionFailed,
    EventId: -1,
    IsPlayed: false,
    Timestamp: now,
    ...failureFields(details),
    OrchestrationStatus: "Failed",
  };
}
