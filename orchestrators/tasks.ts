/**
 * Replay-safe building blocks for the orchestrators: typed activity calls, settling many tasks
 * without failing fast, a bounded window of sub-orchestrations, and durable sleeps. Everything
 * here only creates and yields durable tasks (no I/O, no clock, no randomness).
 */
import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import type { z } from "zod";
import type { ActivityContract } from "../activities/contracts.js";
import type { RetryPolicy } from "../lib/domain/spec.js";

export type Settled<T> = { ok: true; value: T } | { ok: false; error: string };

/** The SDK's retry options from the spec's retry policy (transient faults only reach here). */
export function retryOptions(policy: RetryPolicy): df.RetryOptions {
  const options = new df.RetryOptions(policy.firstRetryIntervalSeconds * 1000, policy.maxAttempts);
  options.backoffCoefficient = policy.backoffCoefficient;
  options.maxRetryIntervalInMilliseconds = policy.maxRetryIntervalSeconds * 1000;
  return options;
}

/** Schedules an activity through its contract: the name and the input type come from one place. */
export function callActivity<I extends z.ZodType, O extends z.ZodType>(
  context: OrchestrationContext,
  contract: ActivityContract<I, O>,
  input: z.input<I>,
  policy: RetryPolicy,
): Task {
  return context.df.callActivityWithRetry(contract.name, retryOptions(policy), input);
}

/** The message of a failed task (the SDK wraps activity errors; keep the first line). */
export function failureMessage(task: Task): string {
  const error = task.result;
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]?.replace(/^TaskFailedError: /, "") ?? text;
}

/**
 * Waits for every task and returns each one's outcome in order. Unlike Task.all, which fails as
 * soon as one task fails, a failed task becomes `{ ok: false }` and the others still complete.
 */
export function* settleAll<T>(context: OrchestrationContext, tasks: Task[]): Generator<Task, Settled<T>[], unknown> {
  const results: Settled<T>[] = new Array<Settled<T>>(tasks.length);
  let pending = tasks.map((task, index) => ({ task, index }));
  while (pending.length > 0) {
    const winner = (yield context.df.Task.any(pending.map((entry) => entry.task))) as Task;
    const done = pending.find((entry) => entry.task === winner);
    if (!done) throw new Error("Task.any returned a task that is not pending");
    results[done.index] = winner.isFaulted ? { ok: false, error: failureMessage(winner) } : { ok: true, value: winner.result as T };
    pending = pending.filter((entry) => entry !== done);
  }
  return results;
}

/**
 * A cancel request arrives as the external event "Cancel". Its task must be part of the waits to
 * be seen (the SDK only completes event tasks it tracks), so runBounded includes it in each wait.
 */
export interface Cancellation {
  task: Task;
  requested: boolean;
}

export const CANCEL_EVENT = "Cancel";

export function cancellation(context: OrchestrationContext): Cancellation {
  return { task: context.df.waitForExternalEvent(CANCEL_EVENT), requested: false };
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
  start: (item: T) => Task,
  cancel: Cancellation,
  onSettled: (item: T, outcome: Settled<R>) => void,
): Generator<Task, (Settled<R> | undefined)[], unknown> {
  const results: (Settled<R> | undefined)[] = new Array<Settled<R> | undefined>(items.length).fill(undefined);
  let next = 0;
  let running: { task: Task; index: number }[] = [];
  for (;;) {
    while (!cancel.requested && running.length < limit && next < items.length) {
      const index = next++;
      running.push({ task: start(items[index] as T), index });
    }
    if (running.length === 0) return results;
    const waitOn = running.map((entry) => entry.task);
    const winner = (yield context.df.Task.any(cancel.requested ? waitOn : [...waitOn, cancel.task])) as Task;
    if (winner === cancel.task) {
      cancel.requested = true;
      continue;
    }
    const done = running.find((entry) => entry.task === winner);
    if (!done) throw new Error("Task.any returned a task that is not running");
    const outcome: Settled<R> = winner.isFaulted ? { ok: false, error: failureMessage(winner) } : { ok: true, value: winner.result as R };
    results[done.index] = outcome;
    onSettled(items[done.index] as T, outcome);
    running = running.filter((entry) => entry !== done);
  }
}

/** A durable sleep: a timer `seconds` after the orchestration's current time. */
export function sleep(context: OrchestrationContext, seconds: number): Task {
  return context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + seconds * 1000));
}

/** The orchestration's current time as an ISO string (replay-safe). */
export const now = (context: OrchestrationContext): string => context.df.currentUtcDateTime.toISOString();
