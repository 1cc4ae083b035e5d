/** Pure parts of the host: NCRONTAB schedules, route templates, the action/sequence-number mapping, table transaction slices. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseSchedule } from "../src/ncrontab.js";
import {
  ActionType,
  actionInputJson,
  flattenActions,
  parseOrchestratorFailure,
  retryDelayMs,
  type SdkAction,
} from "../src/protocol.js";
import { compileRoute } from "../src/routes.js";
import { MAX_TRANSACTION_BYTES, transactionSlices } from "../src/table-batches.js";

describe("NCRONTAB", () => {
  const at = (iso: string): Date => new Date(iso);
  test("six fields with steps, ranges, lists and names", () => {
    assert.equal(
      parseSchedule("*/15 * * * * *").next(at("2026-01-01T00:00:07Z")).toISOString(),
      "2026-01-01T00:00:15.000Z",
    );
    assert.equal(
      parseSchedule("0 */5 * * * *").next(at("2026-01-01T00:03:00Z")).toISOString(),
      "2026-01-01T00:05:00.000Z",
    );
    assert.equal(
      parseSchedule("0 30 9 * * Mon-Fri").next(at("2026-01-03T10:00:00Z")).toISOString(),
      "2026-01-05T09:30:00.000Z",
      "Saturday → Monday",
    );
    assert.equal(
      parseSchedule("0 0 0 1 Jan,Jul *").next(at("2026-02-01T00:00:00Z")).toISOString(),
      "2026-07-01T00:00:00.000Z",
    );
    assert.equal(parseSchedule("0 0 12 * * 0").next(at("2026-01-01T00:00:00Z")).getUTCDay(), 0);
  });
  test("five fields mean second 0; a TimeSpan means every interval", () => {
    assert.equal(
      parseSchedule("*/2 * * * *").next(at("2026-01-01T00:01:30Z")).toISOString(),
      "2026-01-01T00:02:00.000Z",
    );
    assert.equal(parseSchedule("00:00:30").next(at("2026-01-01T00:00:00Z")).toISOString(), "2026-01-01T00:00:30.000Z");
  });
  test("bad expressions name the problem", () => {
    assert.throws(() => parseSchedule("* * *"), /six fields/);
    assert.throws(() => parseSchedule("0 61 * * * *"), /minute '61' is out of range/);
    assert.throws(() => parseSchedule("0 */0 * * * *"), /Invalid step/);
    assert.throws(() => parseSchedule("0 0 0 31 Feb *").next(at("2026-01-01T00:00:00Z")), /no occurrence/);
  });
});

describe("routes", () => {
  test("literals, optional, constrained and catch-all parameters", () => {
    assert.deepEqual(compileRoute("rollouts/{id}/retry").match("rollouts/r-1/retry"), { id: "r-1" });
    assert.deepEqual(compileRoute("rollouts/{id?}").match("rollouts"), {});
    assert.equal(compileRoute("items/{n:int}").match("items/x"), undefined);
    assert.deepEqual(compileRoute("files/{*rest}").match("files/a/b%20c"), { rest: "a/b c" });
    assert.equal(compileRoute("a/b").match("a/b/c"), undefined, "extra segments do not match");
    assert.deepEqual(compileRoute("Hello").match("hello"), {}, "literals are case-insensitive");
  });
});

describe("actions and sequence numbers", () => {
  test("flattening keeps depth-first order and counts a re-yielded task once", () => {
    const a: SdkAction = { actionType: ActionType.CallActivity, functionName: "A" };
    const b: SdkAction = { actionType: ActionType.CallActivity, functionName: "B" };
    const timer: SdkAction = { actionType: ActionType.CreateTimer, fireAt: new Date(0) };
    const all: SdkAction = {
      actionType: ActionType.WhenAll,
      compoundActions: [a, { actionType: ActionType.WhenAny, compoundActions: [b, timer] }],
    };
    assert.deepEqual(flattenActions({ isDone: false, actions: [[a, all]] }), [a, b, timer]);
  });
  test("string inputs of activities are pre-encoded by the SDK; others are not", () => {
    assert.equal(actionInputJson({ actionType: ActionType.CallActivity, input: JSON.stringify("x") }), '"x"');
    assert.equal(actionInputJson({ actionType: ActionType.CallSubOrchestrator, input: "x" }), '"x"');
    assert.equal(actionInputJson({ actionType: ActionType.CallActivity, input: { a: 1 } }), '{"a":1}');
  });
  test("retry back-off grows by the coefficient and is capped", () => {
    const options = {
      firstRetryIntervalInMilliseconds: 100,
      maxNumberOfAttempts: 5,
      backoffCoefficient: 2,
      maxRetryIntervalInMilliseconds: 300,
    };
    assert.deepEqual(
      [1, 2, 3, 4].map((attempt) => retryDelayMs(options, attempt)),
      [100, 200, 300, 300],
    );
  });
  test("an orchestrator failure is read from the SDK's out-of-proc payload", () => {
    const payload = JSON.stringify({ error: "boom", failureDetails: { errorType: "Error", errorMessage: "boom" } });
    assert.deepEqual(parseOrchestratorFailure(new Error(`false\n\n$OutOfProcData$:${payload}`)), {
      message: "boom",
      failureDetails: { ErrorType: "Error", ErrorMessage: "boom", StackTrace: undefined },
    });
  });
});

describe("table transaction slices", () => {
  test("at most 100 operations and MAX_TRANSACTION_BYTES a slice, in order, none empty", () => {
    const rows = Array.from({ length: 250 }, (_, i) => i);
    assert.deepEqual(
      transactionSlices(rows, () => 1).map((slice) => slice.length),
      [100, 100, 50],
    );
    const large = transactionSlices(rows, () => MAX_TRANSACTION_BYTES / 3);
    assert.ok(large.every((slice) => slice.length === 3 || slice === large.at(-1)));
    assert.deepEqual(large.flat(), rows);
    assert.deepEqual(
      transactionSlices([1, 2], () => MAX_TRANSACTION_BYTES * 2),
      [[1], [2]],
      "a row larger than the budget still goes alone",
    );
    assert.deepEqual(
      transactionSlices([], () => 1),
      [],
    );
  });
});
