/**
 * The dry run and the refusal of unsafe changes on `POST /api/rollouts`, through the app on the
 * local host over Azurite: a dry run answers the change plan and starts nothing; a spec whose
 * plan cannot keep quorum is refused with 400 UnsafeChange on the dry run and on a real start,
 * and no rollout exists afterwards. The network record is written where the app keeps it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { readExample, validSpec } from "../domain/helpers.js";
import { recordOf } from "../domain/network-fixtures.js";
import YAML from "yaml";
import { STATE_CONTAINER } from "../../lib/config.js";
import { changePlanSchema } from "../../lib/domain/changes/plan.js";
import { networkRecordName } from "../../lib/domain/network-record.js";
import { DocumentStore } from "../../lib/state/documents.js";
import { startAppStack, type AppStack } from "./app-stack.js";

let stack: AppStack;

before(async () => {
  stack = await startAppStack();
});

after(async () => {
  await stack?.stop();
});

const yamlBody = (spec: unknown) => ({ contentType: "application/yaml", body: Buffer.from(YAML.stringify(spec)) });

/** The small example as a spec object under another network name, with rollout policy overrides. */
function smallSpec(
  network: string,
  rollout: Record<string, unknown> = {},
  besuImage?: string,
): Record<string, unknown> {
  const example = YAML.parse(readExample("chain138-small.yaml")) as Record<string, Record<string, unknown>>;
  return {
    ...example,
    network: { ...example.network, name: network, ...(besuImage ? { besuImage } : {}) },
    rollout: { ...example.rollout, ...rollout },
  };
}

test("a dry run of a new network plans every node as created and starts nothing", async () => {
  const answer = await stack.send({ method: "POST", route: "rollouts?dryRun=true", ...yamlBody(smallSpec("dry-new")) });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const plan = changePlanSchema.parse(answer.body);
  assert.deepEqual(
    plan.regions.map((region) => [region.region, region.action]),
    [
      ["northeurope", "create"],
      ["uksouth", "create"],
      ["francecentral", "create"],
      ["swedencentral", "create"],
    ],
  );
  assert.deepEqual(plan.waves, []);
  const listed = await stack.send({ method: "GET", route: "rollouts" });
  assert.deepEqual(listed.body, []);
});

test("an image upgrade of a recorded network is planned in waves of one validator, quorum kept", async () => {
  const store = new DocumentStore(stack.azurite.connectionString, STATE_CONTAINER);
  const spec = smallSpec("dry-live");
  await store.saveDocument(networkRecordName("dry-live"), recordOf(validSpec(spec)));
  const answer = await stack.send({
    method: "POST",
    route: "rollouts?dryRun=true",
    ...yamlBody(smallSpec("dry-live", {}, "hyperledger/besu:24.12.0")),
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const plan = changePlanSchema.parse(answer.body);
  assert.equal(plan.maxValidatorsDown, 1);
  assert.deepEqual(
    plan.waves.map((wave) => [wave.nodes, wave.validatorsDown.length, wave.validatorsUp, wave.quorum, wave.quorumKept]),
    [
      [["northeurope/validator-1"], 1, 3, 3, true],
      [["uksouth/validator-1"], 1, 3, 3, true],
      [["francecentral/validator-1"], 1, 3, 3, true],
      [["swedencentral/validator-1"], 1, 3, 3, true],
      [["northeurope/sentry-1"], 0, 4, 3, true],
    ],
  );
});

test("a plan that cannot keep quorum is refused with 400 on the dry run and on a real start", async () => {
  const unsafe = smallSpec("dry-unsafe", { maxUnavailableValidators: 2 });
  for (const route of ["rollouts?dryRun=true", "rollouts"]) {
    const answer = await stack.send({ method: "POST", route, ...yamlBody(unsafe) });
    assert.equal(answer.status, 400, `${route}: ${JSON.stringify(answer.body)}`);
    assert.deepEqual(
      (answer.body as { error: string; problems: { path: string }[] }).problems.map((problem) => problem.path),
      ["rollout.maxUnavailableValidators"],
    );
    assert.equal((answer.body as { error: string }).error, "UnsafeChange");
  }
  const listed = await stack.send({ method: "GET", route: "rollouts" });
  assert.deepEqual(listed.body, [], "no rollout was started");
  const badQuery = await stack.send({ method: "POST", route: "rollouts?dryRun=yes", ...yamlBody(unsafe) });
  assert.equal(badQuery.status, 400);
});
