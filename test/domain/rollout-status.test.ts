import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  countRegions,
  createRolloutStatus,
  decideOverallState,
  enterPhase,
  failRegion,
  finishRollout,
  recordRetries,
  recordVerification,
  requestCancel,
  rolloutStatusSchema,
  RolloutStatusError,
  selectRegionsToRetry,
  startRegionPhase,
  succeedRegion,
  type RegionState,
  type RolloutStatus,
} from "../../lib/domain/rollout-status.js";
import { recordClusterDeletion } from "../../lib/domain/deprovision-status.js";

const T0 = "2026-11-29T10:00:00.000Z";
const T1 = "2026-11-29T10:01:00.000Z";
const T2 = "2026-11-29T10:02:00.000Z";
const T3 = "2026-11-29T10:03:00.000Z";

function fresh(regions = ["northeurope", "uksouth", "ukwest"]): RolloutStatus {
  return createRolloutStatus({ rolloutId: "rollout-chain138-1", network: "chain138", regions, at: T0 });
}

function through(status: RolloutStatus, region: string): RolloutStatus {
  let next = startRegionPhase(status, region, "preflight", T1);
  next = startRegionPhase(next, region, "provisioning", T1);
  next = startRegionPhase(next, region, "deploying", T2);
  next = startRegionPhase(next, region, "verifying", T2);
  return succeedRegion(next, region, T3);
}

/** Asserts the status is valid against its schema and survives JSON unchanged. */
function assertStorable(status: RolloutStatus): void {
  const copy: unknown = JSON.parse(JSON.stringify(status));
  assert.deepEqual(rolloutStatusSchema.parse(copy), status);
}

function states(status: RolloutStatus): RegionState[] {
  return status.regions.map((region) => region.state);
}

describe("overall state rule", () => {
  const finished = (...list: RegionState[]) => list.map((state) => ({ state }));
  it("is Running while any region is pending or running", () => {
    assert.equal(decideOverallState({ regions: finished("Succeeded", "Running"), cancelRequested: true }), "Running");
    assert.equal(decideOverallState({ regions: finished("Pending", "Failed"), cancelRequested: false }), "Running");
  });
  it("is Canceled after a cancel request, whatever the results", () => {
    assert.equal(decideOverallState({ regions: finished("Succeeded", "Canceled"), cancelRequested: true }), "Canceled");
    assert.equal(
      decideOverallState({ regions: finished("Succeeded", "Succeeded"), cancelRequested: true }),
      "Canceled",
    );
  });
  it("is Succeeded, PartiallySucceeded or Failed from the region results", () => {
    assert.equal(
      decideOverallState({ regions: finished("Succeeded", "Succeeded"), cancelRequested: false }),
      "Succeeded",
    );
    assert.equal(
      decideOverallState({ regions: finished("Succeeded", "Failed"), cancelRequested: false }),
      "PartiallySucceeded",
    );
    assert.equal(decideOverallState({ regions: finished("Failed", "Failed"), cancelRequested: false }), "Failed");
    assert.equal(decideOverallState({ regions: [], cancelRequested: false }), "Failed");
  });
  it("is Failed when the rollout as a whole failed, even with succeeded regions", () => {
    assert.equal(
      decideOverallState({
        regions: finished("Succeeded", "Failed"),
        cancelRequested: false,
        failure: { phase: "genesis", reason: "too few validators" },
      }),
      "Failed",
    );
  });
});

describe("rollout status transitions", () => {
  it("starts Running in preflight with every region Pending", () => {
    const status = fresh();
    assert.equal(status.state, "Running");
    assert.equal(status.phase, "preflight");
    assert.deepEqual(states(status), ["Pending", "Pending", "Pending"]);
    assert.deepEqual(status.counts, { total: 3, pending: 3, running: 0, succeeded: 0, failed: 0, canceled: 0 });
    assert.deepEqual(status.phases, [{ phase: "preflight", startedAt: T0 }]);
    assertStorable(status);
    assert.throws(
      () => createRolloutStatus({ rolloutId: "r", network: "n", regions: ["uksouth", "uksouth"], at: T0 }),
      RolloutStatusError,
    );
  });

  it("tracks a region's phases, attempts and timings without touching the others", () => {
    let status = startRegionPhase(fresh(), "uksouth", "preflight", T1);
    status = startRegionPhase(status, "uksouth", "provisioning", T2);
    const region = status.regions[1];
    assert.deepEqual(region, {
      region: "uksouth",
      phase: "provisioning",
      state: "Running",
      attempts: 1,
      startedAt: T1,
    });
    assert.equal(status.regions[0].state, "Pending");
    assert.deepEqual(status.counts, { total: 3, pending: 2, running: 1, succeeded: 0, failed: 0, canceled: 0 });
    assert.equal(status.updatedAt, T2);
    assert.throws(
      () => startRegionPhase(status, "uksouth", "preflight", T2),
      /cannot go back from provisioning to preflight/,
    );
    assert.throws(() => startRegionPhase(status, "eastus", "preflight", T2), /region eastus is not part of rollout/);
    assertStorable(status);
  });

  it("records phase timings as the rollout moves on", () => {
    let status = enterPhase(fresh(), "provisioning", T1);
    status = enterPhase(status, "provisioning", T2);
    status = enterPhase(status, "genesis", T2);
    assert.equal(status.phase, "genesis");
    assert.deepEqual(status.phases, [
      { phase: "preflight", startedAt: T0, finishedAt: T1 },
      { phase: "provisioning", startedAt: T1, finishedAt: T2 },
      { phase: "genesis", startedAt: T2 },
    ]);
  });

  it("records a failure with its step, cause and kind, and refuses to change a finished region", () => {
    let status = startRegionPhase(fresh(), "ukwest", "preflight", T1);
    status = failRegion(
      status,
      "ukwest",
      { step: "preflight", cause: "ukwest: family standardDSv5Family has limit 4", kind: "permanent" },
      T2,
    );
    assert.deepEqual(status.regions[2], {
      region: "ukwest",
      phase: "preflight",
      state: "Failed",
      attempts: 1,
      startedAt: T1,
      finishedAt: T2,
      lastError: {
        step: "preflight",
        cause: "ukwest: family standardDSv5Family has limit 4",
        kind: "permanent",
        at: T2,
      },
    });
    assert.throws(() => succeedRegion(status, "ukwest", T3), /is Failed, not Running/);
    assert.throws(() => startRegionPhase(status, "ukwest", "provisioning", T3), /already Failed/);
    assert.throws(() => succeedRegion(status, "uksouth", T3), /is Pending, not Running/);
    assertStorable(status);
  });

  it("ends PartiallySucceeded when some regions fail and the rest succeed", () => {
    let status = through(through(fresh(), "northeurope"), "uksouth");
    status = startRegionPhase(status, "ukwest", "preflight", T1);
    status = failRegion(
      status,
      "ukwest",
      { step: "aks-cluster", cause: "throttled until attempts ran out", kind: "transient" },
      T2,
    );
    status = enterPhase(status, "report", T3);
    status = finishRollout(status, T3);
    assert.equal(status.state, "PartiallySucceeded");
    assert.deepEqual(status.counts, { total: 3, pending: 0, running: 0, succeeded: 2, failed: 1, canceled: 0 });
    assert.equal(status.finishedAt, T3);
    assert.ok(status.phases.every((timing) => timing.finishedAt !== undefined));
    assert.throws(() => enterPhase(status, "report", T3), /rollout rollout-chain138-1 is PartiallySucceeded/);
    assertStorable(status);
  });

  it("ends Succeeded when every region succeeds, and refuses to finish with regions in flight", () => {
    const running = startRegionPhase(through(through(fresh(), "northeurope"), "uksouth"), "ukwest", "preflight", T1);
    assert.throws(() => finishRollout(running, T3), /region ukwest is still Running/);
    const done = finishRollout(through(running, "ukwest"), T3);
    assert.equal(done.state, "Succeeded");
    assert.equal(done.failure, undefined);
    assertStorable(done);
  });

  it("fails unfinished regions with the rollout-level failure (too few validators for genesis)", () => {
    let status = startRegionPhase(fresh(), "northeurope", "preflight", T1);
    status = startRegionPhase(status, "northeurope", "provisioning", T1);
    status = startRegionPhase(status, "uksouth", "preflight", T1);
    status = failRegion(status, "uksouth", { step: "preflight", cause: "quota", kind: "permanent" }, T1);
    status = enterPhase(status, "genesis", T2);
    const failure = {
      phase: "genesis" as const,
      reason: "only 1 validators made it through provisioning, fewer than rollout.minValidators (4)",
    };
    status = finishRollout(status, T3, failure);
    assert.equal(status.state, "Failed");
    assert.deepEqual(status.failure, failure);
    assert.deepEqual(status.regions[0].lastError, {
      step: "genesis",
      cause: failure.reason,
      kind: "permanent",
      at: T3,
    });
    assert.equal(status.regions[2].state, "Failed", "a region that never started fails too");
    assertStorable(status);
  });

  it("cancels: pending regions never start, in-flight regions finish, the final state is Canceled", () => {
    let status = startRegionPhase(fresh(), "northeurope", "preflight", T1);
    status = requestCancel(status, T2);
    assert.equal(status.cancelRequested, true);
    assert.deepEqual(states(status), ["Running", "Canceled", "Canceled"]);
    assert.throws(() => startRegionPhase(status, "uksouth", "preflight", T2), /is being canceled/);
    assert.equal(status.state, "Running");
    assert.throws(() => startRegionPhase(status, "northeurope", "provisioning", T2), /is being canceled/);
    status = succeedRegion(status, "northeurope", T3);
    status = finishRollout(status, T3);
    assert.equal(status.state, "Canceled");
    assert.deepEqual(states(status), ["Succeeded", "Canceled", "Canceled"]);
    const cutShort = finishRollout(requestCancel(startRegionPhase(fresh(), "uksouth", "preflight", T1), T2), T3);
    assert.deepEqual(states(cutShort), ["Canceled", "Canceled", "Canceled"]);
  });

  it("records verification results per region and per check", () => {
    const verification = {
      verifiedAt: T3,
      ok: false,
      network: [{ check: "heads-advancing", ok: true, detail: "heads 12..13" }],
      regions: [
        {
          region: "uksouth",
          checks: [{ check: "validator-peering", ok: false, detail: "2 of 3 validators peered, quorum needs 2" }],
        },
      ],
    };
    const status = recordVerification(fresh(), verification, T3);
    assert.deepEqual(status.verification, verification);
    assertStorable(status);
  });
});

describe("transient retries in a region's status", () => {
  it("adds up retries from notices and sub-orchestration summaries, keeps the latest, and a new attempt starts at none", () => {
    let status = startRegionPhase(fresh(), "uksouth", "preflight", T1);
    assert.equal(
      recordRetries(status, "uksouth", { count: 0, waitedSeconds: 0 }, T1),
      status,
      "nothing retried: unchanged",
    );
    const last = {
      activity: "getClusterState",
      cause: "TooManyRequests: throttled",
      nextAttempt: 2,
      waitSeconds: 4,
      at: T1,
    };
    status = recordRetries(status, "uksouth", { count: 1, waitedSeconds: 4, last }, T1);
    status = recordRetries(status, "uksouth", { count: 2, waitedSeconds: 3 }, T2);
    const region = status.regions.find((entry) => entry.region === "uksouth");
    assert.deepEqual(region?.retries, { count: 3, waitedSeconds: 7, last });
    assertStorable(status);
    status = failRegion(status, "uksouth", { step: "aks-cluster", cause: "gave up", kind: "transient" }, T2);
    const retried = createRolloutStatus({
      rolloutId: "rollout-chain138-2",
      network: "chain138",
      regions: ["uksouth"],
      at: T3,
      earlier: status.regions.filter((entry) => entry.region === "uksouth"),
    });
    const again = startRegionPhase(retried, "uksouth", "preflight", T3).regions[0];
    assert.equal(again?.retries, undefined, "a new attempt of the region has retried nothing yet");
    assert.equal(again?.attempts, 2);
  });
});

describe("retry", () => {
  function partiallyDone(): RolloutStatus {
    let status = through(fresh(), "northeurope");
    status = startRegionPhase(status, "uksouth", "preflight", T1);
    status = failRegion(status, "uksouth", { step: "preflight", cause: "quota", kind: "permanent" }, T1);
    status = requestCancel(status, T2);
    return finishRollout(status, T3);
  }

  it("selects the regions that did not succeed, or checks the ones named", () => {
    const status = partiallyDone();
    assert.deepEqual(selectRegionsToRetry(status), { ok: true, regions: ["uksouth", "ukwest"] });
    assert.deepEqual(selectRegionsToRetry(status, ["ukwest"]), { ok: true, regions: ["ukwest"] });
    assert.deepEqual(selectRegionsToRetry(status, ["northeurope", "eastus"]), {
      ok: false,
      problems: [
        "region northeurope already succeeded in rollout rollout-chain138-1",
        "region eastus is not part of rollout rollout-chain138-1",
      ],
    });
    assert.deepEqual(selectRegionsToRetry(fresh()), {
      ok: false,
      problems: ["rollout rollout-chain138-1 is still running; cancel it or wait for it to finish"],
    });
    const allDone = finishRollout(through(through(through(fresh(), "northeurope"), "uksouth"), "ukwest"), T3);
    assert.equal(selectRegionsToRetry(allDone).ok, false);
  });

  it("a retry's new rollout carries the retried regions' attempts and last errors", () => {
    const T4 = "2026-11-29T11:00:00.000Z";
    let status = createRolloutStatus({
      rolloutId: "rollout-chain138-2",
      network: "chain138",
      regions: ["uksouth"],
      at: T4,
      earlier: partiallyDone().regions,
    });
    assert.deepEqual(states(status), ["Pending"]);
    assert.equal(status.regions[0].lastError?.cause, "quota");
    assert.equal(status.regions[0].attempts, 1);
    assertStorable(status);
    status = startRegionPhase(status, "uksouth", "preflight", T4);
    assert.equal(status.regions[0].attempts, 2);
    assert.equal(status.regions[0].startedAt, T4);
  });

  it("counts regions by state", () => {
    assert.deepEqual(countRegions(partiallyDone().regions), {
      total: 3,
      pending: 0,
      running: 0,
      succeeded: 1,
      failed: 1,
      canceled: 1,
    });
  });
});

describe("rollout status schema", () => {
  it("converts to JSON Schema for the API document, with ISO date-times", () => {
    const schema = z.toJSONSchema(rolloutStatusSchema);
    assert.match(JSON.stringify(schema.properties?.createdAt), /"format":"date-time"/);
    assert.equal(rolloutStatusSchema.safeParse({ ...fresh(), createdAt: "yesterday" }).success, false);
  });
});

describe("cluster deletions in the status", () => {
  it("keeps one entry per cluster, in first-seen order, at its latest state", () => {
    const korea = { region: "koreasouth", clusterName: "aks-chain138-koreasouth" };
    const canada = { region: "canadacentral", clusterName: "aks-chain138-canadacentral" };
    let status = recordClusterDeletion(fresh(), { ...korea, state: "Deleting" }, T1);
    status = recordClusterDeletion(status, { ...canada, state: "Deleting" }, T1);
    status = recordClusterDeletion(status, { ...korea, state: "Deleted" }, T2);
    status = recordClusterDeletion(status, { ...canada, state: "Failed", reason: "canadacentral: denied" }, T3);
    assert.deepEqual(status.clusterDeletions, [
      { ...korea, state: "Deleted", at: T2 },
      { ...canada, state: "Failed", reason: "canadacentral: denied", at: T3 },
    ]);
    assert.equal(status.updatedAt, T3);
    assert.equal(rolloutStatusSchema.safeParse(status).success, true);
    assert.equal(fresh().clusterDeletions, undefined, "a rollout that deletes nothing shows no deletions");
  });
});
