/** The `besu-fleet rollout` command as a process: dispatch from the entry point and the real exit code. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { CLI } from "../support/paths.js";
import { startFakeApi, statusScript, TEST_KEY } from "./fake-api.js";
import { mixedStatus, partiallySucceededStatus, ROLLOUT_ID } from "./statuses.js";

function runCli(
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...argv],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("besu-fleet rollout (process)", () => {
  it("watches a rollout to PartiallySucceeded and exits 3, with URL and key from the environment", async () => {
    const nextStatus = statusScript([mixedStatus(), partiallySucceededStatus()]);
    // STAND-IN for the real API until the end-to-end tests on the local stack exist.
    const api = await startFakeApi(() => ({ status: 200, body: nextStatus() }));
    try {
      const run = await runCli(["rollout", "status", ROLLOUT_ID, "--watch"], {
        BESU_FLEET_URL: api.url,
        BESU_FLEET_KEY: TEST_KEY,
      });
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stdout, /PartiallySucceeded/);
      assert.ok(!run.stdout.includes(TEST_KEY) && !run.stderr.includes(TEST_KEY));
    } finally {
      await api.close();
    }
  });

  it("exits 2 for a usage error", async () => {
    const run = await runCli(["rollout", "status"], { BESU_FLEET_URL: "http://127.0.0.1:1" });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /needs a rollout id/);
  });
});
