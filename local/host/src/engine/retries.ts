/**
 * The host-side half of `callActivityWithRetry` and `callSubOrchestratorWithRetry`. The SDK
 * decides whether to retry; the host schedules the retry timer (with the back-off) and the next
 * attempt, and must number them exactly as the SDK does: it takes a sequence number for the retry
 * timer when it processes a failed attempt (even after the last attempt), and one for the next
 * attempt when it processes the fired timer, unless attempts are exhausted and it surfaces the
 * failure. Chains live in the runtime state, keyed by the task or timer currently outstanding.
 */
import { EventType, retryDelayMs, type HistoryEvent, type RetryOptions } from "../protocol.js";
import { callScheduledEvent, type RetryChain, type RuntimeState, type ScheduledCall } from "./instance-state.js";

/** Starts a chain for a call scheduled with retry options, as its first attempt. */
export function beginRetryChain(
  runtime: RuntimeState,
  taskId: number,
  call: ScheduledCall,
  options: RetryOptions,
  now: string,
): void {
  runtime.retries[String(taskId)] = { ...call, options, attempt: 1, phase: "task", firstAttemptAt: now };
}

/**
 * A failed attempt or a fired retry timer: the SDK numbers something while processing it, so an
 * episode takes at most one such event, first.
 */
export function isRetryEvent(runtime: RuntimeState, event: HistoryEvent): boolean {
  if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) {
    return runtime.retries[String(event.TaskScheduledId)]?.phase === "task";
  }
  if (event.EventType === EventType.TimerFired) return runtime.retries[String(event.TimerId)]?.phase === "timer";
  return false;
}

/**
 * Moves the chain of a retry event (see isRetryEvent) one step in `runtime` and returns what that
 * schedules: the retry timer, the next attempt, or nothing when attempts are exhausted.
 */
export function advanceRetry(
  runtime: RuntimeState,
  event: HistoryEvent,
  now: string,
  instanceId: string,
): HistoryEvent[] {
  const id = String(event.EventType === EventType.TimerFired ? event.TimerId : event.TaskScheduledId);
  const chain = runtime.retries[id];
  if (!chain) return [];
  delete runtime.retries[id];
  if (chain.phase === "task") {
    const timerId = runtime.nextSequence++;
    const exhausted = chain.attempt >= chain.options.maxNumberOfAttempts;
    const delay = exhausted ? 0 : retryDelayMs(chain.options, chain.attempt);
    const fireAt = new Date(Date.parse(now) + delay).toISOString();
    runtime.retries[String(timerId)] = { ...chain, phase: "timer" };
    return [{ EventType: EventType.TimerCreated, EventId: timerId, IsPlayed: false, Timestamp: now, FireAt: fireAt }];
  }
  if (chain.attempt + 1 > chain.options.maxNumberOfAttempts) return [];
  const taskId = runtime.nextSequence++;
  const next: RetryChain = { ...chain, attempt: chain.attempt + 1, phase: "task" };
  runtime.retries[String(taskId)] = next;
  return [callScheduledEvent(next, taskId, now, instanceId)];
}
