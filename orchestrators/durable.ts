/**
 * The typed durable boundary: the only place where orchestrators turn contracts into durable
 * tasks and task results back into typed values. An activity or sub-orchestration is scheduled
 * through its contract (name, input schema, output schema), and its result is validated with the
 * output schema before the orchestrator sees it.
 *
 * Every result arrives as an `Outcome`: the value, or a failure with its kind and cause. Transient
 * failures are retried here, on durable timers, before they become an outcome; a permanent failure
 * an activity returned and a transient one that outlived its retries then look the same to the
 * caller, so the unwrapping is written once. Everything here only creates and yields durable
 * tasks: no I/O, no clock, and randomness only from the orchestration's replay-safe GUIDs.
 *
 * Who started the work (the audit reference, lib/state/audit.ts) travels here too: the HTTP
 * function that starts an orchestration puts it in the input as `audit`, `orchestration()` binds it
 * to the context, and every activity and sub-orchestration scheduled here carries it on, so the
 * activities record their changes with it without any orchestrator passing it by hand.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import type { z } from "zod";
import type { ActivityContract, ActivityInput, ActivitySuccess } from "../activities/contracts.js";
import type { FailureKind } from "../lib/domain/rollout-status.js";
import { auditReferenceIn, type AuditReference } from "../lib/state/audit.js";
import { backoffMs } from "../lib/domain/backoff.js";
import type { RetryPolicy } from "../lib/domain/spec.js";
import type { OrchestrationContract } from "./contracts.js";

const auditReferences = new WeakMap<OrchestrationContext, AuditReference>();

/** Binds the audit reference of an orchestration's raw input (`audit`, when it has a valid one) to its context. */
export function bindAuditReference(context: OrchestrationContext, rawInput: unknown): void {
  const audit = auditReferenceIn(rawInput);
  if (audit !== undefined) auditReferences.set(context, audit);
}

/** An input with the context's audit reference, for an activity or sub-orchestration. */
function withAudit(context: OrchestrationContext, input: unknown): unknown {
  const audit = auditReferences.get(context);
  return audit === undefined ? input : { ...(input as object), audit };
}

/** Transient: retries ran out (or the task failed), a later retry may pass; permanent: retrying cannot help. */
export type Failure = { ok: false; kind: FailureKind; cause: string };
export type Outcome<T> = { ok: true; value: T } | Failure;

/**
 * A piece of durable work in progress: the task to wait on now, and what to do when it completes —
 * either the final outcome, or `undefined` after it moved on to a next task (a retry's timer, then
 * the retried call), which `task` then holds.
 */
export interface Pending<T> {
  readonly task: Task;
  advance(completed: Task): Outcome<T> | undefined;
}

/** A retry the orchestrator is about to wait for: which call, which attempt comes next, how long it waits, why. */
export interface RetryNotice {
  activity: string;
  /** The attempt that follows the wait (2 for the first retry). */
  nextAttempt: number;
  waitSeconds: number;
  cause: string;
}

/** How an activity is retried: the spec's policy, and who hears of each retry (the status). */
export interface RetryScope {
  policy: RetryPolicy;
  onRetry?: (notice: RetryNotice) => void;
  /**
   * The phase the work belongs to, sent beside the activity's input (its contract leaves it out of
   * what the implementation sees) so that the activity's log lines name it.
   */
  readonly phase?: string;
}

/** The message of a failed task (the SDK wraps thrown errors; keep the first line). */
function failureMessage(task: Task): string {
  const error = task.result;
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]?.replace(/^TaskFailedError: /, "") ?? text;
}

/** A result that does not match its contract is a bug on the other side: retrying returns the same. */
function invalidResult(name: string, error: z.ZodError): Failure {
  const problems = error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
  return { ok: false, kind: "permanent", cause: `${name} returned a result that breaks its contract — ${problems}` };
}

/** Retry-After beyond this is not waited for in one go: the attempt after it asks again. */
const MAX_RETRY_AFTER_MS = 15 * 60_000;

/** How long, in all, one call keeps coming back to a service that throttles it (each time as it asked). */
export const MAX_THROTTLED_WAIT_MS = 15 * 60_000;

/**
 * A number in [0, 1) that is the same on every replay: drawn from the orchestration's
 * deterministic GUIDs, so that 24 regions retrying at once do not come back in lockstep.
 */
function replaySafeRandom(context: OrchestrationContext): number {
  return Number.parseInt(context.df.newGuid(context.df.instanceId).replaceAll("-", "").slice(0, 8), 16) / 2 ** 32;
}

/**
 * Schedules an activity through its contract. A transient failure — returned by the activity with
 * its `retryAfterMs`, or the call itself failing (the worker crashed, the invocation timed out) —
 * is retried on a durable timer: exponential back-off from the spec's retry policy with full
 * jitter, never sooner than the service's Retry-After. Failures spend the policy's `maxAttempts`;
 * a call refused by throttling that said when to come back (a Retry-After) does not, because the
 * service asked to slow down rather than failed — it comes back when asked (plus jitter), for up
 * to {@link MAX_THROTTLED_WAIT_MS} of waiting in all. The outcome: the success value, the permanent
 * failure returned, or the last transient failure.
 */
export function activity<C extends ActivityContract>(
  context: OrchestrationContext,
  contract: C,
  input: ActivityInput<C>,
  scope: RetryScope,
): Pending<ActivitySuccess<C>> {
  const { policy } = scope;
  let attempt = 1;
  /** Calls that failed outright: they spend the policy's attempts. */
  let failures = 0;
  let throttledWaitMs = 0;
  let waiting = false;
  // Every activity's input is an object (its contract is a zod object, which drops the extra key).
  const withPhase = scope.phase === undefined ? input : { ...(input as object), phase: scope.phase };
  const sent = withAudit(context, withPhase);
  const pending = {
    task: context.df.callActivity(contract.name, sent),
    advance(completed: Task): Outcome<ActivitySuccess<C>> | undefined {
      if (waiting) {
        waiting = false;
        attempt += 1;
        pending.task = context.df.callActivity(contract.name, sent);
        return undefined;
      }
      let failure: { cause: string; retryAfterMs?: number };
      if (completed.isFaulted) failure = { cause: failureMessage(completed) };
      else {
        const parsed = contract.output.safeParse(completed.result);
        if (!parsed.success) return invalidResult(contract.name, parsed.error);
        const output = parsed.data;
        // NOTE: the contract's output is a union whose success member is ActivitySuccess<C>;
        // TypeScript cannot narrow a generic union by `ok`, so the success branch is asserted.
        if (output.ok) return { ok: true, value: output as ActivitySuccess<C> };
        if (output.kind === "permanent")
          return { ok: false, kind: "permanent", cause: `${output.code}: ${output.message}` };
        failure = { cause: `${output.code}: ${output.message}`, retryAfterMs: output.retryAfterMs };
      }
      const throttled = failure.retryAfterMs !== undefined && throttledWaitMs < MAX_THROTTLED_WAIT_MS;
      if (!throttled) failures += 1;
      if (failures >= policy.maxAttempts) {
        return { ok: false, kind: "transient", cause: `${failure.cause} (gave up after ${attempt} attempts)` };
      }
      const backoff = {
        baseDelayMs: policy.firstRetryIntervalSeconds * 1000,
        maxDelayMs: policy.maxRetryIntervalSeconds * 1000,
        coefficient: policy.backoffCoefficient,
      };
      const random = replaySafeRandom(context);
      // A throttled call comes back when the service said, plus a jitter of up to the first retry
      // interval so that 24 regions refused together do not return together; a failed call backs
      // off exponentially (never sooner than a Retry-After it carried).
      const waitMs =
        throttled && failure.retryAfterMs !== undefined
          ? Math.min(failure.retryAfterMs, MAX_RETRY_AFTER_MS) + random * backoff.baseDelayMs
          : backoffMs(failures, backoff, random, Math.min(failure.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
      // At least a second: full jitter may draw next to nothing, and a call at once rarely finds the fault gone.
      const waitSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      if (throttled) throttledWaitMs += waitSeconds * 1000;
      scope.onRetry?.({ activity: contract.name, nextAttempt: attempt + 1, waitSeconds, cause: failure.cause });
      waiting = true;
      pending.task = sleep(context, waitSeconds);
      return undefined;
    },
  };
  return pending;
}

/**
 * Schedules a sub-orchestration through its contract under a deterministic instance id. A child
 * that throws (a bug, or it was terminated) is a transient failure: a retry of the rollout may
 * get further.
 */
export function subOrchestration<I extends z.ZodType, R extends z.ZodType>(
  context: OrchestrationContext,
  contract: OrchestrationContract<I, R>,
  input: z.input<I>,
  instanceId: string,
): Pending<z.output<R>> {
  return {
    task: context.df.callSubOrchestrator(contract.name, withAudit(context, input), instanceId),
    advance: (completed) => {
      if (completed.isFaulted) return { ok: false, kind: "transient", cause: failureMessage(completed) };
      const parsed = contract.result.safeParse(completed.result);
      return parsed.success ? { ok: true, value: parsed.data } : invalidResult(contract.name, parsed.error);
    },
  };
}

/** Waits for one piece of work, retries included, and returns its outcome. */
export function* outcomeOf<T>(pending: Pending<T>): Generator<Task, Outcome<T>, unknown> {
  for (;;) {
    const task = pending.task;
    try {
      yield task;
    } catch {
      // The task faulted: advance() reads the failure from the task itself.
    }
    const outcome = pending.advance(task);
    if (outcome) return outcome;
  }
}

/** Calls an activity and waits for its outcome: `const loaded = yield* call(context, contract, input, scope)`. */
export function call<C extends ActivityContract>(
  context: OrchestrationContext,
  contract: C,
  input: ActivityInput<C>,
  scope: RetryScope,
): Generator<Task, Outcome<ActivitySuccess<C>>, unknown> {
  return outcomeOf(activity(context, contract, input, scope));
}

/**
 * Waits for every piece of work and returns each one's outcome in order. Unlike Task.all, which
 * fails as soon as one task fails, a failure becomes a failure outcome and the others go on.
 */
export function* settleAll<T>(
  context: OrchestrationContext,
  pendings: readonly Pending<T>[],
  cancel?: Cancellation,
): Generator<Task, Outcome<T>[], unknown> {
  const results: Outcome<T>[] = new Array<Outcome<T>>(pendings.length);
  let waiting = pendings.map((pending, index) => ({ pending, index }));
  while (waiting.length > 0) {
    const tasks = waiting.map((entry) => entry.pending.task);
    // A cancel request that arrives meanwhile is noted (the work in flight still finishes).
    const listening = cancel !== undefined && !cancelArrived(cancel);
    const winner = (yield context.df.Task.any(listening ? [...tasks, cancel.task] : tasks)) as Task;
    if (listening && winner === cancel.task) {
      cancel.requested = true;
      continue;
    }
    const done = waiting.find((entry) => entry.pending.task === winner);
    if (!done) throw new Error("Task.any returned a task that is not pending");
    const outcome = done.pending.advance(winner);
    if (!outcome) continue;
    results[done.index] = outcome;
    waiting = waiting.filter((entry) => entry !== done);
  }
  return results;
}

/**
 * A cancel request arrives as the external event "Cancel". Its task must be part of the waits to
 * be seen (the SDK only completes event tasks it tracks), so every wait that may take long
 * includes it.
 */
export interface Cancellation {
  task: Task;
  requested: boolean;
}

export function cancellation(context: OrchestrationContext, eventName: string): Cancellation {
  return { task: context.df.waitForExternalEvent(eventName), requested: false };
}

/**
 * Whether a cancel request has arrived, without waiting: the event's task completes as soon as the
 * orchestration replays past the event, whether or not a wait included it.
 */
export function cancelArrived(cancel: Cancellation): boolean {
  if (!cancel.requested && cancel.task.isCompleted) cancel.requested = true;
  return cancel.requested;
}

/**
 * Runs `start(item)` for every item with at most `limit` in flight, starting the next as soon as
 * one finishes. After a cancel request no new item starts (those are `undefined` in the result),
 * `onCancel` hears of it at once, and the ones in flight finish. Returns each item's outcome in order.
 */
export function* runBounded<T, R>(
  context: OrchestrationContext,
  items: readonly T[],
  limit: number,
  start: (item: T) => Pending<R>,
  cancel: Cancellation,
  onSettled: (item: T, outcome: Outcome<R>) => void,
  onCancel: () => void = () => undefined,
): Generator<Task, (Outcome<R> | undefined)[], unknown> {
  const results: (Outcome<R> | undefined)[] = new Array<Outcome<R> | undefined>(items.length).fill(undefined);
  let next = 0;
  let running: { pending: Pending<R>; index: number }[] = [];
  for (;;) {
    if (!cancel.requested && cancelArrived(cancel)) onCancel();
    while (!cancel.requested && running.length < limit && next < items.length) {
      const index = next++;
      running.push({ pending: start(items[index] as T), index });
    }
    if (running.length === 0) return results;
    const waitOn = running.map((entry) => entry.pending.task);
    const winner = (yield context.df.Task.any(cancel.requested ? waitOn : [...waitOn, cancel.task])) as Task;
    if (winner === cancel.task) {
      cancel.requested = true;
      onCancel();
      continue;
    }
    const done = running.find((entry) => entry.pending.task === winner);
    if (!done) throw new Error("Task.any returned a task that is not running");
    const outcome = done.pending.advance(winner);
    if (!outcome) continue;
    results[done.index] = outcome;
    onSettled(items[done.index] as T, outcome);
    running = running.filter((entry) => entry !== done);
  }
}

/** A durable sleep: a timer `seconds` after the orchestration's current time. */
export function sleep(context: OrchestrationContext, seconds: number): Task {
  return context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + seconds * 1000));
}

/** Sleeps, unless a cancel request arrives first (then it is recorded and the sleep ends early). */
export function* sleepUnlessCanceled(
  context: OrchestrationContext,
  seconds: number,
  cancel: Cancellation,
): Generator<Task, void, unknown> {
  if (cancel.requested) return;
  const woke = (yield context.df.Task.any([sleep(context, seconds), cancel.task])) as Task;
  if (woke === cancel.task) cancel.requested = true;
}

/** The orchestration's current time as an ISO string (replay-safe). */
export const now = (context: OrchestrationContext): string => context.df.currentUtcDateTime.toISOString();
