/**
 * The rollout commands against the STAND-IN API of fake-api.ts (replaced by the end-to-end tests
 * on the local stack once the real API exists): what the CLI sends, prints and exits with.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EXIT } from "../../cli/rollout.js";
import { resolveEndpoint, RolloutApi } from "../../cli/rollout-api.js";
import type { RolloutStatus } from "../../lib/domain/rollout-status.js";
import {
  runRollout,
  startFakeApi,
  statusScript,
  TEST_KEY,
  testIo,
  type FakeApi,
  type RecordedRequest,
  type Reply,
} from "./fake-api.js";
import { failedStatus, mixedStatus, partiallySucceededStatus, ROLLOUT_ID, succeededStatus } from "./statuses.js";

const SPEC_YAML = "network:\n  name: chain138\n";

let workDir: string;
let specFile: string;

before(() => {
  workDir = mkdtempSync(path.join(tmpdir(), "besu-fleet-cli-"));
  specFile = path.join(workDir, "spec.yaml");
  writeFileSync(specFile, SPEC_YAML);
});
after(() => rmSync(workDir, { recursive: true, force: true }));

const accepted = (rolloutId = ROLLOUT_ID): Reply => ({
  status: 202,
  body: { rolloutId, statusUrl: `http://127.0.0.1/api/rollouts/${rolloutId}` },
});
const notFound: Reply = { status: 404, body: { error: "NotFound", message: "no rollout rollout-nope" } };

/** Runs a test against a stand-in that answers with `answer`, closing it afterwards. */
async function withApi(
  answer: (request: RecordedRequest) => Reply,
  body: (api: FakeApi, connect: string[]) => Promise<void>,
): Promise<void> {
  const api = await startFakeApi(answer);
  try {
    await body(api, ["--url", api.url, "--key", TEST_KEY]);
  } finally {
    await api.close();
  }
}

/** A stand-in where POST /api/rollouts is accepted and GETs of the rollout follow a script. */
function rolloutRoutes(statuses: readonly RolloutStatus[]): (request: RecordedRequest) => Reply {
  const nextStatus = statusScript(statuses);
  return (request) => {
    if (request.method === "POST" && request.path === "/api/rollouts") return accepted();
    if (request.method === "GET" && request.path === `/api/rollouts/${ROLLOUT_ID}`)
      return { status: 200, body: nextStatus() };
    return notFound;
  };
}

describe("usage errors exit 2 with a message and send nothing", () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /Usage:/],
    [["launch"], /Unknown rollout command 'launch'/],
    [["start"], /needs --file/],
    [["start", "--file"], /--file needs a value/],
    [["start", "--file", "/definitely/not/here.yaml"], /Cannot read the spec file .*ENOENT/],
    [["status"], /needs a rollout id/],
    [["status", "a", "b"], /takes one rollout id; unexpected: b/],
    [["list", "extra"], /takes no arguments/],
    [["list", "--watch"], /Unknown option --watch/],
    [["retry", "x", "--region"], /--region needs a value/],
    [["cancel", "x", "--watch"], /Unknown option --watch/],
    [["list", "--url", "not a url"], /is not a URL/],
  ];
  for (const [argv, message] of cases) {
    it(`rollout ${argv.join(" ")}`, async () => {
      await withApi(
        () => notFound,
        async (api) => {
          const run = await runRollout(argv.includes("--url") ? argv : [...argv, "--url", api.url]);
          assert.equal(run.code, EXIT.usage);
          assert.match(run.stderr, message);
          assert.equal(run.stdout, "");
          assert.equal(api.requests.length, 0);
        },
      );
    });
  }
});

describe("rollout start", () => {
  it("sends the spec as YAML with the key header and prints the new rollout (202)", async () => {
    await withApi(rolloutRoutes([]), async (api, connect) => {
      const run = await runRollout(["start", "--file", specFile, ...connect]);
      assert.equal(run.code, EXIT.success);
      assert.match(run.stdout, new RegExp(`Rollout ${ROLLOUT_ID} started`));
      assert.match(run.stdout, /besu-fleet rollout status rollout-chain138-7 --watch/);
      const [request] = api.requests;
      assert.equal(request?.method, "POST");
      assert.equal(request?.headers["content-type"], "application/yaml");
      assert.equal(request?.headers["x-functions-key"], TEST_KEY);
      assert.equal(request?.body, SPEC_YAML);
      assert.ok(!run.stdout.includes(TEST_KEY) && !run.stderr.includes(TEST_KEY), "the key is never printed");
    });
  });

  it("sends a .json file as JSON and prints only the API's body with --json", async () => {
    const jsonFile = path.join(workDir, "spec.json");
    writeFileSync(jsonFile, JSON.stringify({ network: { name: "chain138" } }));
    await withApi(rolloutRoutes([]), async (api, connect) => {
      const run = await runRollout(["start", "--file", jsonFile, "--json", ...connect]);
      assert.equal(run.code, EXIT.success);
      assert.deepEqual(JSON.parse(run.stdout), accepted().body);
      assert.equal(api.requests[0]?.headers["content-type"], "application/json");
    });
  });

  it("prints every problem of a rejected spec as path: message and exits 4 (400)", async () => {
    const problems = [
      { path: "regions[1].name", message: "westeurope is the admin region and never hosts validators or sentries" },
      { path: "", message: 'Unrecognized key: "netwrk"' },
    ];
    await withApi(
      () => ({ status: 400, body: { error: "InvalidSpec", problems } }),
      async (_api, connect) => {
        const run = await runRollout(["start", "--file", specFile, ...connect]);
        assert.equal(run.code, EXIT.invalid);
        assert.match(run.stderr, /2 problems/);
        assert.match(run.stderr, /^ {2}regions\[1\]\.name: westeurope is the admin region/m);
        assert.match(run.stderr, /^ {2}\(whole document\): Unrecognized key/m);
        assert.equal(run.stdout, "");
        const json = await runRollout(["start", "--file", specFile, "--json", ...connect]);
        assert.equal(json.code, EXIT.invalid);
        assert.deepEqual(JSON.parse(json.stdout), { error: "InvalidSpec", problems });
      },
    );
  });

  it("names the running rollout and exits 5 (409)", async () => {
    const conflict = {
      error: "RolloutRunning",
      message: "a rollout of chain138 is running",
      runningRolloutId: "rollout-chain138-6",
    };
    await withApi(
      () => ({ status: 409, body: conflict }),
      async (_api, connect) => {
        const run = await runRollout(["start", "--file", specFile, ...connect]);
        assert.equal(run.code, EXIT.conflict);
        assert.match(run.stderr, /Running rollout: rollout-chain138-6/);
      },
    );
  });

  it("--watch follows the rollout until it Succeeded, then shows the final table and verification (exit 0)", async () => {
    await withApi(rolloutRoutes([mixedStatus(), mixedStatus(), succeededStatus()]), async (api, connect) => {
      const run = await runRollout(["start", "--file", specFile, "--watch", ...connect]);
      assert.equal(run.code, EXIT.success, run.stderr);
      assert.equal(api.requests.filter((request) => request.method === "GET").length, 3);
      // Not a terminal: changes only, line by line, without escape sequences.
      assert.ok(!run.stdout.includes("\x1b["));
      assert.equal(
        run.stdout.split("\n").filter((line) => line.includes("swedencentral: Failed in provisioning")).length,
        1,
        "an unchanged region is printed once",
      );
      assert.match(run.stdout, /REGION\s+STATE\s+DURATION\s+ERROR/);
      assert.match(run.stdout, /Verification passed/);
    });
  });

  it("--watch --json prints only the final status, as the API sent it", async () => {
    await withApi(rolloutRoutes([mixedStatus(), succeededStatus()]), async (_api, connect) => {
      const run = await runRollout(["start", "--file", specFile, "--watch", "--json", ...connect]);
      assert.equal(run.code, EXIT.success);
      assert.deepEqual(JSON.parse(run.stdout), succeededStatus());
    });
  });
});

describe("rollout status", () => {
  it("--watch exits 3 when the rollout ends PartiallySucceeded", async () => {
    await withApi(rolloutRoutes([mixedStatus(), partiallySucceededStatus()]), async (_api, connect) => {
      const run = await runRollout(["status", ROLLOUT_ID, "--watch", ...connect]);
      assert.equal(run.code, EXIT.partiallySucceeded);
      assert.match(run.stdout, /Failed region checks:\n {2}uksouth validator-peering/);
    });
  });

  it("--watch exits 1 when the rollout ends Failed", async () => {
    await withApi(rolloutRoutes([failedStatus()]), async (_api, connect) => {
      const run = await runRollout(["status", ROLLOUT_ID, "--watch", ...connect]);
      assert.equal(run.code, EXIT.rolloutFailed);
      assert.match(run.stdout, /Rollout failed in genesis: 2 validators made it/);
    });
  });

  it("--watch on a terminal redraws the view in place", async () => {
    await withApi(rolloutRoutes([mixedStatus(), mixedStatus(), succeededStatus()]), async (_api, connect) => {
      const io = testIo({ tty: true });
      const run = await runRollout(["status", ROLLOUT_ID, "--watch", ...connect], io);
      assert.equal(run.code, EXIT.success);
      const frameHeight = run.stdout.split("\x1b[J")[0]?.split("\n").length ?? 0;
      assert.ok(run.stdout.includes(`\x1b[${frameHeight - 1}F`), "the second frame moves up over the first");
      assert.equal(run.stdout.split("\x1b[J").length - 1, 3, "one frame per poll");
      const finalReport = run.stdout.slice(run.stdout.lastIndexOf("\x1b[J") + 3);
      assert.match(finalReport, /^Rollout rollout-chain138-7 · network chain138 · Succeeded/);
      assert.ok(!finalReport.includes("\x1b["), "the final report is plain text that stays");
    });
  });

  it("--watch on a terminal shorter than the view cuts the frame to fit", async () => {
    await withApi(rolloutRoutes([mixedStatus(), succeededStatus()]), async (_api, connect) => {
      const io = testIo({ tty: true, rows: 6 });
      const run = await runRollout(["status", ROLLOUT_ID, "--watch", ...connect], io);
      assert.equal(run.code, EXIT.success);
      const firstFrame = run.stdout.split("\x1b[J")[0] ?? "";
      assert.equal(firstFrame.split("\n").length - 1, 5, "rows - 1 lines");
      assert.match(firstFrame, /… 4 more lines: enlarge the terminal/);
    });
  });

  it("without --watch prints the status once and exits 0 whatever the state", async () => {
    await withApi(rolloutRoutes([failedStatus()]), async (_api, connect) => {
      const run = await runRollout(["status", ROLLOUT_ID, ...connect]);
      assert.equal(run.code, EXIT.success);
      assert.match(run.stdout, /Failed · phase genesis/);
      const json = await runRollout(["status", ROLLOUT_ID, "--json", ...connect]);
      assert.deepEqual(JSON.parse(json.stdout), failedStatus());
    });
  });

  it("exits 6 for an unknown rollout (404)", async () => {
    await withApi(
      () => notFound,
      async (_api, connect) => {
        const run = await runRollout(["status", "rollout-nope", ...connect]);
        assert.equal(run.code, EXIT.notFound);
        assert.match(run.stderr, /rollout rollout-nope/);
      },
    );
  });

  it("waits out a server error while watching", async () => {
    const replies: Reply[] = [
      { status: 200, body: mixedStatus() },
      { status: 503 },
      { status: 200, body: succeededStatus() },
    ];
    const next = statusScript(replies);
    await withApi(
      () => next(),
      async (_api, connect) => {
        const run = await runRollout(["status", ROLLOUT_ID, "--watch", ...connect]);
        assert.equal(run.code, EXIT.success);
        assert.match(run.stdout, /HTTP 503.*Retrying/);
        assert.match(run.stdout, /answers again/);
      },
    );
  });
});

describe("rollout list, retry and cancel", () => {
  it("lists rollouts as a table, or as the API's array with --json", async () => {
    const { rolloutId, network, state, phase, createdAt, updatedAt, counts } = succeededStatus();
    const summaries = [{ rolloutId, network, state, phase, createdAt, updatedAt, counts }];
    await withApi(
      () => ({ status: 200, body: summaries }),
      async (_api, connect) => {
        const run = await runRollout(["list", ...connect]);
        assert.equal(run.code, EXIT.success);
        assert.match(run.stdout, /^rollout-chain138-7\s+chain138\s+Succeeded/m);
        const json = await runRollout(["list", "--json", ...connect]);
        assert.deepEqual(JSON.parse(json.stdout), summaries);
      },
    );
  });

  it("lists a rollout without counts while it has not published its status", async () => {
    const { rolloutId, network, state, phase, createdAt, updatedAt } = mixedStatus();
    await withApi(
      () => ({ status: 200, body: [{ rolloutId, network, state, phase, createdAt, updatedAt }] }),
      async (_api, connect) => {
        const run = await runRollout(["list", ...connect]);
        assert.equal(run.code, EXIT.success, run.stderr);
        assert.match(run.stdout, /^rollout-chain138-7\s+chain138\s+Running\s+provisioning\s+-\s+-\s/m);
      },
    );
  });

  it("retries the named regions and watches the new rollout", async () => {
    const retried = "rollout-chain138-8";
    const routes = (request: RecordedRequest): Reply => {
      if (request.method === "POST" && request.path === `/api/rollouts/${ROLLOUT_ID}/retry`) return accepted(retried);
      if (request.path === `/api/rollouts/${retried}`)
        return { status: 200, body: { ...succeededStatus(), rolloutId: retried } };
      return notFound;
    };
    await withApi(routes, async (api, connect) => {
      const run = await runRollout([
        "retry",
        ROLLOUT_ID,
        "--region",
        "swedencentral",
        "--region=uksouth,japaneast",
        "--watch",
        ...connect,
      ]);
      assert.equal(run.code, EXIT.success, run.stderr);
      assert.deepEqual(JSON.parse(api.requests[0]?.body ?? ""), { regions: ["swedencentral", "uksouth", "japaneast"] });
      assert.match(run.stdout, /started as rollout rollout-chain138-8/);
      assert.equal(api.requests[1]?.path, `/api/rollouts/${retried}`);
    });
  });

  it("retries every unfinished region when none is named, and exits 4 when the API refuses the regions", async () => {
    let refuse = false;
    const routes = (): Reply =>
      refuse
        ? {
            status: 400,
            body: {
              error: "InvalidRequest",
              problems: [{ path: "regions[0]", message: "region japaneast already succeeded" }],
            },
          }
        : accepted("rollout-chain138-8");
    await withApi(routes, async (api, connect) => {
      const run = await runRollout(["retry", ROLLOUT_ID, ...connect]);
      assert.equal(run.code, EXIT.success);
      assert.deepEqual(JSON.parse(api.requests[0]?.body ?? ""), {});
      refuse = true;
      const refused = await runRollout(["retry", ROLLOUT_ID, "--region", "japaneast", ...connect]);
      assert.equal(refused.code, EXIT.invalid);
      assert.match(refused.stderr, /regions\[0\]: region japaneast already succeeded/);
    });
  });

  it("prints the API's message for a refusal without problems (400)", async () => {
    const refusal = { error: "NotRetryable", message: "region japaneast is not part of rollout rollout-chain138-7" };
    await withApi(
      () => ({ status: 400, body: refusal }),
      async (_api, connect) => {
        const run = await runRollout(["retry", ROLLOUT_ID, "--region", "japaneast", ...connect]);
        assert.equal(run.code, EXIT.invalid);
        assert.equal(
          run.stderr,
          `The API rejected the retry of rollout ${ROLLOUT_ID} (NotRetryable).\n${refusal.message}\n`,
        );
      },
    );
  });

  it("cancels (202), and exits 5 when the rollout already finished (409)", async () => {
    let finished = false;
    const routes = (): Reply =>
      finished
        ? { status: 409, body: { error: "RolloutFinished", message: "rollout already Succeeded" } }
        : { status: 202, body: { rolloutId: ROLLOUT_ID, state: "Running" } };
    await withApi(routes, async (api, connect) => {
      const run = await runRollout(["cancel", ROLLOUT_ID, ...connect]);
      assert.equal(run.code, EXIT.success);
      assert.match(run.stdout, /Cancel of rollout rollout-chain138-7 requested/);
      assert.equal(api.requests[0]?.path, `/api/rollouts/${ROLLOUT_ID}/cancel`);
      finished = true;
      const refused = await runRollout(["cancel", ROLLOUT_ID, ...connect]);
      assert.equal(refused.code, EXIT.conflict);
      assert.match(refused.stderr, /rollout already Succeeded/);
    });
  });
});

describe("reaching the API", () => {
  it("exits 7 naming the URL when nothing listens there", async () => {
    const api = await startFakeApi(() => notFound);
    const url = api.url;
    await api.close();
    const run = await runRollout(["list", "--url", url, "--key", TEST_KEY]);
    assert.equal(run.code, EXIT.unreachable);
    assert.match(run.stderr, new RegExp(`Cannot reach the API at ${url}: ECONNREFUSED`));
  });

  it("exits 7 saying the key was refused, without printing it", async () => {
    await withApi(
      () => notFound,
      async (api) => {
        const wrongKey = "wrong-key-that-must-not-be-printed";
        const run = await runRollout(["list", "--url", api.url, "--key", wrongKey]);
        assert.equal(run.code, EXIT.unreachable);
        assert.match(run.stderr, new RegExp(`API at ${api.url} refused the key from --key`));
        assert.ok(!run.stderr.includes(wrongKey) && !run.stdout.includes(wrongKey));
      },
    );
  });

  it("takes URL and key from the environment", async () => {
    await withApi(
      () => ({ status: 200, body: [] }),
      async (api) => {
        const run = await runRollout(["list"], testIo({ env: { BESU_FLEET_URL: api.url, BESU_FLEET_KEY: TEST_KEY } }));
        assert.equal(run.code, EXIT.success, run.stderr);
        assert.match(run.stdout, /No rollouts yet/);
      },
    );
  });

  it("uses the local stack's key file for a loopback URL, and says when there is no key", async () => {
    const projectRoot = path.join(workDir, "project");
    await withApi(
      () => ({ status: 200, body: [] }),
      async (api) => {
        const withoutKeys = await runRollout(["list", "--url", api.url], testIo({ projectRoot }));
        assert.equal(withoutKeys.code, EXIT.unreachable);
        assert.match(withoutKeys.stderr, /no key was sent\. Pass --key, set BESU_FLEET_KEY/);
        mkdirSync(path.join(projectRoot, ".local"), { recursive: true });
        writeFileSync(
          path.join(projectRoot, ".local", "keys.json"),
          JSON.stringify({ masterKey: "m".repeat(30), functionKeys: { default: TEST_KEY } }),
        );
        const run = await runRollout(["list", "--url", api.url], testIo({ projectRoot }));
        assert.equal(run.code, EXIT.success, run.stderr);
        assert.equal(api.requests.at(-1)?.headers["x-functions-key"], TEST_KEY);
      },
    );
  });

  it("exits 8 when the API answers outside its contract", async () => {
    await withApi(
      () => ({ status: 200, body: [{ rolloutId: "x" }] }),
      async (_api, connect) => {
        const run = await runRollout(["list", ...connect]);
        assert.equal(run.code, EXIT.apiError);
        assert.match(run.stderr, /does not match the contract/);
      },
    );
    await withApi(
      () => ({ status: 500 }),
      async (_api, connect) => {
        const run = await runRollout(["list", ...connect]);
        assert.equal(run.code, EXIT.apiError);
        assert.match(run.stderr, /HTTP 500/);
      },
    );
  });

  it("refuses to send a key over plain HTTP to another machine, before sending anything", async () => {
    const run = await runRollout(["list", "--url", "http://control-plane.example:7071", "--key", TEST_KEY]);
    assert.equal(run.code, EXIT.usage);
    assert.match(run.stderr, /Refusing to send the key from --key over plain HTTP to control-plane\.example:7071/);
    assert.ok(!run.stderr.includes(TEST_KEY));
    const fromEnv = await runRollout(
      ["list"],
      testIo({ env: { BESU_FLEET_URL: "http://10.0.0.4", BESU_FLEET_KEY: TEST_KEY } }),
    );
    assert.equal(fromEnv.code, EXIT.usage);
    assert.match(fromEnv.stderr, /from BESU_FLEET_KEY over plain HTTP/);
  });

  it("with an Entra app id it sends a token for the API's scope instead of a key", async () => {
    await withApi(
      () => notFound,
      async (api) => {
        const scopes: string[] = [];
        const endpoint = resolveEndpoint({ url: api.url, apiClientId: "0c4f5a1e-api" }, {}, workDir);
        const client = new RolloutApi(endpoint, (scope) => {
          scopes.push(scope);
          return Promise.resolve("entra-access-token");
        });
        // The stand-in knows only keys, so it refuses: what matters is what was sent, and the message.
        await assert.rejects(
          client.listRollouts(),
          /refused the Entra token for api:\/\/0c4f5a1e-api\/\.default \(HTTP 401\)/,
        );
        assert.deepEqual(scopes, ["api://0c4f5a1e-api/.default"]);
        const sent = api.requests.at(-1);
        assert.equal(sent?.headers.authorization, "Bearer entra-access-token");
        assert.equal(sent?.headers["x-functions-key"], undefined);
      },
    );
  });
});
