/**
 * Starts the work a committed episode scheduled: activities, timers and child instances. An
 * instance loaded from storage gets the same for every scheduled task whose completion is neither
 * in history nor in its inbox: the re-derivation the crash-safety rule in engine.ts relies on.
 * A retry attempt skipped for its retry timeout completes with its failure instead of running.
 */
import { EventType, type HistoryEvent } from "../protocol.js";
import { createChild } from "./children.js";
import { entityAnswerKey, type EntityRequest } from "./entities.js";
import type { EngineContext } from "./context.js";
import { awaitedCompletionKey, completionKey, type LiveInstance } from "./instance-state.js";
import { skippedAttempt } from "./retries.js";

export function startScheduledWork(ctx: EngineContext, live: LiveInstance, scheduled: HistoryEvent[]): void {
  const { instanceId, executionId } = live.record;
  for (const event of scheduled) {
    const skipped = skippedAttempt(live.runtime, event);
    if (skipped) {
      const key = completionKey(skipped) as string;
      ctx.work
        .track(ctx.instances.deliver(instanceId, [{ key, message: { kind: "event", event: skipped } }]))
        .catch((error: unknown) => ctx.log(`could not fail a skipped retry attempt: ${String(error)}`));
    } else if (event.EventType === EventType.TaskScheduled) {
      ctx.activities.enqueue(instanceId, executionId, event.EventId, String(event.Name), String(event.Input ?? "null"));
    } else if (event.EventType === EventType.EventSent) {
      ctx.entities.sendRecorded(event);
    } else if (event.EventType === EventType.TimerCreated) {
      if (!live.runtime.canceledTimers.includes(event.EventId))
        ctx.timers.arm(instanceId, event.EventId, String(event.FireAt));
    } else if (event.EventType === EventType.SubOrchestrationInstanceCreated) {
      ctx.work
        .track(createChild(ctx, live.record, event))
        .catch((error: unknown) => ctx.log(`could not create sub-orchestration: ${String(error)}`));
    }
  }
}

/**
 * For an instance just loaded from storage: runs again what has no completion yet. That includes
 * entity calls and lock requests without an answer (the operation may then run twice, as an
 * activity may); signals and releases have no answer to tell, so one lost in a crash stays lost.
 * A lock the instance had been granted and not released is taken again (locks live in memory).
 */
export function resumeOutstandingWork(ctx: EngineContext, live: LiveInstance): void {
  const delivered = new Set([...live.completed, ...live.inbox.keys()]);
  const history = live.history.map((text) => JSON.parse(text) as HistoryEvent);
  for (const event of history)
    if (event.EventType === EventType.EventRaised) delivered.add(entityAnswerKey(String(event.Name)));
  const outstanding = history.filter((event) => {
    const key = event.EventType === EventType.EventSent ? unansweredCallKey(event) : awaitedCompletionKey(event);
    return key !== undefined && !delivered.has(key);
  });
  startScheduledWork(ctx, live, outstanding);
  const held = live.runtime.heldLock;
  if (held && delivered.has(entityAnswerKey(held.id))) ctx.entities.reacquire(live.record.instanceId, held);
}

/** The inbox key of the answer an EventSent waits for: a call's or a lock request's. */
function unansweredCallKey(event: HistoryEvent): string | undefined {
  if (event.Name === "release") return undefined;
  const request = JSON.parse(String(event.Input)) as EntityRequest;
  return request.signal ? undefined : entityAnswerKey(request.id);
}
