/**
 * Conformance of the local host, driven over HTTP: the fixture app's HTTP functions use the
 * SDK's unmodified DurableClient; the management API is also called directly, as a plain HTTP
 * client following statusQueryGetUri would.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startAzurite, type RunningAzurite } from "@besu-fleet/local-support";
import { DurableStore } from "../src/store.js";
import { startHostProcess, type HostProcess } from "../src/host-process.js";
import { request, waitFor } from "@besu-fleet/local-support";
import { FUNCTION_TIMEOUT_SETTING } from "../src/function-timeout.js";
import { CONFORMANCE_APP } from "./paths.js";

type Json = Record<string, unknown>;
const asJson = (value: unknown): Json => {
  assert.equal(typeof value, "object", `expected a JSON object, got ${JSON.stringify(value)}`);
  return value as Json;
};

/** Long enough for every other test's invocations on a busy machine, short enough to wait for. */
const FUNCTION_TIMEOUT = "00:00:04";

let azurite: RunningAzurite;
let host: HostProcess;
let workDir: string;
let functionKey: string;
let systemKey: string;
let masterKey: string;

const api = (route: string, key: string | null = functionKey): string =>
  `${host.baseUrl}/api/${route}${key ? `${route.includes("?") ? "&" : "?"}code=${key}` : ""}`;
const webhook = (route: string, key: string | null = systemKey): string =>
  `${host.baseUrl}/runtime/webhooks/durabletask/${route}${key ? `${route.includes("?") ? "&" : "?"}code=${key}` : ""}`;

async function start(name: string, input: unknown, instanceId?: string): Promise<Json> {
  const response = await request(api(`orchestrators/${name}${instanceId ? `/${instanceId}` : ""}`), {
    method: "POST",
    body: JSON.stringify(input),
  });
  assert.equal(response.status, 202, response.text);
  return asJson(response.body);
}

/** Follows statusQueryGetUri until the instance is no longer running, as a plain HTTP client would. */
async function completion(statusQueryGetUri: string): Promise<Json> {
  return waitFor(`completion of ${statusQueryGetUri}`, async () => {
    const response = await request(statusQueryGetUri);
    if (response.status === 202) return undefined;
    assert.equal(response.status, 200, response.text);
    return asJson(response.body);
  });
}

async function run(name: string, input: unknown, instanceId?: string): Promise<Json> {
  const started = await start(name, input, instanceId);
  return completion(String(started.statusQueryGetUri));
}

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-conformance-"));
  azurite = await startAzurite();
  host = await startHostProcess({
    appDir: CONFORMANCE_APP,
    storage: azurite.connectionString,
    dataDir: path.join(workDir, "data"),
    env: {
      CONFORMANCE_LEDGER: path.join(workDir, "ledger"),
      CONFORMANCE_DIR: workDir,
      // host.json says 00:05:00; the app setting overrides it, as in Azure.
      [FUNCTION_TIMEOUT_SETTING]: FUNCTION_TIMEOUT,
    },
  });
  const keys = JSON.parse(fs.readFileSync(path.join(workDir, "data", "keys.json"), "utf8")) as {
    masterKey: string;
    functionKeys: { default: string };
    systemKeys: { durabletask_extension: string };
  };
  functionKey = keys.functionKeys.default;
  systemKey = keys.systemKeys.durabletask_extension;
  masterKey = keys.masterKey;
});

after(async () => {
  await host?.kill();
  await azurite?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe("HTTP functions", () => {
  test("routes with optional and constrained parameters, query and methods", async () => {
    assert.deepEqual((await request(api("hello/ada?q=1", null))).body, { hello: "ada", q: "1" });
    assert.deepEqual((await request(api("hello", null))).body, { hello: "world", q: null });
    assert.match(host.output(), /\[hello information\] greeting ada/, "context.log reaches the host's log");
    const put = await request(api("secure/42"), { method: "PUT", body: JSON.stringify({ x: 1 }) });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get("x-id"), "42");
    assert.deepEqual(put.body, { id: 42, body: { x: 1 } });
    assert.equal((await request(api("secure/not-a-number"))).status, 404, "the :int constraint rejects the segment");
    assert.equal((await request(api("hello/ada", null), { method: "POST" })).status, 405);
  });

  test("function and admin auth levels need keys; anonymous stays open", async () => {
    assert.equal((await request(api("secure/1", null))).status, 401);
    assert.equal((await request(api("secure/1", "wrong-key"))).status, 401);
    assert.equal(
      (await request(`${host.baseUrl}/api/secure/1`, { headers: { "x-functions-key": functionKey } })).status,
      201,
    );
    assert.equal((await request(api("admin-only", functionKey))).status, 401, "a function key is not enough for admin");
    assert.equal((await request(api("admin-only", masterKey))).status, 200);
  });

  test("unknown routes are 404; a throwing handler is a 500 and the host keeps serving", async () => {
    assert.equal((await request(api("no-such-route"))).status, 404);
    assert.equal((await request(`${host.baseUrl}/elsewhere`)).status, 404);
    assert.equal((await request(api("boom", null))).status, 500);
    assert.match(host.output(), /function boom failed \(invocation [0-9a-f-]{36}\)/);
    assert.equal((await request(api("hello", null))).status, 200);
  });

  test("functions the host cannot serve are reported at start", () => {
    assert.match(host.output(), /function sendsToQueue is not served: binding .* of type queue/);
  });
});

describe("timer triggers", () => {
  test("runOnStartup fires at start and the NCRONTAB schedule keeps firing with schedule status", async () => {
    const ledger = path.join(workDir, "ledger");
    const ticks = await waitFor(
      "three ticks",
      async () => {
        const lines = fs.existsSync(ledger)
          ? fs
              .readFileSync(ledger, "utf8")
              .split("\n")
              .filter((line) => line.startsWith("tick "))
          : [];
        return lines.length >= 3 ? lines : undefined;
      },
      10_000,
    );
    assert.match(ticks[0] as string, /"isPastDue":false/);
    assert.match(ticks[2] as string, /"hasStatus":true/);
  });

  test("the admin API runs a timer function now (master key only)", async () => {
    const run = (name: string, key: string | null) =>
      request(`${host.baseUrl}/admin/functions/${name}${key ? `?code=${key}` : ""}`, {
        method: "POST",
        body: JSON.stringify({ input: "" }),
      });
    assert.equal((await run("Yearly", functionKey)).status, 401);
    assert.equal((await run("Yearly", masterKey)).status, 202);
    await waitFor("the yearly timer to run", async () =>
      fs.readFileSync(path.join(workDir, "ledger"), "utf8").includes("yearly") ? true : undefined,
    );
    assert.equal((await run("hello", masterKey)).status, 400, "an HTTP function is not run this way");
    assert.equal((await run("NoSuchFunction", masterKey)).status, 404);
  });
});

describe("orchestrations", () => {
  test("a sequence of activities returns its output; input and history are served", async () => {
    const started = await start("Sequence", { x: 1 });
    const done = await completion(String(started.statusQueryGetUri));
    assert.equal(done.runtimeStatus, "Completed");
    assert.deepEqual(done.output, { a: "one", b: 5, c: { nested: ["one", 5] }, input: { x: 1 } });
    const viaClient = asJson((await request(api(`client/status/${String(started.id)}`))).body);
    assert.equal(viaClient.runtimeStatus, "Completed");
    const history = viaClient.history as Json[];
    assert.deepEqual(
      history.map((event) => event.EventType),
      ["ExecutionStarted", "TaskCompleted", "TaskCompleted", "TaskCompleted", "ExecutionCompleted"],
    );
    assert.equal(history[2]?.Result, 5);
  });

  test("a fan-out of 200 activities completes in far fewer episodes than activities", async () => {
    const started = await start("FanOut", { count: 200, prefix: "fan", delayMs: 5 });
    const done = await completion(String(started.statusQueryGetUri));
    assert.equal(done.output, (199 * 200) / 2);
    const store = await DurableStore.open(azurite.connectionString, "ConformanceHub");
    const found = await store.getInstance(String(started.id));
    assert.ok(found);
    const history = await store.readHistory(
      found.record.instanceId,
      found.record.executionId,
      found.record.historyLength,
    );
    const episodes = history.filter((text) => (JSON.parse(text) as Json).EventType === 12).length;
    assert.ok(
      episodes < 40,
      `all available completions are processed per episode (${episodes} episodes for 200 activities)`,
    );
  });

  test("durable timers fire; a timer cancelled by Task.any never fires", async () => {
    const started = await start("Timers", {});
    const done = await completion(String(started.statusQueryGetUri));
    const output = asJson(done.output);
    assert.equal(output.winner, "fast");
    assert.ok(Number(output.waitedMs) >= 300, `waited ${String(output.waitedMs)} ms`);
    const status = asJson((await request(webhook(`instances/${String(started.id)}?showHistory=true`))).body);
    const fired = (status.historyEvents as Json[]).filter((event) => event.EventType === "TimerFired");
    assert.equal(fired.length, 1, "only the first timer fired");
  });

  test("activity retries back off and succeed; exhausted retries surface the error", async () => {
    const ok = asJson((await run("Retries", { key: "ok", succeedOnAttempt: 3, maxAttempts: 4 })).output);
    assert.deepEqual(ok, { ok: true, attempt: 3, before: "before", after: "after" });
    const failed = asJson((await run("Retries", { key: "exhausted", succeedOnAttempt: 9, maxAttempts: 2 })).output);
    assert.equal(failed.ok, false);
    assert.match(String(failed.message), /attempt 2 failed on purpose/);
    assert.equal(
      fs.readFileSync(path.join(workDir, "flaky-exhausted"), "utf8"),
      "2",
      "exactly maxNumberOfAttempts attempts ran",
    );
  });

  test("retryTimeoutInMilliseconds stops retries: the remaining attempts fail without running", async () => {
    const done = await run("RetryTimeout", {});
    const output = asJson(done.output);
    assert.equal(output.ok, false);
    assert.match(String(output.message), /attempt \d failed on purpose \(retryTimeoutInMilliseconds 1500 exceeded/);
    const ran = Number(fs.readFileSync(path.join(workDir, "flaky-retry-timeout"), "utf8"));
    assert.ok(ran >= 2 && ran <= 3, `attempts run within the 1.5 s timeout, not all ten (${ran})`);
  });

  test("sub-orchestration retries start a new child per attempt until one succeeds", async () => {
    const done = await run("SubRetries", { key: "sub-retry", succeedOnAttempt: 3 }, "sub-retries");
    assert.equal(done.output, 3);
    const all = (await request(api("client/list"))).body as Json[];
    const children = all.filter((instance) => String(instance.instanceId).startsWith("sub-retries:"));
    assert.equal(children.length, 3, "three attempts, three child instances");
    assert.deepEqual(children.map((child) => child.runtimeStatus).sort(), ["Completed", "Failed", "Failed"]);
  });

  test("sub-orchestrations return results and failures to the parent", async () => {
    const done = await run("Parent", {});
    const output = asJson(done.output);
    assert.deepEqual(
      output.results,
      [1, 2, 3].map((value) => ({ doubled: value * 2, parent: done.instanceId })),
    );
    assert.match(String(output.failure), /activity failed: child asked to fail/);
  });

  test("external events, custom status and a cancelled timeout", async () => {
    const started = await start("WaitForApproval", {});
    const id = String(started.id);
    await waitFor("custom status", async () => {
      const status = asJson((await request(webhook(`instances/${id}`))).body);
      return JSON.stringify(status.customStatus) === JSON.stringify({ stage: "waiting" }) ? status : undefined;
    });
    assert.equal(
      (await request(api(`client/raise/${id}?event=Approval`), { method: "POST", body: JSON.stringify({ by: "ops" }) }))
        .status,
      202,
    );
    const done = await completion(String(started.statusQueryGetUri));
    assert.deepEqual(done.output, { approved: { by: "ops" } });
    assert.deepEqual(done.customStatus, { stage: "approved" });
    assert.equal(
      (await request(webhook(`instances/${id}/raiseEvent/Approval`), { method: "POST", body: "1" })).status,
      410,
      "raising to a completed instance is 410 Gone",
    );
  });

  test("callHttp follows the 202 pattern: durable timers between polls of Location, then the final response", async () => {
    const done = await run("CallHttp", { url: api("job/start/j1", null) });
    assert.equal(done.runtimeStatus, "Completed", JSON.stringify(done.output));
    assert.deepEqual(done.output, { statusCode: 200, content: { job: "j1", polls: 3 }, refused: 405 });
    const status = asJson((await request(webhook(`instances/${String(done.instanceId)}?showHistory=true`))).body);
    const timers = (status.historyEvents as Json[]).filter((event) => event.EventType === "TimerFired");
    assert.equal(timers.length, 3, "one durable timer per 202 (start and two polls)");
  });

  test("entities: client signals and reads, an entity's own signal, an orchestration's signal and calls", async () => {
    const entity = (op: string, key: string, input?: unknown) =>
      request(api(`entity/${op}/${key}`, null), {
        method: op === "read" ? "GET" : "POST",
        ...(input !== undefined && { body: JSON.stringify(input) }),
      });
    assert.deepEqual((await entity("read", "c1")).body, { entityExists: false }, "no state before the first operation");
    assert.equal((await entity("add", "c1", 3)).status, 202);
    assert.equal((await entity("forward", "c1", { to: "c2", amount: 7 })).status, 202);
    await waitFor("the signals to run", async () => {
      const [c1, c2] = await Promise.all([entity("read", "c1"), entity("read", "c2")]);
      return asJson(c1.body).entityState === 3 && asJson(c2.body).entityState === 7 ? true : undefined;
    });
    const done = await run("EntityWork", { key: "c3" });
    assert.equal(done.runtimeStatus, "Completed", JSON.stringify(done.output));
    assert.deepEqual(done.output, { afterCall: 7, read: 7, failed: true }, "the signal ran before the call: one queue");
    assert.equal((await request(webhook("entities/tally/c3"))).text, "7", "the management API reads the state");
    assert.equal((await request(webhook("entities/Tally/never"))).status, 404);
  });

  test("a signal sent in the episode that ends the orchestration still reaches the entity", async () => {
    const done = await run("SignalAndReturn", { key: "last-words" });
    assert.equal(done.output, "sent");
    await waitFor("the signal to run", async () => {
      const response = await request(webhook("entities/tally/last-words"));
      return response.status === 200 && response.body === 5 ? true : undefined;
    });
  });

  test("locks: concurrent critical sections over the same entities, in any order, never interleave", async () => {
    const orders = [
      ["lx", "ly"],
      ["ly", "lx"],
      ["lx", "ly"],
      ["ly", "lx"],
    ];
    const done = await Promise.all(orders.map((keys) => run("LockedIncrement", { keys })));
    for (const instance of done) assert.equal(instance.runtimeStatus, "Completed", JSON.stringify(instance.output));
    // Each read-modify-write waits 200 ms between the read and the write: without the lock they
    // overlap and lose updates; a lock taken in the caller's order could deadlock.
    assert.equal((await request(webhook("entities/tally/lx"))).text, "4");
    assert.equal((await request(webhook("entities/tally/ly"))).text, "4");
    for (const instance of done) {
      const output = instance.output as number;
      // A release numbered unlike the SDK (one number per entity) would leave this call unanswered.
      assert.ok(output >= 1 && output <= 4, `the call after the release answers: ${output}`);
    }
  });

  const entityState = async (key: string): Promise<unknown> => {
    const response = await request(webhook(`entities/tally/${key}`));
    return response.status === 200 ? response.body : undefined;
  };
  const signal = async (op: string, key: string, input: unknown): Promise<void> => {
    const response = await request(webhook(`entities/Tally/${key}?op=${op}`), {
      method: "POST",
      body: JSON.stringify(input),
    });
    assert.equal(response.status, 202, response.text);
  };
  /** Starts LockedHold and waits until it holds the lock on counter `key`. */
  const hold = async (input: Json): Promise<Json> => {
    await signal("set", String(input.key), 10);
    const started = await start("LockedHold", input);
    await waitFor("the lock to be held", async () => {
      const status = asJson((await request(webhook(`instances/${String(started.id)}`))).body);
      return status.customStatus === "holding" ? true : undefined;
    });
    return started;
  };

  test("locks: a client's signal waits for the holder, which the host releases when it ends", async () => {
    const started = await hold({ key: "held" });
    await signal("add", "held", 100);
    const go = await request(webhook(`instances/${String(started.id)}/raiseEvent/go`), { method: "POST", body: "1" });
    assert.equal(go.status, 202);
    const done = await completion(String(started.statusQueryGetUri));
    assert.deepEqual(done.output, { before: 10, after: 10 }, "the signal did not run inside the critical section");
    assert.equal(
      await waitFor("the signal after the release", async () =>
        (await entityState("held")) === 110 ? 110 : undefined,
      ),
      110,
    );
  });

  test("locks: a failed or terminated holder releases its lock", async () => {
    const failing = await hold({ key: "held-fail", fail: true });
    await signal("add", "held-fail", 1);
    await request(webhook(`instances/${String(failing.id)}/raiseEvent/go`), { method: "POST", body: "1" });
    const failed = await completion(String(failing.statusQueryGetUri));
    assert.equal(failed.runtimeStatus, "Failed");
    assert.match(String(failed.output), /failed while holding the lock/);
    await waitFor("the signal after the failure", async () =>
      (await entityState("held-fail")) === 11 ? true : undefined,
    );

    const terminated = await hold({ key: "held-term" });
    await signal("add", "held-term", 1);
    const next = await start("LockedIncrement", { keys: ["held-term"] });
    assert.equal(
      (await request(webhook(`instances/${String(terminated.id)}/terminate?reason=stop`), { method: "POST" })).status,
      202,
    );
    assert.equal((await completion(String(terminated.statusQueryGetUri))).runtimeStatus, "Terminated");
    const after = await completion(String(next.statusQueryGetUri));
    assert.equal(after.runtimeStatus, "Completed", JSON.stringify(after.output));
    // The signal queued first, then the other orchestration's lock request: 10 + 1, then + 1.
    assert.equal(after.output, 12);
  });

  test("locks: an orchestration that ends while waiting for a lock never takes it", async () => {
    const holder = await hold({ key: "contended" });
    const waiter = await start("LockedIncrement", { keys: ["contended"] });
    await waitFor("the waiter to be running", async () => {
      const status = asJson((await request(webhook(`instances/${String(waiter.id)}`))).body);
      return status.runtimeStatus === "Running" ? true : undefined;
    });
    await request(webhook(`instances/${String(waiter.id)}/terminate?reason=stop`), { method: "POST" });
    assert.equal((await completion(String(waiter.statusQueryGetUri))).runtimeStatus, "Terminated");
    await request(webhook(`instances/${String(holder.id)}/raiseEvent/go`), { method: "POST", body: "1" });
    assert.deepEqual((await completion(String(holder.statusQueryGetUri))).output, { before: 10, after: 10 });
    // Had the terminated waiter's request locked the entity after the holder, this would wait forever.
    await signal("add", "contended", 1);
    await waitFor("the signal after both", async () => ((await entityState("contended")) === 11 ? true : undefined));
  });

  test("continueAsNew restarts with the new input until done", async () => {
    const done = await run("Counter", 0);
    assert.equal(done.output, "done at 3");
    assert.equal(done.input, 3);
  });

  test("an orchestrator that throws is Failed with its message", async () => {
    const done = await run("Throws", {});
    assert.equal(done.runtimeStatus, "Failed");
    assert.match(String(done.output), /orchestrator failed on purpose/);
  });

  test("terminate, suspend and resume through the client", async () => {
    const waiting = await start("LongWait", {});
    const id = String(waiting.id);
    await waitFor("running", async () =>
      asJson((await request(webhook(`instances/${id}`))).body).runtimeStatus === "Running" ? true : undefined,
    );
    assert.equal((await request(api(`client/suspend/${id}`), { method: "POST" })).status, 202);
    await waitFor("suspended", async () =>
      asJson((await request(webhook(`instances/${id}`))).body).runtimeStatus === "Suspended" ? true : undefined,
    );
    assert.equal((await request(api(`client/resume/${id}`), { method: "POST" })).status, 202);
    await waitFor("resumed", async () =>
      asJson((await request(webhook(`instances/${id}`))).body).runtimeStatus === "Running" ? true : undefined,
    );
    assert.equal((await request(api(`client/terminate/${id}`), { method: "POST" })).status, 202);
    const done = await completion(String(waiting.statusQueryGetUri));
    assert.equal(done.runtimeStatus, "Terminated");
    assert.equal(done.output, "stopped by test");
    assert.equal((await request(webhook(`instances/${id}/terminate?reason=again`), { method: "POST" })).status, 410);
  });

  test("waitForCompletionOrCreateCheckStatusResponse returns the output once done", async () => {
    const started = await start("Sequence", "wait");
    const response = await request(api(`client/wait/${String(started.id)}`));
    assert.equal(response.status, 200);
    assert.deepEqual(asJson(response.body).input, "wait");
  });

  test("list, list by status, and purge", async () => {
    const done = await run("Sequence", "purge-me", "purge-me");
    assert.equal(done.runtimeStatus, "Completed");
    const all = (await request(api("client/list"))).body as Json[];
    assert.ok(all.some((instance) => instance.instanceId === "purge-me"));
    const completed = (await request(api("client/by-status"))).body as Json[];
    assert.ok(completed.length > 0 && completed.every((instance) => instance.runtimeStatus === "Completed"));
    const page = await request(webhook("instances?top=2"));
    assert.equal((page.body as Json[]).length, 2);
    assert.ok(page.headers.get("x-ms-continuation-token"), "more pages are announced with a continuation token");
    assert.deepEqual((await request(api("client/purge/purge-me"), { method: "DELETE" })).body, { instancesDeleted: 1 });
    assert.equal((await request(webhook("instances/purge-me"))).status, 404);
    assert.deepEqual((await request(api("client/purge/purge-me"), { method: "DELETE" })).body, { instancesDeleted: 0 });
  });

  test("an instance id that is running cannot be started again; a finished one can", async () => {
    await start("LongWait", {}, "only-once");
    const again = await request(webhook("orchestrators/LongWait/only-once"), { method: "POST" });
    assert.equal(again.status, 409);
    await request(webhook("instances/only-once/terminate?reason=done"), { method: "POST" });
    await waitFor("terminated", async () =>
      asJson((await request(webhook("instances/only-once"))).body).runtimeStatus === "Terminated" ? true : undefined,
    );
    const restarted = await request(webhook("orchestrators/Sequence/only-once"), { method: "POST", body: '"second"' });
    assert.equal(restarted.status, 202);
    const done = await completion(String(asJson(restarted.body).statusQueryGetUri));
    assert.deepEqual(asJson(done.output).input, "second");
  });
});

describe("functionTimeout", () => {
  test("an activity that runs past it is a failed task for its orchestrator; one within it completes", async () => {
    const [late, inTime] = await Promise.all([
      run("SleepThenReport", { ms: 20_000 }),
      run("SleepThenReport", { ms: 500 }),
    ]);
    assert.deepEqual(inTime.output, { ok: true, slept: 500 });
    const failure = asJson(late.output);
    assert.equal(failure.ok, false);
    assert.match(
      String(failure.message),
      new RegExp(`Timeout value of ${FUNCTION_TIMEOUT} was exceeded by function: Functions\\.Sleep`),
    );
    const lasted = Date.parse(String(late.lastUpdatedTime)) - Date.parse(String(late.createdTime));
    assert.ok(
      lasted < 15_000,
      `the orchestrator saw the failure at the timeout, not when the call ended (${lasted} ms)`,
    );
  });

  test("an HTTP function that runs past it answers 500", async () => {
    assert.equal((await request(api("sleep?ms=20000", null))).status, 500);
    assert.match(
      host.output(),
      /function sleepHttp failed .*Timeout value of 00:00:04 was exceeded by function: Functions\.sleepHttp/,
    );
  });
});

describe("management API: bad input", () => {
  test("a missing or wrong system key is 401", async () => {
    assert.equal((await request(webhook("instances", null))).status, 401);
    assert.equal((await request(webhook("instances", functionKey))).status, 401);
  });

  test("an unknown orchestrator name is 400 naming it", async () => {
    const response = await request(webhook("orchestrators/NoSuchOrchestrator"), { method: "POST" });
    assert.equal(response.status, 400);
    assert.match(JSON.stringify(response.body), /NoSuchOrchestrator.*doesn't exist/);
    const activity = await request(webhook("orchestrators/Echo"), { method: "POST" });
    assert.equal(activity.status, 400, "an activity is not an orchestrator");
  });

  test("malformed queries and bodies are 400; unknown instances 404", async () => {
    assert.equal((await request(webhook("instances?runtimeStatus=Sleeping"))).status, 400);
    assert.equal((await request(webhook("instances?createdTimeFrom=yesterday"))).status, 400);
    assert.equal((await request(webhook("instances?top=-1"))).status, 400);
    assert.equal((await request(webhook("orchestrators/Sequence"), { method: "POST", body: "{not json" })).status, 400);
    assert.equal((await request(webhook("instances/nope"))).status, 404);
    assert.equal((await request(webhook("instances/nope/raiseEvent/X"), { method: "POST", body: "1" })).status, 404);
    assert.equal((await request(webhook("instances/nope/terminate"), { method: "POST" })).status, 404);
    assert.equal((await request(webhook("no-such-route"))).status, 404);
  });
});
