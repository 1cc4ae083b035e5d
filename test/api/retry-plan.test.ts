/**
 * A retry is plan-checked as a start is: `POST /api/rollouts/{id}/retry` runs the spec of the
 * rollout it retries against the network as recorded now, and is refused with 400 UnsafeChange
 * (no rollout started) when that plan could not keep quorum. Through the app on the local host over
 * Azurite and the simulated cloud: the rollout to retry fails its preflight at once (over quota);
 * the network record is then written where the app keeps it, as a network that grew since would
 * have it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { z } from "zod";
import { waitFor, type JsonResponse } from "@besu-fleet/local-support";
import { STATE_CONTAINER } from "../../lib/config.js";
import { networkRecordName } from "../../lib/domain/network-record.js";
import { DocumentStore } from "../../lib/state/documents.js";
import { validSpec } from "../domain/helpers.js";
import { recordOf } from "../domain/network-fixtures.js";
import { OVER_QUOTA_POOLS, startAppStackOnCloud, type AppStack } from "./app-stack.js";

const NETWORK = "retryplan";
const REGIONS = ["northeurope", "uksouth", "francecentral", "swedencentral"];
/** Four more regions the recorded network also runs validators in, so the spec drops half the set. */
const LATER_REGIONS = ["italynorth", "germanywestcentral", "norwayeast", "switzerlandnorth"];
let stack: AppStack;

before(async () => {
  stack = await startAppStackOnCloud(50);
});

after(async () => {
  await stack?.stop();
});

const specOf = (regions: readonly string[]): Record<string, unknown> => ({
  network: { name: NETWORK },
  cluster: { kubernetesVersion: "1.32", nodePools: OVER_QUOTA_POOLS },
  regions: regions.map((name) => ({ name, validators: 1, sentries: 0 })),
  rollout: {
    maxParallelRegions: regions.length,
    pollIntervalSeconds: 1,
    retry: { maxAttempts: 2, firstRetryIntervalSeconds: 1, backoffCoefficient: 1, maxRetryIntervalSeconds: 1 },
  },
});

const json = (route: string, body?: unknown): Promise<JsonResponse> =>
  stack.send({
    method: body === undefined ? "GET" : "POST",
    route,
    contentType: "application/json",
    ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
  });

const acceptedSchema = z.object({ rolloutId: z.string() });
const refusalSchema = z.object({
  error: z.string(),
  message: z.string(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })),
});

async function finished(rolloutId: string): Promise<string> {
  return waitFor(
    `${rolloutId} to finish`,
    async () => {
      const { state } = z
        .object({ state: z.string() })
        .loose()
        .parse((await json(`rollouts/${rolloutId}`)).body);
      return state === "Running" ? undefined : state;
    },
    120_000,
    500,
  );
}

async function rolloutIds(): Promise<string[]> {
  const listed = await json("rollouts");
  return z
    .array(z.object({ rolloutId: z.string() }).loose())
    .parse(listed.body)
    .map((summary) => summary.rolloutId)
    .sort();
}

test("a retry whose plan would not keep quorum is refused with 400 UnsafeChange; a safe one starts", async () => {
  const started = await json("rollouts", specOf(REGIONS));
  assert.equal(started.status, 202, started.text);
  const { rolloutId } = acceptedSchema.parse(started.body);
  assert.equal(await finished(rolloutId), "Failed");

  // Since then the network grew to eight validators: the spec's four could not vote the other four out.
  const store = new DocumentStore(stack.azurite.connectionString, STATE_CONTAINER);
  const grown = validSpec(specOf([...REGIONS, ...LATER_REGIONS]));
  await store.saveDocument(networkRecordName(NETWORK), recordOf(grown));
  const refused = await json(`rollouts/${rolloutId}/retry`, {});
  assert.equal(refused.status, 400, refused.text);
  const refusal = refusalSchema.parse(refused.body);
  assert.equal(refusal.error, "UnsafeChange");
  assert.match(refusal.message, new RegExp(`retrying ${rolloutId} cannot keep QBFT quorum`));
  assert.deepEqual(
    refusal.problems.map((problem) => problem.path),
    ["regions"],
  );
  assert.match(refusal.problems[0]?.message ?? "", /removes 4 of the network's 8 validators/);
  assert.deepEqual(await rolloutIds(), [rolloutId], "the refused retry started nothing");

  // The network as the spec places it: the same retry is safe and starts.
  await store.saveDocument(networkRecordName(NETWORK), recordOf(validSpec(specOf(REGIONS))));
  const retried = await json(`rollouts/${rolloutId}/retry`, {});
  assert.equal(retried.status, 202, retried.text);
  const retryId = acceptedSchema.parse(retried.body).rolloutId;
  assert.equal(await finished(retryId), "Failed", "over quota again, but it ran");
  assert.deepEqual(await rolloutIds(), [rolloutId, retryId].sort());
});
