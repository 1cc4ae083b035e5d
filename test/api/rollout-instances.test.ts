/**
 * The rollouts in the task hub, through the HTTP API on the local stack (Azurite, the simulated
 * cloud, the app on the local host): the list pages by `top` and continuation token past the
 * region sub-orchestrations that share the rollouts' id prefix, rollout numbers count on, and
 * retention purges finished rollouts with their sub-orchestrations, never a running one, while
 * reports and network records stay. Retention runs at age 0 days, on request (admin API).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { BlobServiceClient } from "@azure/storage-blob";
import YAML from "yaml";
import { z } from "zod";
import { waitFor, type JsonResponse } from "@besu-fleet/local-support";
import { STATE_CONTAINER } from "../../lib/config.js";
import { REPO_ROOT } from "../support/paths.js";
import { OVER_QUOTA_POOLS, startAppStackOnCloud, type AppStack } from "./app-stack.js";

/** As test/e2e/rollout.test.ts: fast enough for AKS creates, slow enough for verification's block checks. */
const SIMULATED_TIME_SCALE = 50;
const BLOCK_PERIOD_SECONDS = 5;
const REGIONS = ["northeurope", "uksouth", "francecentral", "swedencentral"];

let stack: AppStack;

before(async () => {
  stack = await startAppStackOnCloud(SIMULATED_TIME_SCALE, {
    BESU_FLEET_RETENTION_DAYS: "0",
    // Never due while the test runs: it runs retention when it wants to.
    BESU_FLEET_RETENTION_SCHEDULE: "0 0 0 1 1 *",
  });
});

after(async () => {
  await stack?.stop();
});

/** The small example spec for a network of its own, with fast polls and retries. */
function spec(network: string, nodePools?: unknown[]): Record<string, unknown> {
  const example = z
    .object({ network: z.record(z.string(), z.unknown()), cluster: z.record(z.string(), z.unknown()) })
    .loose()
    .parse(YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "examples", "chain138-small.yaml"), "utf8")));
  return {
    ...example,
    network: {
      ...example.network,
      name: network,
      qbft: { blockperiodseconds: BLOCK_PERIOD_SECONDS, requesttimeoutseconds: 2 * BLOCK_PERIOD_SECONDS },
    },
    cluster: nodePools === undefined ? example.cluster : { kubernetesVersion: "1.32", nodePools },
    regions: REGIONS.map((name, index) => ({ name, validators: 1, sentries: index === 0 ? 1 : 0 })),
    rollout: {
      maxParallelRegions: REGIONS.length,
      pollIntervalSeconds: 1,
      retry: { maxAttempts: 6, firstRetryIntervalSeconds: 1, backoffCoefficient: 1.5, maxRetryIntervalSeconds: 2 },
    },
  };
}

const json = (method: "GET" | "POST", route: string, body?: unknown): Promise<JsonResponse> =>
  stack.send({
    method,
    route,
    contentType: "application/json",
    ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
  });

async function start(body: Record<string, unknown>): Promise<string> {
  const response = await json("POST", "rollouts", body);
  assert.equal(response.status, 202, response.text);
  return z.object({ rolloutId: z.string() }).parse(response.body).rolloutId;
}

const stateSchema = z.object({ state: z.string() }).loose();

async function finished(rolloutId: string): Promise<string> {
  return waitFor(
    `${rolloutId} to finish`,
    async () => {
      const response = await json("GET", `rollouts/${rolloutId}`);
      assert.equal(response.status, 200, `${rolloutId} is still there: ${response.text}`);
      const { state } = stateSchema.parse(response.body);
      return state === "Running" ? undefined : state;
    },
    120_000,
    500,
  );
}

const summariesSchema = z.array(z.object({ rolloutId: z.string(), createdAt: z.string() }).loose());

/** Every page of GET /api/rollouts?top=…, following the continuation token. */
async function allPages(top: number): Promise<string[][]> {
  const pages: string[][] = [];
  let token: string | null = null;
  do {
    const query: string = `top=${top}${token === null ? "" : `&continuationToken=${encodeURIComponent(token)}`}`;
    const response = await json("GET", `rollouts?${query}`);
    assert.equal(response.status, 200, response.text);
    pages.push(summariesSchema.parse(response.body).map((summary) => summary.rolloutId));
    token = response.headers.get("x-continuation-token");
  } while (token !== null && pages.length < 20);
  return pages;
}

const instanceIdsSchema = z.array(z.object({ instanceId: z.string() }).loose());

async function instancesWithPrefix(prefix: string): Promise<string[]> {
  const response = await stack.management(`instances?instanceIdPrefix=${prefix}&top=1000`);
  assert.equal(response.status, 200, response.text);
  return instanceIdsSchema.parse(response.body).map((instance) => instance.instanceId);
}

async function purgeNow(): Promise<void> {
  const before = stack.host.output().match(/retention: purged/g)?.length ?? 0;
  assert.equal((await stack.runFunction("purgeFinishedInstances")).status, 202);
  await waitFor("the retention run", async () =>
    (stack.host.output().match(/retention: purged/g)?.length ?? 0) > before ? true : undefined,
  );
}

test("pages of rollouts, numbers that count on, and retention of finished rollouts only", async () => {
  // A rollout with region sub-orchestrations; retention runs while it does and must leave it alone.
  const kept = await start(spec("keep"));
  await waitFor(
    "a region sub-orchestration",
    async () => ((await instancesWithPrefix(`${kept}:`)).length > 0 ? true : undefined),
    60_000,
  );
  await purgeNow();
  assert.equal(await finished(kept), "Succeeded", "retention did not disturb the running rollout");
  assert.ok((await instancesWithPrefix(`${kept}:`)).length > 0, "sub-orchestrations share the rollout's prefix");

  // Three rollouts of another network that fail preflight at once: numbered 1, 2, 3.
  const overQuota: string[] = [];
  for (let round = 0; round < 3; round++) {
    const rolloutId = await start(spec("quota", OVER_QUOTA_POOLS));
    overQuota.push(rolloutId);
    assert.equal(await finished(rolloutId), "Failed");
  }
  assert.deepEqual(overQuota, ["rollout-quota-1", "rollout-quota-2", "rollout-quota-3"]);

  // Every page size, so that a task hub page holds more rollouts than a list page has room for.
  const everyRollout = [kept, ...overQuota].sort();
  for (let top = 1; top <= everyRollout.length + 1; top++) {
    // The task hub may announce a last page that turns out empty; that is the only short page allowed.
    const pages = (await allPages(top)).filter((page) => page.length > 0);
    const full = Math.floor(everyRollout.length / top);
    const expected = [
      ...Array<number>(full).fill(top),
      ...(everyRollout.length % top > 0 ? [everyRollout.length % top] : []),
    ];
    assert.deepEqual(
      pages.map((page) => page.length),
      expected,
      `top=${top}: ${JSON.stringify(pages)}`,
    );
    assert.deepEqual(pages.flat().sort(), everyRollout, `top=${top}: every rollout once`);
  }
  const one = await json("GET", "rollouts");
  assert.deepEqual(
    summariesSchema.parse(one.body).map((summary) => summary.rolloutId),
    [...overQuota].reverse().concat(kept),
    "one page by default, newest first",
  );
  assert.equal(one.headers.get("x-continuation-token"), null);

  await purgeNow();
  await waitFor("the rollouts and their sub-orchestrations to be purged", async () =>
    (await instancesWithPrefix("rollout-")).length === 0 ? true : undefined,
  );
  assert.deepEqual((await json("GET", "rollouts")).body, []);
  assert.equal((await json("GET", `rollouts/${kept}`)).status, 404);

  const state = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient(
    STATE_CONTAINER,
  );
  for (const blob of [
    `rollouts/${kept}/report.json`,
    "rollouts/rollout-quota-3/report.json",
    "networks/keep/network.json",
  ])
    assert.ok(await state.getBlobClient(blob).exists(), `${blob} is kept`);

  const afterPurge = await start(spec("quota", OVER_QUOTA_POOLS));
  assert.equal(afterPurge, "rollout-quota-4", "numbers go on after a purge: no report is overwritten");
  await finished(afterPurge);
});
