/**
 * How often and how long an adapter tries one request: exponential back-off with full jitter, a
 * `Retry-After` the service sent taking precedence when it is longer, a cap on attempts, a
 * timeout per attempt and a deadline for the request as a whole (attempts and waits). Whether a
 * failure deserves another attempt is not decided here: each adapter passes its one classifier.
 * Time and jitter are injectable so that tests are deterministic.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { backoffMs } from "./domain/backoff.js";
import type { ErrorClassification } from "./errors.js";
import { recordAdapterRetry } from "./telemetry/metrics.js";

/** How hard to try one request. */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 never retries. */
  maxAttempts: number;
  /** The longest first back-off; the bound doubles with each retry and the wait is drawn below it. */
  baseDelayMs: number;
  /** No back-off bound grows past this (a longer `Retry-After` still wins). */
  maxDelayMs: number;
  /** One attempt gets no longer than this to answer. */
  attemptTimeoutMs: number;
  /** The request, every attempt and wait included, ends within this after it started. */
  deadlineMs: number;
}

/**
 * Sized for Kubernetes and similar APIs: a handful of quick retries ride out throttling and
 * brief outages; longer trouble goes back to the orchestrator, whose retries wait minutes.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  attemptTimeoutMs: 30_000,
  deadlineMs: 60_000,
};

/** Where time comes from: the system's unless a test gives its own. */
export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const systemClock: RetryClock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

export interface RetryOptions extends Partial<RetryPolicy> {
  /** The adapter's classifier: only failures it calls retryable are tried again. */
  classify: (error: unknown) => ErrorClassification;
  /** Uniform in [0, 1): where the jitter comes from. Default `Math.random`. */
  random?: () => number;
  clock?: RetryClock;
}

/** What one attempt is told. */
export interface Attempt {
  /** 1 for the first attempt. */
  number: number;
  /** How long this attempt may take: the attempt timeout, or less when the deadline is nearer. */
  timeoutMs: number;
}

/** `value` as a millisecond option, or a RangeError that names the option. */
export function checkMilliseconds(name: string, value: number, minimum: number): number {
  if (!Number.isFinite(value) || value < minimum)
    throw new RangeError(`${name} must be a finite number of milliseconds, at least ${minimum}; got ${value}`);
  return value;
}

/** The defaults with `overrides` applied, each checked: a bad option fails where it is given. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...definedOnly(overrides) };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1)
    throw new RangeError(`maxAttempts must be an integer of at least 1; got ${policy.maxAttempts}`);
  checkMilliseconds("baseDelayMs", policy.baseDelayMs, 0);
  checkMilliseconds("maxDelayMs", policy.maxDelayMs, policy.baseDelayMs);
  checkMilliseconds("attemptTimeoutMs", policy.attemptTimeoutMs, 1);
  checkMilliseconds("deadlineMs", policy.deadlineMs, 1);
  return policy;
}

/** Options spread from callers carry `undefined` for what they leave out; those keep the default. */
function definedOnly(overrides: Partial<RetryPolicy>): Partial<RetryPolicy> {
  return Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
}

/**
 * Runs `operation` until it succeeds, fails in a way the classifier calls permanent, has been
 * tried `maxAttempts` times, or the next wait would end past the deadline; then throws the last
 * error as it was (so its classification, `Retry-After` included, reaches the caller). The
 * operation must honour `attempt.timeoutMs` itself, e.g. with {@link withDeadline}.
 */
export async function retry<T>(operation: (attempt: Attempt) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = retryPolicy({
    maxAttempts: options.maxAttempts,
    baseDelayMs: options.baseDelayMs,
    maxDelayMs: options.maxDelayMs,
    attemptTimeoutMs: options.attemptTimeoutMs,
    deadlineMs: options.deadlineMs,
  });
  const { classify, random = Math.random, clock = systemClock } = options;
  const deadline = clock.now() + policy.deadlineMs;
  for (let number = 1; ; number++) {
    try {
      return await operation({ number, timeoutMs: Math.min(policy.attemptTimeoutMs, deadline - clock.now()) });
    } catch (error) {
      const classification = classify(error);
      if (!classification.retryable || number >= policy.maxAttempts) throw error;
      const wait = backoffMs(number, policy, random(), classification.retryAfterMs);
      // Waking up at the deadline leaves no time to try: the caller learns of the failure now.
      if (clock.now() + wait >= deadline) throw error;
      recordAdapterRetry(classification.kind);
      await clock.sleep(wait);
    }
  }
}

/** A request that got no answer in the time it was given; classifiers see a timeout (ETIMEDOUT). */
export class DeadlineExceededError extends Error {
  override name = "DeadlineExceededError";
  readonly code = "ETIMEDOUT";
  constructor(
    what: string,
    readonly timeoutMs: number,
  ) {
    super(`${what}: no answer within ${timeoutMs} ms`);
  }
}

/**
 * Runs `operation` with a signal that aborts after `timeoutMs`, and settles by then whatever the
 * operation does with the signal: with a {@link DeadlineExceededError} naming `what`.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  what: string,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (timeoutMs <= 0) throw new DeadlineExceededError(what, 0);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineExceededError(what, timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([operation(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
