/** The retry policy every adapter shares (lib/retry.ts), on an injected clock and jitter source. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ErrorClassification } from "../../lib/errors.js";
import { backoffMs } from "../../lib/domain/backoff.js";
import {
  DeadlineExceededError,
  retry,
  retryPolicy,
  withDeadline,
  type Attempt,
  type RetryClock,
} from "../../lib/retry.js";

/** A failure that carries its own classification, so the tests choose what is transient. */
class Failure extends Error {
  constructor(readonly classification: ErrorClassification) {
    super(classification.message);
  }
}

const transient = (retryAfterMs?: number) =>
  new Failure({
    retryable: true,
    kind: "unavailable",
    code: "ServiceUnavailable",
    message: "busy",
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
const permanent = () => new Failure({ retryable: false, kind: "invalid", code: "Invalid", message: "bad" });
const classify = (error: unknown): ErrorClassification =>
  error instanceof Failure
    ? error.classification
    : { retryable: false, kind: "unknown", code: "Unknown", message: String(error) };

/** A clock that only moves when the code under test sleeps (or an attempt says it took time). */
function fakeClock(): RetryClock & { sleeps: number[]; advance(ms: number): void } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/** An operation that throws the given failures in turn, then answers "done"; records its attempts. */
function failingThen(failures: Error[]): { operation: (attempt: Attempt) => Promise<string>; attempts: Attempt[] } {
  const attempts: Attempt[] = [];
  return {
    attempts,
    operation: async (attempt) => {
      attempts.push(attempt);
      const failure = failures[attempt.number - 1];
      if (failure !== undefined) throw failure;
      return "done";
    },
  };
}

describe("retry", () => {
  it("retries transient failures with exponentially growing, fully jittered waits", async () => {
    const clock = fakeClock();
    const { operation, attempts } = failingThen([transient(), transient(), transient(), transient()]);
    const answer = await retry(operation, { classify, clock, random: () => 0.5, baseDelayMs: 100, maxDelayMs: 10_000 });
    assert.equal(answer, "done");
    assert.deepEqual(
      attempts.map((attempt) => attempt.number),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(clock.sleeps, [50, 100, 200, 400], "half of 100, 200, 400, 800");
  });

  it("draws each wait anywhere below its bound, and never lets the bound pass maxDelayMs", async () => {
    const clock = fakeClock();
    const draws = [0, 0.75, 0.25, 0.5];
    const { operation } = failingThen([transient(), transient(), transient(), transient()]);
    await retry(operation, { classify, clock, random: () => draws.shift() ?? 0, baseDelayMs: 100, maxDelayMs: 300 });
    assert.deepEqual(clock.sleeps, [0, 150, 75, 150], "bounds 100, 200, 300, 300");
    assert.equal(backoffMs(30, { baseDelayMs: 100, maxDelayMs: 300 }, 0.5), 150, "no overflow far out");
  });

  it("waits at least the Retry-After the service asked for, and the back-off when that is longer", async () => {
    const clock = fakeClock();
    const { operation } = failingThen([transient(3_000), transient(10)]);
    await retry(operation, { classify, clock, random: () => 0.5, baseDelayMs: 1_000, maxDelayMs: 10_000 });
    assert.deepEqual(clock.sleeps, [3_000, 1_000]);
  });

  it("throws the last failure itself after maxAttempts", async () => {
    const clock = fakeClock();
    const last = transient(1_000);
    const { operation, attempts } = failingThen([transient(), transient(), last]);
    await assert.rejects(
      retry(operation, { classify, clock, random: () => 0, maxAttempts: 3 }),
      (error) => error === last,
    );
    assert.equal(attempts.length, 3);
    assert.equal(clock.sleeps.length, 2, "no wait after the last attempt");
  });

  it("never retries a permanent failure", async () => {
    const clock = fakeClock();
    const refusal = permanent();
    const { operation, attempts } = failingThen([refusal]);
    await assert.rejects(retry(operation, { classify, clock }), (error) => error === refusal);
    assert.equal(attempts.length, 1);
    assert.deepEqual(clock.sleeps, []);
  });

  it("gives each attempt the attempt timeout, less when the deadline is nearer, and gives up rather than wait past it", async () => {
    const clock = fakeClock();
    const attempts: Attempt[] = [];
    const failure = retry(
      async (attempt) => {
        attempts.push(attempt);
        clock.advance(attempt.timeoutMs);
        throw transient();
      },
      {
        classify,
        clock,
        random: () => 0.5,
        baseDelayMs: 100,
        maxDelayMs: 100,
        attemptTimeoutMs: 400,
        deadlineMs: 1_000,
        maxAttempts: 10,
      },
    );
    await assert.rejects(failure, (error) => error instanceof Failure);
    // 0–400 first attempt, wait 50, 450–850 second, wait 50, 900–1000 third (cut to the 100 ms left).
    assert.deepEqual(
      attempts.map((attempt) => attempt.timeoutMs),
      [400, 400, 100],
    );
  });

  it("does not wait for a Retry-After that ends past the deadline: the caller gets it at once", async () => {
    const clock = fakeClock();
    const throttled = transient(5_000);
    const { operation, attempts } = failingThen([throttled]);
    await assert.rejects(retry(operation, { classify, clock, deadlineMs: 2_000 }), (error) => error === throttled);
    assert.equal(attempts.length, 1);
    assert.deepEqual(clock.sleeps, []);
  });
});

describe("retryPolicy", () => {
  it("fills in the defaults and keeps what is given", () => {
    assert.deepEqual(retryPolicy(), {
      maxAttempts: 6,
      baseDelayMs: 200,
      maxDelayMs: 5_000,
      attemptTimeoutMs: 30_000,
      deadlineMs: 60_000,
    });
    assert.deepEqual(retryPolicy({ maxAttempts: 2, deadlineMs: 500 }), {
      maxAttempts: 2,
      baseDelayMs: 200,
      maxDelayMs: 5_000,
      attemptTimeoutMs: 30_000,
      deadlineMs: 500,
    });
  });

  it("refuses bad options at once, naming them", () => {
    assert.throws(() => retryPolicy({ maxAttempts: 0 }), {
      name: "RangeError",
      message: "maxAttempts must be an integer of at least 1; got 0",
    });
    assert.throws(() => retryPolicy({ maxAttempts: 2.5 }), {
      message: "maxAttempts must be an integer of at least 1; got 2.5",
    });
    assert.throws(() => retryPolicy({ baseDelayMs: -1 }), {
      message: "baseDelayMs must be a finite number of milliseconds, at least 0; got -1",
    });
    assert.throws(() => retryPolicy({ baseDelayMs: 500, maxDelayMs: 100 }), {
      message: "maxDelayMs must be a finite number of milliseconds, at least 500; got 100",
    });
    assert.throws(() => retryPolicy({ attemptTimeoutMs: 0 }), {
      message: "attemptTimeoutMs must be a finite number of milliseconds, at least 1; got 0",
    });
    assert.throws(() => retryPolicy({ deadlineMs: Number.NaN }), {
      message: "deadlineMs must be a finite number of milliseconds, at least 1; got NaN",
    });
  });

  it("checks the options of a retry before the first attempt", async () => {
    let called = false;
    await assert.rejects(
      retry(
        async () => {
          called = true;
        },
        { classify, maxAttempts: -1 },
      ),
      { message: "maxAttempts must be an integer of at least 1; got -1" },
    );
    assert.equal(called, false);
  });
});

describe("withDeadline", () => {
  it("passes the answer through when it comes in time", async () => {
    assert.equal(await withDeadline(1_000, "GET /x", async () => 42), 42);
  });

  it("settles at the deadline with a DeadlineExceededError and aborts the operation's signal", async () => {
    let seen: AbortSignal | undefined;
    const started = Date.now();
    await assert.rejects(
      withDeadline(50, "GET /slow", (signal) => {
        seen = signal;
        return new Promise<never>(() => undefined);
      }),
      { name: "DeadlineExceededError", code: "ETIMEDOUT", message: "GET /slow: no answer within 50 ms" },
    );
    assert.ok(Date.now() - started < 1_000);
    assert.equal(seen?.aborted, true);
    assert.ok(seen?.reason instanceof DeadlineExceededError);
  });

  it("does not start an operation that has no time left", async () => {
    let called = false;
    await assert.rejects(
      withDeadline(0, "GET /x", async () => {
        called = true;
      }),
      DeadlineExceededError,
    );
    assert.equal(called, false);
  });
});
