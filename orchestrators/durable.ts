/**
 * The typed durable boundary: the only place where orchestrators turn contracts into durable
 * tasks and task results back into typed values. An activity or sub-orchestration is scheduled
 * through its contract (name, input schema, output schema), and its result is validated with the
 * output schema before the orchestrator sees it — nothing is cast.
 *
 * Every result arrives as an `Outcome`: the value, or a failure with its kind and cause. A
 * permanent failure an activity returned (`{ ok: false, code, message }`) and a transient one whose
 * retries ran out (a thrown error) look the same to the caller, so the unwrapping is written once.
 * Everything here only creates and yields durable tasks: no I/O, no clock, no randomness.
 */
import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import type { z } from "zod";
import type { ActivityContract, ActivityInput, ActivitySuccess } from "../activities/contracts.js";
import type { FailureKind } from "../lib/domain/rollout-status.js";
import type { RetryPolicy } from "../lib/domain/spec.js";
import type { OrchestrationContract } from "./contracts.js";

/** Transient: retries ran out (or the task failed), a later retry may pass; permanent: retrying cannot help. */
export type Failure = { ok: false; kind: FailureKind; cause: string };
export type Outcome<T> = { ok: true; value: T } | Failure;

/** A scheduled task together with how to read its result. */
export interface Pending<T> {
  readonly task: Task;
  /** The outcome of the completed task: its validated result, or why it failed. */
  readonly settle: (task: Task) => Outcome<T>;
}

/** The SDK's retry options from the spec's retry policy (transient faults only reach here). */
export function retryOptions(policy: RetryPolicy): df.RetryOptions {
  const options = new df.RetryOptions(policy.firstRetryIntervalSeconds * 1000, policy.maxAttempts);
  options.backoffCoefficient = policy.backoffCoefficient;
  options.maxRetryIntervalInMilliseconds = policy.maxRetryIntervalSeconds * 1000;
  return options;
}

/** The message of a failed task (the SDK wraps activity errors; keep the first line). */
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

/**
 * Schedules an activity through its contract, with the spec's retry policy for transient faults.
 * Its outcome: the success value, the permanent failure it returned, or the transient fault that
 * outlived every retry.
 */
export function activity<C extends ActivityContract>(
  context: OrchestrationContext,
  contract: C,
  input: ActivityInput<C>,
  policy: RetryPolicy,
): Pending<ActivitySuccess<C>> {
  return {
    task: context.df.callActivityWithRetry(contract.name, retryOptions(policy), input),
    settle: (task) => {
      if (task.isFaulted) return { ok: false, kind: "transient", cause: `${failureMessage(task)} (retries exhausted)` };
      const parsed = contract.output.safeParse(task.result);
      if (!parsed.success) return invalidResult(contract.name, parsed.error);
      const output = parsed.data;
      if (!output.ok) return { ok: false, kind: "permanent", cause: `${output.code}: ${output.message}` };
      return { ok: true, value: output as ActivitySuccess<C> };
    },
  };
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
    task: context.df.callSubOrchestrator(contract.name, input, instanceId),
    settle: (task) => {
      if (task.isFaulted) return { ok: false, kind: "transient", cause: failureMessage(task) };
      const parsed = contract.result.safeParse(task.result);
      return parsed.success ? { ok: true, value: parsed.data } : invalidResult(contract.name, parsed.error);
    },
  };
}

/** Waits for one scheduled task and returns its outcome. */
export function* outcomeOf<T>(pending: Pending<T>): Generator<Task, Outcome<T>, unknown> {
  try {
    yield pending.task;
  } catch {
    // The task faulted: settle() reads the failure from the task itself.
  }
  return pending.settle(pending.task);
}

/** Calls an activity and waits for its outcome: `const loaded = yield* call(context, contract, input, policy)`. */
export function call<C extends ActivityContract>(
  context: OrchestrationContext,
  contract: C,
  input: ActivityInput<C>,
  policy: RetryPolicy,
): Generator<Task, Outcome<ActivitySuccess<C>>, unknown> {
  return outcomeOf(activity(context, contract, input, policy));
}

/**
 * Waits for every task and returns each one's outcome in order. Unlike Task.all, which fails as
 * soon as one task fails, a failed task becomes a failure outcome and the others still complete.
 */
export function* settleAll<T>(
  context: OrchestrationContext,
  pendings: readonly Pending<T>[],
): Generator<Task, Outcome<T>[], unknown> {
  const results: Outcome<T>[] = new Array<Outcome<T>>(pendings.length);
  let waiting = pendings.map((pending, index) => ({ pending, index }));
  while (waiting.length > 0) {
    const winner = (yield context.df.Task.any(waiting.map((entry) => entry.pending.task))) as Task;
    const done = waiting.find((entry) => entry.pending.task === winner);
    if (!done) throw new Error("Task.any returned a task that is not pending");
    results[done.index] = done.pending.settle(winner);
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
 * Runs `start(item)` for every item with at most `limit` in flight, starting the next as soon as
 * one finishes. After a cancel request no new item starts (those are `undefined` in the result)
 * and the ones in flight finish. Returns each item's outcome in order.
 */
export function* runBounded<T, R>(
  context: OrchestrationContext,
  items: readonly T[],
  limit: number,
  start: (item: T) => Pending<R>,
  cancel: Cancellation,
  onSettled: (item: T, outcome: Outcome<R>) => void,
): Generator<Task, (Outcome<R> | undefined)[], unknown> {
  const results: (Outcome<R> | undefined)[] = new Array<Outcome<R> | undefined>(items.length).fill(undefined);
  let next = 0;
  let running: { pending: Pending<R>; index: number }[] = [];
  for (;;) {
    while (!cancel.requested && running.length < limit && next < items.length) {
      const index = next++;
      running.push({ pending: start(items[index] as T), index });
    }
    if (running.length === 0) return results;
    const waitOn = running.map((entry) => entry.pending.task);
    const winner = (yield context.df.Task.any(cancel.requested ? waitOn : [...waitOn, cancel.task])) as Task;
    if (winner === cancel.task) {
      cancel.requested = true;
      continue;
    }
    const done = running.find((entry) => entry.pending.task === winner);
    if (!done) throw new Error("Task.any returned a task that is not running");
    const outcome = done.pending.settle(winner);
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
