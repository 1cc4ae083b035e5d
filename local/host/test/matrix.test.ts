/**
 * The library version matrix: the same app (test/fixtures/matrix-app/functions) pinned by its own
 * lockfile to each `@azure/functions` / `durable-functions` pair under versions/, installed from
 * the npm registry into a temporary folder and run on the host against one shared Azurite. What
 * it checks is what broke between versions before: the core invocation context (context.log at
 * every level), hooks, failure details a parent orchestration must parse, and the everyday
 * durable features. An app using a feature the host lacks must stop at start with one line.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { request, startAzurite, waitFor, type RunningAzurite } from "@besu-fleet/local-support";
import { startHostProcess, type HostProcess } from "../src/host-process.js";
import { MATRIX_APP } from "./paths.js";

type Json = Record<string, unknown>;

const VERSIONS = fs
  .readdirSync(path.join(MATRIX_APP, "versions"))
  .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-matrix-"));
let azurite: RunningAzurite;
/** Each version's installed app folder, once its npm install has finished. */
const installs = new Map<string, Promise<string>>();

/** Copies the shared source and one version's manifest and lockfile, then installs from the registry. */
async function install(version: string): Promise<string> {
  const appDir = path.join(workDir, version);
  fs.cpSync(path.join(MATRIX_APP, "functions"), path.join(appDir, "functions"), { recursive: true });
  for (const file of ["package.json", "package-lock.json"])
    fs.copyFileSync(path.join(MATRIX_APP, "versions", version, file), path.join(appDir, file));
  const hub = `Matrix${version.replace(/[^0-9]/g, "")}`;
  fs.writeFileSync(
    path.join(appDir, "host.json"),
    JSON.stringify({ version: "2.0", extensions: { durableTask: { hubName: hub } } }),
  );
  await promisify(execFile)("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd: appDir,
    timeout: 240_000,
  });
  return appDir;
}

function startApp(version: string, appDir: string, env: Record<string, string> = {}): Promise<HostProcess> {
  return startHostProcess({
    appDir,
    storage: azurite.connectionString,
    dataDir: path.join(workDir, `${version}-data-${Object.keys(env).join("-")}`),
    env,
  });
}

before(async () => {
  azurite = await startAzurite();
  // The installs are network- and disk-bound: run them side by side, then each app in turn.
  for (const version of VERSIONS) installs.set(version, install(version));
  await Promise.all(installs.values());
});

after(async () => {
  await azurite?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

for (const version of VERSIONS) {
  describe(`app pinned to ${version}`, () => {
    let host: HostProcess;
    let appDir: string;
    const api = (route: string): string => `${host.baseUrl}/api/${route}`;

    async function start(name: string, input: unknown): Promise<Json> {
      const response = await request(api(`start/${name}`), { method: "POST", body: JSON.stringify(input) });
      assert.equal(response.status, 202, response.text);
      return response.body as Json;
    }
    function status(started: Json, until: (body: Json) => boolean): Promise<Json> {
      return waitFor(`${String(started.id)} to reach the expected state`, async () => {
        const body = (await request(String(started.statusQueryGetUri))).body as Json;
        return until(body) ? body : undefined;
      });
    }
    const finished = (body: Json): boolean => !["Pending", "Running"].includes(String(body.runtimeStatus));

    before(async () => {
      appDir = await (installs.get(version) as Promise<string>);
      host = await startApp(version, appDir);
    });
    after(() => host?.kill());

    test("context.log at every level reaches the host's log", async () => {
      assert.equal((await request(api("logs"))).status, 200);
      for (const line of [
        "[logs information] matrix log",
        "[logs trace] matrix trace",
        "[logs debug] matrix debug",
        "[logs information] matrix info",
        "[logs warning] matrix warn",
        "[logs error] matrix error",
      ])
        assert.ok(host.output().includes(line), `${line} in:\n${host.output()}`);
    });

    test("HTTP start, activities, a timer, a failing sub-orchestration with retry, an external event", async () => {
      const started = await start("Everything", null);
      const waiting = await status(started, (body) => body.customStatus === "waiting for Go" || finished(body));
      assert.equal(
        waiting.customStatus,
        "waiting for Go",
        `stopped before the event: ${JSON.stringify(waiting.output)}`,
      );
      const raised = await request(api(`control/raise/${String(started.id)}`), {
        method: "POST",
        body: '{"by":"test"}',
      });
      assert.equal(raised.status, 202);
      const done = await status(started, finished);
      assert.equal(done.runtimeStatus, "Completed", JSON.stringify(done));
      const output = done.output as Json;
      assert.deepEqual(output.doubled, [2, 4, 6]);
      assert.deepEqual(output.go, { by: "test" });
      assert.match(String(output.childError), /activity refused the child's input/, "the parent parses the failure");
      assert.doesNotMatch(String(output.childError), /could not parse/);
      assert.match(host.output(), /\[Double information\] doubling 1/);
      assert.match(host.output(), /\[Everything information\] orchestration running/);
      assert.match(host.output(), new RegExp(`\\[start information\\] started ${String(started.id)}`));
    });

    test("continue-as-new and terminate", async () => {
      const looped = await status(await start("Loop", 0), finished);
      assert.equal(looped.output, "looped to 2");
      const forever = await start("Forever", null);
      await status(forever, (body) => body.runtimeStatus === "Running");
      assert.equal((await request(api(`control/terminate/${String(forever.id)}`), { method: "POST" })).status, 202);
      const terminated = await status(forever, finished);
      assert.equal(terminated.runtimeStatus, "Terminated");
      assert.equal(terminated.output, "stopped by the matrix");
    });

    test("appStart, preInvocation and postInvocation hooks run (where the library has app.hook)", async () => {
      const hooks = (await request(api("hooks"))).body as Json;
      if (!hooks.supported) {
        assert.equal(version, "functions-4.0.1", "only 4.0.x predates app.hook");
        return;
      }
      assert.equal(hooks.appStart, true);
      assert.ok(Number(hooks.pre) >= 1 && Number(hooks.post) >= 1, JSON.stringify(hooks));
      assert.equal(hooks.sharedData, true, "hookData passes from pre to post");
    });
  });
}

describe("features the host does not support stop the app at start with one line", () => {
  const latest = VERSIONS[VERSIONS.length - 1] as string;
  for (const [feature, message] of [
    ["http-stream", /enables HTTP streaming .* which this host does not support/],
    ["log-hook", /Worker was unable to load entry point "functions\/app\.js": Log hooks require/],
  ] as const) {
    test(`${feature} (${latest})`, async () => {
      const appDir = await (installs.get(latest) as Promise<string>);
      const failure = await startApp(latest, appDir, { MATRIX_UNSUPPORTED: feature }).then(
        (host) => host.kill().then(() => assert.fail(`the host started despite ${feature}`)),
        (error: unknown) => String(error),
      );
      assert.match(failure, /host exited during start/, "the host stops rather than serving a broken app");
      assert.match(failure, message);
      assert.doesNotMatch(failure, /\n\s+at /, "a message, not a stack trace");
    });
  }
});
