/**
 * The host survives SIGKILL at any moment: restarted against the same storage, it finishes every
 * in-flight orchestration with the right output, and never re-runs an activity whose completion
 * was recorded before the kill.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { startAzurite, type RunningAzurite } from "@besu-fleet/local-support";
import { EventType, type HistoryEvent } from "../src/protocol.js";
import { DurableStore } from "../src/store.js";
import { startHostProcess, type HostProcess } from "../src/host-process.js";
import { request, waitFor } from "@besu-fleet/local-support";
import { CONFORMANCE_APP } from "./paths.js";

let azurite: RunningAzurite;
let workDir: string;
let store: DurableStore;

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-crash-"));
  azurite = await startAzurite();
  store = await DurableStore.open(azurite.connectionString, "ConformanceHub");
});

after(async () => {
  await azurite?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

const ledgerFile = (): string => path.join(workDir, "ledger");

/** Activity keys (from their inputs) whose completion storage holds: in history or in an inbox. */
async function recordedActivityKeys(): Promise<Set<string>> {
  const keys = new Set<string>();
  const inboxes = await store.readAllInboxes();
  for await (const record of store.listInstances()) {
    const history = (await store.readHistory(record.instanceId, record.executionId, record.historyLength)).map(
      (text) => JSON.parse(text) as HistoryEvent,
    );
    const inputById = new Map<number, string>();
    for (const event of history) {
      if (event.EventType === EventType.TaskScheduled) inputById.set(event.EventId, String(event.Input));
    }
    const completedIds = history
      .filter((event) => event.EventType === EventType.TaskCompleted)
      .map((event) => Number(event.TaskScheduledId));
    for (const message of inboxes.get(record.instanceId) ?? []) {
      if (message.key.startsWith("task:")) completedIds.push(Number(message.key.slice("task:".length)));
    }
    for (const id of completedIds) {
      const input = inputById.get(id);
      if (input) keys.add(String((JSON.parse(input) as { key: string }).key));
    }
  }
  return keys;
}

/** What storage holds, for the failure message of a stalled run. */
async function describeStore(): Promise<string> {
  const lines: string[] = [];
  const inboxes = await store.readAllInboxes();
  for await (const record of store.listInstances()) {
    const history = (await store.readHistory(record.instanceId, record.executionId, record.historyLength)).map(
      (text) => JSON.parse(text) as HistoryEvent,
    );
    const tail = history
      .slice(-6)
      .map(
        (event) =>
          `${event.EventType}/${String(event.EventId)}/${String(event.TaskScheduledId ?? event.TimerId ?? "")}`,
      )
      .join(" ");
    lines.push(
      `${record.instanceId} ${record.runtimeStatus} len=${record.historyLength} notified=${String(record.parentNotified)} inbox=[${(inboxes.get(record.instanceId) ?? []).map((m) => m.key).join(",")}] runtime=${record.runtime.slice(0, 300)} tail=${tail}`,
    );
  }
  return lines.join("\n");
}

/** `run <key> pid=<pid>` lines of the ledger, for one process. */
function runsBy(pid: number): string[] {
  if (!fs.existsSync(ledgerFile())) return [];
  return fs
    .readFileSync(ledgerFile(), "utf8")
    .split("\n")
    .map((line) => /^run (\S+) pid=(\d+)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && Number(match[2]) === pid)
    .map((match) => match[1] as string);
}

test("SIGKILL at several points, restart, same output, no recorded activity re-run", async () => {
  const env = { CONFORMANCE_LEDGER: ledgerFile(), CONFORMANCE_DIR: workDir };
  const start = () =>
    startHostProcess({
      appDir: CONFORMANCE_APP,
      storage: azurite.connectionString,
      dataDir: path.join(workDir, "data"),
      env,
    });
  let host: HostProcess = await start();
  const systemKey = (
    JSON.parse(fs.readFileSync(path.join(workDir, "data", "keys.json"), "utf8")) as {
      systemKeys: { durabletask_extension: string };
    }
  ).systemKeys.durabletask_extension;
  const status = (h: HostProcess, id: string) =>
    request(`${h.baseUrl}/runtime/webhooks/durabletask/instances/${id}?code=${systemKey}`);

  const ids = ["crash-a", "crash-b"];
  for (const id of ids) {
    const started = await request(
      `${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/CrashMix/${id}?code=${systemKey}`,
      {
        method: "POST",
        body: JSON.stringify({ count: 12, prefix: id }),
      },
    );
    assert.equal(started.status, 202, started.text);
  }

  // Kill after varying amounts of progress: mid fan-out, around the timer, in the child, later.
  // For each restart, remember which completions storage held when the new process started.
  const restarts: { pid: number; recorded: Set<string> }[] = [];
  for (const delay of [120, 300, 450, 650, 900]) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    const finished = await Promise.all(ids.map(async (id) => (await status(host, id)).status === 200));
    if (finished.every(Boolean)) break;
    await host.kill("SIGKILL");
    const recorded = await recordedActivityKeys();
    host = await start();
    restarts.push({ pid: host.child.pid as number, recorded });
  }

  for (const id of ids) {
    const final = await waitFor(
      `${id} to complete`,
      async () => {
        const response = await status(host, id);
        return response.status === 200 ? (response.body as Record<string, unknown>) : undefined;
      },
      60_000,
    ).catch(async (error: unknown) => {
      throw new Error(
        `${String(error)}\nstorage:\n${await describeStore()}\nhost output:\n${host.output().slice(-4000)}`,
      );
    });
    assert.equal(final.runtimeStatus, "Completed", JSON.stringify(final));
    assert.deepEqual(final.output, { first: 66, child: 400, second: 660 });
  }
  await host.kill();
  assert.ok(restarts.length >= 3, `the host was killed ${restarts.length} times`);
  for (const [index, { pid, recorded }] of restarts.entries()) {
    const rerun = runsBy(pid).filter((key) => recorded.has(key));
    assert.deepEqual(rerun, [], `restart #${index + 1} re-ran activities whose completion was recorded`);
  }

  // Every activity ran at least once; exactly one child per parent (no duplicate sub-orchestration).
  const everyRun = fs.readFileSync(ledgerFile(), "utf8");
  for (const id of ids) {
    for (let i = 0; i < 12; i++) assert.match(everyRun, new RegExp(`^run ${id}-a${i} `, "m"));
    for (let i = 0; i < 4; i++) assert.match(everyRun, new RegExp(`^run ${id}-c${i} `, "m"));
  }
  const instances: string[] = [];
  for await (const record of store.listInstances()) instances.push(record.instanceId);
  assert.equal(instances.length, 4, `two parents and their two children, no more: ${instances.join(", ")}`);
});

/** A host for the entity tests (no ledger): they kill it and start another on the same storage. */
const startEntityHost = (): Promise<HostProcess> =>
  startHostProcess({
    appDir: CONFORMANCE_APP,
    storage: azurite.connectionString,
    dataDir: path.join(workDir, "data"),
    env: { CONFORMANCE_DIR: workDir },
  });

/** A management API URL of `host`, with the system key of the data folder the hosts share. */
function managementUrl(host: HostProcess, route: string): string {
  const keys = JSON.parse(fs.readFileSync(path.join(workDir, "data", "keys.json"), "utf8")) as {
    systemKeys: { durabletask_extension: string };
  };
  const code = keys.systemKeys.durabletask_extension;
  return `${host.baseUrl}/runtime/webhooks/durabletask/${route}${route.includes("?") ? "&" : "?"}code=${code}`;
}

test("an entity call in flight at SIGKILL is sent again after the restart and answers the orchestration", async () => {
  let host = await startEntityHost();
  const started = await request(managementUrl(host, "orchestrators/CallSlowEntity/entity-crash"), {
    method: "POST",
    body: JSON.stringify({ key: "k" }),
  });
  assert.equal(started.status, 202, started.text);
  // The call is recorded (EventSent) and the 1.5 s operation is running: kill now.
  await waitFor("the entity call to be recorded", async () => {
    const found = await store.getInstance("entity-crash");
    return found && found.record.historyLength >= 3 ? true : undefined;
  });
  await host.kill("SIGKILL");
  host = await startEntityHost();
  const done = await waitFor("the orchestration to complete", async () => {
    const response = await request(managementUrl(host, "instances/entity-crash"));
    return response.status === 200 ? (response.body as Record<string, unknown>) : undefined;
  });
  await host.kill();
  assert.equal(done.runtimeStatus, "Completed", JSON.stringify(done));
  assert.equal(done.output, 4, "the operation ran once to completion, after the restart");
});

test("an entity lock held at SIGKILL is taken again after the restart and released when its holder ends", async () => {
  let host = await startEntityHost();
  const post = async (route: string, body: unknown): Promise<void> => {
    const response = await request(managementUrl(host, route), { method: "POST", body: JSON.stringify(body) });
    assert.equal(response.status, 202, response.text);
  };
  await post("entities/Tally/crash-held?op=set", 10);
  await post("orchestrators/LockedHold/lock-crash", { key: "crash-held" });
  await waitFor("the lock to be held", async () => {
    const response = await request(managementUrl(host, "instances/lock-crash"));
    return (response.body as Record<string, unknown>).customStatus === "holding" ? true : undefined;
  });
  await host.kill("SIGKILL");
  host = await startEntityHost();
  // Sent after the restart: it must wait for the lock the restarted host took again.
  await post("entities/Tally/crash-held?op=add", 100);
  await post("instances/lock-crash/raiseEvent/go", 1);
  const done = await waitFor("the orchestration to complete", async () => {
    const response = await request(managementUrl(host, "instances/lock-crash"));
    return response.status === 200 ? (response.body as Record<string, unknown>) : undefined;
  });
  assert.deepEqual(done.output, { before: 10, after: 10 }, JSON.stringify(done));
  await waitFor("the signal after the release", async () =>
    (await request(managementUrl(host, "entities/tally/crash-held"))).body === 110 ? true : undefined,
  );
  await host.kill();
});
