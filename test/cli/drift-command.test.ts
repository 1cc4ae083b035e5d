/** The drift commands against the stand-in API of fake-api.ts: what they print and the exit code of each state. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { DRIFT_EXIT, driftCommand } from "../../cli/drift.js";
import type { DriftReport } from "../../lib/domain/drift/report.js";
import { startFakeApi, TEST_KEY, testIo, type FakeApi, type Reply } from "./fake-api.js";

const AT = "2026-12-03T21:00:00.000Z";

function report(state: DriftReport["state"]): DriftReport {
  return {
    network: "chain138",
    checkId: `chain138/${AT}`,
    baseline: "rollout-chain138-2",
    trigger: "timer",
    startedAt: AT,
    finishedAt: AT,
    state,
    findings:
      state === "Drifted"
        ? [
            {
              kind: "kubernetes",
              region: "uksouth",
              resource: "ConfigMap/besu-static-nodes",
              field: ".data.static-nodes.json",
              desired: "[…]",
              actual: "[] (set by kubectl-edit)",
              since: AT,
              severity: "warning",
            },
          ]
        : [],
    ignored: [],
    unknown: state === "Unknown" ? [{ kind: "kubernetes", region: "uksouth", resource: "aks", reason: "503" }] : [],
    actions: [],
  };
}

const servers: FakeApi[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

async function drift(argv: string[], answer: (path: string, method: string) => Reply) {
  const api = await startFakeApi((request) => answer(request.path, request.method));
  servers.push(api);
  const io = testIo({ env: { BESU_FLEET_URL: api.url, BESU_FLEET_KEY: TEST_KEY } });
  const code = await driftCommand(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text, requests: api.requests };
}

describe("besu-fleet drift status <network>", () => {
  for (const [state, code] of [
    ["InSync", DRIFT_EXIT.inSync],
    ["Drifted", DRIFT_EXIT.drifted],
    ["Unknown", DRIFT_EXIT.unknown],
  ] as const) {
    it(`exits ${code} for ${state}`, async () => {
      const run = await drift(["status", "chain138"], () => ({
        status: 200,
        body: { network: "chain138", report: report(state), running: null },
      }));
      assert.equal(run.code, code, run.stderr);
      assert.match(run.stdout, new RegExp(`Network chain138: ${state}`));
    });
  }

  it("prints each finding with region, resource, field and both values", async () => {
    const run = await drift(["status", "chain138"], () => ({
      status: 200,
      body: { network: "chain138", report: report("Drifted"), running: null },
    }));
    assert.match(run.stdout, /uksouth\s+ConfigMap\/besu-static-nodes \.data\.static-nodes\.json/);
    assert.match(run.stdout, /actual \[\] \(set by kubectl-edit\)/);
  });

  it("exits 4 for a network never checked, 6 for one without a deployment", async () => {
    const never = await drift(["status", "chain138"], () => ({
      status: 200,
      body: { network: "chain138", report: null, running: null },
    }));
    assert.equal(never.code, DRIFT_EXIT.unknown);
    const missing = await drift(["status", "nope"], () => ({
      status: 404,
      body: { error: "NetworkNotFound", message: "network nope has no recorded deployment" },
    }));
    assert.equal(missing.code, DRIFT_EXIT.notFound);
  });
});

describe("besu-fleet drift run", () => {
  it("exits 5 while a check runs", async () => {
    const run = await drift(["run", "chain138"], () => ({
      status: 409,
      body: { error: "DriftCheckRunning", message: "a drift check of network chain138 is running" },
    }));
    assert.equal(run.code, DRIFT_EXIT.conflict);
  });

  it("--watch waits for the new report and exits by its state", async () => {
    let polls = 0;
    const run = await drift(["run", "chain138", "--watch"], (path, method) => {
      if (method === "POST")
        return { status: 202, body: { network: "chain138", instanceId: "drift-chain138", statusUrl: path } };
      polls += 1;
      const finished = { ...report("Drifted"), finishedAt: new Date(Date.now() + 60_000).toISOString() };
      return {
        status: 200,
        body:
          polls < 3
            ? { network: "chain138", report: null, running: { instanceId: "drift-chain138", phase: "comparing" } }
            : { network: "chain138", report: finished, running: null },
      };
    });
    assert.equal(run.code, DRIFT_EXIT.drifted, run.stderr);
    assert.equal(polls, 3);
  });
});

describe("besu-fleet drift status (every network)", () => {
  it("exits by the worst state", async () => {
    const entry = (network: string, state: DriftReport["state"]) => ({
      network,
      latest: {
        checkId: `${network}/${AT}`,
        document: "d.json",
        state,
        startedAt: AT,
        finishedAt: AT,
        findings: 0,
        unknown: 0,
      },
      running: null,
    });
    const run = await drift(["status"], () => ({
      status: 200,
      body: [entry("a", "InSync"), entry("b", "Unknown"), entry("c", "Drifted")],
    }));
    assert.equal(run.code, DRIFT_EXIT.drifted);
    const calm = await drift(["status"], () => ({ status: 200, body: [entry("a", "InSync"), entry("b", "Unknown")] }));
    assert.equal(calm.code, DRIFT_EXIT.unknown);
  });
});
