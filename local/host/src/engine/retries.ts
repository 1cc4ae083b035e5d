/**
 * The host-side half of `callActivityWithRetry` and `callSubOrchestratorWithRetry`. The SDK
 * decides whether to retry; the host schedules the retry timer (with the back-off) and the next
 * attempt, and must number them exactly as the SDK does: it takes a sequence number for the retry
 * timer when it processes a failed attempt (even after the last attempt), and one for the next
 * attempt when it processes the fired timer, unless attempts are exhausted and it surfaces the
 * failure. Chains live in the runtime state, keyed by the task or timer currently outstanding.
 *
 * `retryTimeoutInMilliseconds`: the SDK counts attempts only, so once an attempt fails after the
 * timeout (measured from the first attempt, as DurableTask's RetryInterceptor does) the host cannot
 * make it stop early. It fails the remaining attempts at once, without running them and with no
 * back-off, so the orchestrator sees the last real failure promptly, with the SDK's own numbering.
 */
import {
  EventType,
  failureFields,
  retryDelayMs,
  type FailureDetails,
  type HistoryEvent,
  type RetryOptions,
} from "../protocol.js";
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
    const timeout = chain.options.retryTimeoutInMilliseconds;
    if (
      !chain.timedOut &&
      timeout !== undefined &&
      timeout > 0 &&
      Date.parse(now) - Date.parse(chain.firstAttemptAt) >= timeout
    )
      chain.timedOut = timedOutFailure(event, timeout);
    const delay = exhausted || chain.timedOut ? 0 : retryDelayMs(chain.options, chain.attempt);
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

/** The failure every skipped attempt reports: the last real one, saying why no attempt ran. */
function timedOutFailure(event: HistoryEvent, timeoutMs: number): FailureDetails {
  const details = event.FailureDetails as FailureDetails | undefined;
  const message = details?.ErrorMessage ?? String(event.Reason ?? "the attempt failed");
  return {
    ErrorType: details?.ErrorType ?? "Error",
    ErrorMessage: `${message} (retryTimeoutInMilliseconds ${timeoutMs} exceeded: no further attempt runs)`,
    StackTrace: details?.StackTrace,
  };
}

/** The failure a skipped attempt (see timedOut) completes with, for the scheduling event `scheduled`. */
export function skippedAttempt(runtime: RuntimeState, scheduled: HistoryEvent): HistoryEvent | undefined {
  const isAttempt =
    scheduled.EventType === EventType.TaskScheduled ||
    scheduled.EventType === EventType.SubOrchestrationInstanceCreated;
  const chain = runtime.retries[String(scheduled.EventId)];
  const failure = isAttempt && chain?.phase === "task" ? chain.timedOut : undefined;
  if (!failure) return undefined;
  return {
    EventType:
      scheduled.EventType === EventType.TaskScheduled ? EventType.TaskFailed : EventType.SubOrchestrationInstanceFailed,
    EventId: -1,
    IsPlayed: false,
    Timestamp: new Date().toISOString(),
    TaskScheduledId: scheduled.EventId,
    ...failureFields(failure),
  };
}
