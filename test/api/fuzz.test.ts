/**
 * Fuzzing the HTTP API: 1,000 generated bad requests (test/api/bad-requests.ts) sent to the real
 * app on the local host, from a fixed seed. Every one must be refused the way the API promises
 * (docs/api.md): a 400 whose body lists problems by path, a 413 naming the size limit, or a 415;
 * never a 5xx, and no rollout may start.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import YAML from "yaml";
import { z } from "zod";
import { MAX_BODY_BYTES } from "../../functions/request-body.js";
import { validateSpec } from "../../lib/domain/spec-validation.js";
import { REPO_ROOT } from "../support/paths.js";
import { startAppStack, type AppStack } from "./app-stack.js";
import { badRequests, type BadRequest, type Spec } from "./bad-requests.js";

/** Change it to explore other requests; a failure prints the seed and path that replay it. */
const SEED = 138;
const RUNS = 1000;

const errorSchema = z.object({
  error: z.string().min(1),
  message: z.string().min(1),
  problems: z.array(z.object({ path: z.string(), message: z.string().min(1) })).optional(),
});

let stack: AppStack;

before(async () => {
  stack = await startAppStack();
});

after(async () => {
  await stack?.stop();
});

/** The small example spec, under a network of its own: valid, so each generated mutation is the only fault. */
function validSpec(): Spec {
  const example = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "examples", "chain138-small.yaml"), "utf8")) as Spec;
  const spec = { ...example, network: { ...(example.network as Spec), name: "fuzz" } };
  assert.equal(validateSpec(spec).ok, true, "the spec the generators start from is valid");
  return spec;
}

async function expectRefused(bad: BadRequest): Promise<void> {
  const response = await stack.send(bad);
  const context = `${bad.what}\n→ ${response.status} ${response.text.slice(0, 600)}`;
  assert.equal(response.status, bad.status, context);
  const body = errorSchema.parse(response.body);
  if (bad.status === 413) assert.match(body.message, new RegExp(`${MAX_BODY_BYTES} bytes`), context);
  if (bad.status === 400) {
    assert.ok(body.problems !== undefined && body.problems.length > 0, `no problems listed: ${context}`);
    const at = bad.problemAt ?? "";
    assert.ok(
      body.problems.some((problem) => problem.path.startsWith(at)),
      `no problem at ${at || "(root)"}: ${context}`,
    );
  }
}

test(`${RUNS} bad specs and bodies: each a 400 listing its problems by path, a 413 or a 415; no 5xx; no rollout`, async () => {
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(badRequests(validSpec()), async (bad) => {
      await expectRefused(bad);
      seen.set(bad.status, (seen.get(bad.status) ?? 0) + 1);
    }),
    { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
  );
  for (const status of [400, 413, 415]) assert.ok((seen.get(status) ?? 0) > 0, `some ${status}s were generated`);

  const listed = await stack.send({ method: "GET", route: "rollouts" });
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.body, [], "no rollout was started");
  const instances = await stack.management("instances");
  assert.deepEqual(instances.body, [], "the task hub holds no instance at all");
  assert.doesNotMatch(stack.host.output(), /function \w+ failed/, "no invocation failed");
});
