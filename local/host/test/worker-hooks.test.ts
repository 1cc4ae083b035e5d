/**
 * The worker's hook semantics (worker-hooks.ts), without an app: what pre- and post-invocation
 * hooks may change, the phases the core context reports, and the errors the library relies on.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { WorkerHooks, type HookCallback } from "../src/worker-hooks.js";

const original = (...args: unknown[]): unknown => ["original", ...args];

describe("worker hooks", () => {
  test("pre hooks replace inputs and handler; post hooks see the result; phases are reported in order", async () => {
    const hooks = new WorkerHooks();
    const phases: (string | undefined)[] = [];
    hooks.register("preInvocation", (context) => {
      context.inputs = ["changed"];
      context.functionCallback = (...args: unknown[]) => ["replaced", ...args];
      (context.hookData as Record<string, unknown>).fromPre = 1;
    });
    let seen: Record<string, unknown> | undefined;
    hooks.register("postInvocation", (context) => {
      seen = { result: context.result, fromPre: (context.hookData as Record<string, unknown>).fromPre };
    });
    const result = await hooks.aroundInvocation(
      { functionName: "f" },
      { inputs: ["input"], functionCallback: original },
      (phase) => phases.push(phase),
      async (inputs, callback) => callback(...inputs),
    );
    assert.deepEqual(result, ["replaced", "changed"]);
    assert.deepEqual(seen, { result: ["replaced", "changed"], fromPre: 1 });
    assert.deepEqual(phases, [
      "preInvocationHooks",
      undefined,
      "invocation",
      undefined,
      "postInvocationHooks",
      undefined,
    ]);
  });

  test("a post hook may clear the error; one left behind is thrown, Error or not", async () => {
    const hooks = new WorkerHooks();
    const failing = async (): Promise<unknown> => {
      throw "not an Error";
    };
    const state = { inputs: [], functionCallback: original };
    await assert.rejects(
      hooks.aroundInvocation({}, state, () => undefined, failing),
      (error) => error === "not an Error",
    );
    hooks.register("postInvocation", (context) => {
      context.error = null;
      context.result = "recovered";
    });
    assert.equal(await hooks.aroundInvocation({}, state, () => undefined, failing), "recovered");
  });

  test("hook data is read-only; unknown hook names are the worker's RangeError; disposing removes a hook", async () => {
    const hooks = new WorkerHooks();
    const calls: string[] = [];
    const hook: HookCallback = (context) => {
      calls.push("start");
      assert.throws(() => (context.hookData = {}), /read only/);
    };
    const dispose = hooks.register("appStart", hook);
    await hooks.appStart("/app");
    dispose();
    await hooks.appStart("/app");
    assert.deepEqual(calls, ["start"]);
    assert.throws(
      () => hooks.register("log", () => undefined),
      (error: Error & { isAzureFunctionsSystemError?: boolean }) =>
        error instanceof RangeError && error.isAzureFunctionsSystemError === true,
    );
  });
});
