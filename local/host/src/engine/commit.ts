/**
 * Writes an episode's outcome to storage: `commit` is the commit point named by the crash-safety
 * rule (see engine.ts); `finish` commits a terminal state and then lets go of the instance (its
 * timers, leftover inbox, entity lock, parent, waiters); `continueAsNew` replaces the instance
 * row with a fresh execution, which holds no lock either.
 */
import type { HistoryEvent } from "../protocol.js";
import type { InstanceRecord, RuntimeStatus } from "../store.js";
import { notifyParent } from "./children.js";
import type { EngineContext } from "./context.js";
import { completionKey, emptyRuntime, newId, type LiveInstance, type RuntimeState } from "./instance-state.js";

/** What every write of one episode shares. */
export interface Episode {
  readonly ctx: EngineContext;
  readonly live: LiveInstance;
  /** The episode's one clock reading, used for every timestamp it writes. */
  readonly now: string;
  /** Inbox keys the episode consumed. */
  readonly consumed: string[];
}

export async function commit(
  { ctx, live, consumed }: Episode,
  next: InstanceRecord,
  events: HistoryEvent[],
): Promise<void> {
  if (!ctx.instances.isCurrent(live)) throw new Error("this in-memory copy was retired; not writing");
  const texts = events.map((event) => JSON.stringify({ ...event, IsPlayed: true }));
  if (texts.length > 0)
    await ctx.store.writeHistory(next.instanceId, next.executionId, live.record.historyLength, texts);
  const committed: InstanceRecord = { ...next, historyLength: live.record.historyLength + texts.length };
  live.etag = await ctx.store.replaceInstance(committed, live.etag);
  live.record = committed;
  live.history.push(...texts);
  for (const event of events) {
    const key = completionKey(event);
    if (key) live.completed.add(key);
  }
  for (const key of consumed) live.inbox.delete(key);
  // Housekeeping after the commit point: a message that survives a crash is a duplicate (its
  // completion is in history) and is dropped when it is read again.
  if (consumed.length > 0) {
    ctx.work
      .track(ctx.store.deleteInbox(next.instanceId, consumed))
      .catch((error: unknown) => ctx.log(`inbox clean-up of ${next.instanceId} failed: ${String(error)}`));
  }
}

export async function finish(
  episode: Episode,
  status: RuntimeStatus,
  outputJson: string,
  events: HistoryEvent[],
  customStatus?: string,
  runtime: RuntimeState = episode.live.runtime,
): Promise<void> {
  const { ctx, live, now } = episode;
  const next: InstanceRecord = {
    ...live.record,
    runtimeStatus: status,
    output: outputJson,
    customStatus: customStatus ?? live.record.customStatus,
    lastUpdatedTime: now,
    parentNotified: live.record.parentInstanceId === undefined,
  };
  await commit(episode, next, events);
  ctx.instances.drop(live.record.instanceId);
  if (runtime.heldLock) ctx.entities.releaseOnEnd(live.record.instanceId, runtime.heldLock);
  if (status !== "Completed")
    ctx.log(`orchestration ${live.record.instanceId} (${live.record.name}) ${status}: ${outputJson.slice(0, 300)}`);
  const leftovers = [...live.inbox.keys()];
  if (leftovers.length > 0) await ctx.store.deleteInbox(live.record.instanceId, leftovers);
  await notifyParent(ctx, live.record);
  ctx.waiters.release(live.record.instanceId);
}

/** Starts a new execution of the instance; messages not consumed yet stay for it. */
export async function continueAsNew(
  { ctx, live, now, consumed }: Episode,
  inputJson: string,
  customStatus: string | undefined,
  runtime: RuntimeState,
): Promise<void> {
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
  live.etag = await ctx.store.replaceInstance(record, live.etag);
  for (const key of consumed) live.inbox.delete(key);
  if (consumed.length > 0) await ctx.store.deleteInbox(record.instanceId, consumed);
  ctx.instances.drop(record.instanceId);
  if (runtime.heldLock) ctx.entities.releaseOnEnd(record.instanceId, runtime.heldLock);
  ctx.instances.adopt(record, live.etag, [], live.inbox);
  ctx.log(`orchestration ${record.instanceId} continued as new (previous execution ${oldExecution})`);
}
