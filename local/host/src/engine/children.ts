/**
 * Sub-orchestrations: creating the child instance a parent scheduled (or picking up the one an
 * earlier run created), and telling the parent, through its inbox, how the child ended. A child
 * row's `parentNotified` stays false until the parent has that message, so recovery can send it
 * again.
 */
import { EventType, failureFields, type FailureDetails, type HistoryEvent } from "../protocol.js";
import type { InstanceRecord } from "../store.js";
import type { EngineContext } from "./context.js";
import { isTerminal, newInstanceRecord } from "./instance-state.js";

/** Creates the child for a SubOrchestrationInstanceCreated event of `parent`. */
export async function createChild(ctx: EngineContext, parent: InstanceRecord, event: HistoryEvent): Promise<void> {
  const child = newInstanceRecord(String(event.InstanceId), String(event.Name), String(event.Input ?? "null"), {
    instanceId: parent.instanceId,
    taskId: event.EventId,
  });
  const etag = await ctx.store.createInstance(child);
  if (etag !== undefined) {
    ctx.instances.adopt(child, etag, [], new Map());
    return;
  }
  // Already created before a restart (or a retry reuses a caller-given id): resume or replace it.
  const existing = await ctx.store.getInstance(child.instanceId);
  if (!existing) return;
  if (existing.record.parentInstanceId === parent.instanceId && existing.record.parentTaskId === event.EventId) {
    if (isTerminal(existing.record.runtimeStatus)) await notifyParent(ctx, existing.record);
    else await ctx.instances.ensureLive(child.instanceId);
    return;
  }
  if (isTerminal(existing.record.runtimeStatus)) {
    await ctx.store.deleteHistory(child.instanceId);
    const replaced = await ctx.store.replaceInstance(child, existing.etag);
    ctx.instances.adopt(child, replaced, [], new Map());
    return;
  }
  const conflict = childFailed(child.createdTime, event.EventId, {
    ErrorType: "InvalidOperationError",
    ErrorMessage: `An instance with ID '${child.instanceId}' already exists and is running.`,
  });
  await ctx.instances.deliver(parent.instanceId, [
    { key: `sub:${event.EventId}`, message: { kind: "event", event: conflict } },
  ]);
}

/** Delivers a finished child's outcome to its parent, once; a no-op for top-level instances. */
export async function notifyParent(ctx: EngineContext, record: InstanceRecord): Promise<void> {
  if (!record.parentInstanceId || record.parentTaskId === undefined || record.parentNotified) return;
  const now = new Date().toISOString();
  const output = record.output ?? "null";
  const event: HistoryEvent =
    record.runtimeStatus === "Completed"
      ? {
          EventType: EventType.SubOrchestrationInstanceCompleted,
          EventId: -1,
          IsPlayed: false,
          Timestamp: now,
          TaskScheduledId: record.parentTaskId,
          Result: output,
        }
      : childFailed(now, record.parentTaskId, {
          ErrorType: "SubOrchestrationFailed",
          ErrorMessage: `Sub-orchestration ${record.instanceId} ${record.runtimeStatus}: ${safeParseString(output)}`,
        });
  await ctx.instances.deliver(record.parentInstanceId, [
    { key: `sub:${record.parentTaskId}`, message: { kind: "event", event } },
  ]);
  const found = await ctx.store.getInstance(record.instanceId);
  if (found) await ctx.store.replaceInstance({ ...found.record, parentNotified: true }, found.etag);
}

function childFailed(now: string, taskId: number, details: FailureDetails): HistoryEvent {
  return {
    EventType: EventType.SubOrchestrationInstanceFailed,
    EventId: -1,
    IsPlayed: false,
    Timestamp: now,
    TaskScheduledId: taskId,
    ...failureFields(details),
  };
}

/** A JSON string's text, or the JSON itself when it is not a string (e.g. an error object). */
function safeParseString(json: string): string {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === "string" ? value : json;
  } catch {
    return json;
  }
}
