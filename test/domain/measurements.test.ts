import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterHealth, driftFindingCounts, rolloutDurations } from "../../lib/domain/measurements.js";
import {
  createRolloutStatus,
  enterPhase,
  failRegion,
  finishRollout,
  startRegionPhase,
  succeedRegion,
} from "../../lib/domain/rollout-status.js";

const T0 = "2026-11-29T10:00:00.000Z";
const T1 = "2026-11-29T10:00:30.000Z";
const T2 = "2026-11-29T10:02:00.000Z";
const T3 = "2026-11-29T10:05:00.000Z";

describe("rolloutDurations", () => {
  it("measures the rollout, each region that ended and each phase that ended", () => {
    let status = createRolloutStatus({
      rolloutId: "r-1",
      network: "chain138",
      regions: ["northeurope", "uksouth"],
      at: T0,
    });
    status = enterPhase(status, "preflight", T0);
    status = startRegionPhase(status, "northeurope", "preflight", T0);
    status = startRegionPhase(status, "uksouth", "preflight", T1);
    status = enterPhase(status, "provisioning", T1);
    status = succeedRegion(status, "northeurope", T2);
    status = failRegion(status, "uksouth", { step: "preflight", cause: "quota", kind: "permanent" }, T2);
    status = enterPhase(status, "report", T2);
    status = finishRollout(status, T3);

    const durations = rolloutDurations(status);
    assert.equal(durations.network, "chain138");
    assert.equal(durations.state, status.state);
    assert.equal(durations.rolloutSeconds, 300);
    assert.deepEqual(durations.regions, [
      { region: "northeurope", state: "Succeeded", seconds: 120 },
      { region: "uksouth", state: "Failed", seconds: 90 },
    ]);
    assert.deepEqual(
      durations.phases.map(({ phase }) => phase),
      status.phases.filter((phase) => phase.finishedAt !== undefined).map(({ phase }) => phase),
    );
    assert.deepEqual(durations.phases.slice(0, 2), [
      { phase: "preflight", seconds: 30 },
      { phase: "provisioning", seconds: 90 },
    ]);
  });

  it("leaves out the rollout's own duration while it has not ended", () => {
    const status = createRolloutStatus({ rolloutId: "r-2", network: "chain138", regions: ["ukwest"], at: T0 });
    const durations = rolloutDurations(status);
    assert.equal(durations.rolloutSeconds, undefined);
    assert.deepEqual(durations.regions, []);
  });
});

describe("driftFindingCounts", () => {
  const finding = (kind: "arm" | "besu") => ({
    kind,
    region: "northeurope",
    resource: "r",
    field: "f",
    desired: "a",
    actual: "b",
    severity: "warning" as const,
    since: T0,
  });

  it("counts by kind and status, with a zero for every kind and status not seen", () => {
    const counts = driftFindingCounts({
      findings: [finding("arm"), finding("arm"), finding("besu")],
      ignored: [{ ...finding("besu"), rule: "ignore peers" }],
      unknown: [{ kind: "desired-state", region: "-", resource: "spec", reason: "no successful rollout" }],
    });
    const count = (kind: string, status: string) =>
      counts.find((entry) => entry.kind === kind && entry.status === status)?.count;
    assert.equal(count("arm", "found"), 2);
    assert.equal(count("besu", "found"), 1);
    assert.equal(count("besu", "ignored"), 1);
    assert.equal(count("desired-state", "unknown"), 1);
    assert.equal(count("kubernetes", "found"), 0);
    assert.equal(count("contracts", "unknown"), 0);
    assert.equal(counts.length, 5 * 3, "four drift kinds and desired-state, by three statuses");
  });

  it("reports every kind at zero for a network in sync", () => {
    const counts = driftFindingCounts({ findings: [], ignored: [], unknown: [] });
    assert.ok(counts.length > 0);
    assert.ok(counts.every((entry) => entry.count === 0));
  });
});

describe("clusterHealth", () => {
  const nodes = [
    { id: "ne/validator-1", role: "validator" as const },
    { id: "ne/validator-2", role: "validator" as const },
    { id: "ne/validator-3", role: "validator" as const },
    { id: "ne/sentry-1", role: "sentry" as const },
  ];

  it("takes the highest block and counts the validators that answered and are ready", () => {
    const health = clusterHealth(nodes, [
      { nodeId: "ne/validator-1", reachable: true, blockNumber: 10, ready: true },
      { nodeId: "ne/validator-2", reachable: true, blockNumber: 12, ready: false },
      { nodeId: "ne/validator-3", reachable: false },
      { nodeId: "ne/sentry-1", reachable: true, blockNumber: 14, ready: true },
    ]);
    assert.deepEqual(health, { height: 14, validatorsUp: 1 });
  });

  it("has no height when no node answered", () => {
    assert.deepEqual(
      clusterHealth(nodes, [
        { nodeId: "ne/validator-1", reachable: false },
        { nodeId: "ne/sentry-1", reachable: false },
      ]),
      { validatorsUp: 0 },
    );
  });
});
