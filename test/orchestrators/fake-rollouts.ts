/**
 * The rollout app with typed fake activities (test/fixtures/rollout-fakes) on the local host over
 * Azurite, for the orchestrator tests: started once per test file, each rollout run to its end
 * through the Durable HTTP API, and the documents the fakes saved read back.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before } from "node:test";
import { networkRecordName, networkRecordSchema, type NetworkRecord } from "../../lib/domain/network-record.js";
import { rolloutStatusSchema, type RolloutStatus } from "../../lib/domain/rollout-status.js";
import { type DesiredState } from "../../lib/domain/spec.js";
import { parseSpecText } from "../../lib/domain/spec-validation.js";
import type { RolloutInput } from "../../orchestrators/contracts.js";
import { fakeDocumentPath } from "../fixtures/rollout-fakes/documents.js";
import { startFakesHost, type FakesHost } from "../fixtures/rollout-fakes/host.js";
import { request, waitFor } from "@besu-fleet/local-support";
import { REPO_ROOT } from "../support/paths.js";

/** The host running the rollout app, its system key and its runner (set before the tests). */
export const fakeHost = {} as FakesHost;
export const behaviourFile = (): string => fakeHost.behaviourFile;

/** The example spec, with short polls so that the test runs in seconds. */
export function exampleSpec(file: string, network: string): DesiredState {
  const parsed = parseSpecText(fs.readFileSync(path.join(REPO_ROOT, "examples", file), "utf8"));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const spec = parsed.spec;
  return {
    ...spec,
    network: {
      ...spec.network,
      name: network,
      qbft: { ...spec.network.qbft, blockperiodseconds: 1, requesttimeoutseconds: 2 },
    },
    rollout: {
      ...spec.rollout,
      pollIntervalSeconds: 1,
      retry: { ...spec.rollout.retry, maxAttempts: 3, firstRetryIntervalSeconds: 1, maxRetryIntervalSeconds: 2 },
    },
  };
}

/** Runs rollout n of the spec's network over `regions` (all of the spec's by default) to its end. */
export async function runRollout(
  spec: DesiredState,
  behaviour: object,
  onRunning?: (id: string) => Promise<void>,
  retry?: { ordinal: number; regions: string[] },
): Promise<{ status: RolloutStatus }> {
  const rolloutId = `rollout-${spec.network.name}-${retry?.ordinal ?? 1}`;
  // The run id makes the fakes count this rollout's calls from zero.
  fs.writeFileSync(behaviourFile(), JSON.stringify({ ...behaviour, run: rolloutId }));
  const input: RolloutInput = { rolloutId, spec, regions: retry?.regions ?? spec.regions.map((region) => region.name) };
  const base = `${fakeHost.host.baseUrl}/runtime/webhooks/durabletask`;
  const started = await request(`${base}/orchestrators/rollout/${rolloutId}?code=${fakeHost.systemKey}`, {
    method: "POST",
    body: JSON.stringify(input),
  });
  assert.equal(started.status, 202, started.text);
  if (onRunning) await onRunning(rolloutId);
  const done = await waitFor(
    `${rolloutId} to finish`,
    async () => {
      const response = await request(`${base}/instances/${rolloutId}?code=${fakeHost.systemKey}`);
      return response.status === 200 ? response : undefined;
    },
    90_000,
    250,
  );
  const body = done.body as { runtimeStatus: string; output: unknown; customStatus: unknown };
  assert.equal(body.runtimeStatus, "Completed", done.text.slice(0, 2000));
  const status = rolloutStatusSchema.parse(body.output);
  assert.deepEqual(rolloutStatusSchema.parse(body.customStatus), status, "the final custom status is the output");
  return { status };
}

/** The network record the orchestrator saved (the fakes keep saved documents as files). */
export function readRecord(network: string): NetworkRecord {
  return networkRecordSchema.parse(
    JSON.parse(fs.readFileSync(fakeDocumentPath(behaviourFile(), networkRecordName(network)), "utf8")),
  );
}

/** Starts the host before the file's tests and stops it after them. */
export function useFakeHost(): void {
  before(async () => {
    Object.assign(fakeHost, await startFakesHost("besu-fleet-rollout-"));
  });

  after(async () => {
    await fakeHost.stop?.();
  });
}
