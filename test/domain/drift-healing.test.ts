/**
 * Which nodes drift healing restarts and in which waves (lib/domain/drift/healing.ts): only nodes
 * whose StatefulSet has a Kubernetes finding, deleted ones first, at most the policy's validators
 * of the set per wave, sentries after the validators.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { healingWaves, nodesToHeal } from "../../lib/domain/drift/healing.js";
import type { DriftFinding } from "../../lib/domain/drift/report.js";
import { planRollout } from "../../lib/domain/plan.js";
import { DEPLOYMENT_REGIONS } from "../../lib/domain/regions.js";
import { validSpec } from "./helpers.js";
import { recordOf } from "./network-fixtures.js";

const [A, B, C, D] = DEPLOYMENT_REGIONS.map((region) => region.name);
/** Seven validators (f = 2) in four regions, one sentry in the first. */
const spec = validSpec({
  network: { name: "chain138" },
  regions: [
    { name: A, validators: 2, sentries: 1 },
    { name: B, validators: 2, sentries: 0 },
    { name: C, validators: 2, sentries: 0 },
    { name: D, validators: 1, sentries: 0 },
  ],
  rollout: { maxUnavailableValidators: 2 },
});
const record = recordOf(spec);
const plans = planRollout(spec);

const finding = (region: string, resource: string, field: string): DriftFinding => ({
  kind: "kubernetes",
  region,
  resource,
  field,
  desired: "x",
  actual: "y",
  since: "2026-12-04T00:00:00.000Z",
  severity: "warning",
});
const deletedSet = (region: string, name: string) => finding(region, `StatefulSet/${name}`, "(object)");
const editedSet = (region: string, name: string) =>
  finding(region, `StatefulSet/${name}`, '.spec.template.spec.containers[name="besu"].image');

describe("drift healing plan", () => {
  it("heals only nodes whose StatefulSet has a finding, deleted ones first", () => {
    const nodes = nodesToHeal(plans, [
      editedSet(A, "besu-validator-1"),
      finding(A, "ConfigMap/besu-genesis", ".data.genesis.json"),
      deletedSet(C, "besu-validator-2"),
      editedSet(C, "besu-validator-2"),
      deletedSet(B, "besu-validator-1"),
      editedSet(A, "besu-sentry-1"),
      // A Besu finding about a StatefulSet's node is reported only.
      { ...deletedSet(D, "besu-validator-1"), kind: "besu" },
    ]);
    assert.deepEqual(
      nodes.map((node) => `${node.nodeId} ${node.deleted ? "deleted" : "edited"}`),
      [`${B}/validator-1 deleted`, `${C}/validator-2 deleted`, `${A}/validator-1 edited`, `${A}/sentry-1 edited`],
    );
  });

  it("restores the deleted validators first, at most maxUnavailableValidators per wave, then the edited ones, then sentries", () => {
    const nodes = nodesToHeal(plans, [
      editedSet(A, "besu-validator-1"),
      editedSet(A, "besu-validator-2"),
      deletedSet(B, "besu-validator-1"),
      deletedSet(C, "besu-validator-1"),
      deletedSet(D, "besu-validator-1"),
      editedSet(A, "besu-sentry-1"),
    ]);
    const waves = healingWaves(nodes, record, spec.rollout.maxUnavailableValidators);
    assert.deepEqual(
      waves.map((wave) => [wave.kind, wave.nodes]),
      [
        ["validators", [`${B}/validator-1`, `${C}/validator-1`]],
        ["validators", [`${D}/validator-1`, `${A}/validator-1`]],
        ["validators", [`${A}/validator-2`]],
        ["sentries", [`${A}/sentry-1`]],
      ],
    );
    for (const wave of waves) {
      assert.ok(wave.validatorsDown.length <= 2, `wave ${wave.index} within the limit`);
      assert.equal(wave.quorumKept, true);
      assert.equal(wave.quorum, 5);
    }
    assert.deepEqual(waves[3]?.validatorsDown, [], "a sentry is no validator of the set");
  });

  it("plans no wave when no StatefulSet drifted", () => {
    const nodes = nodesToHeal(plans, [finding(A, "ConfigMap/besu-static-nodes", ".data")]);
    assert.deepEqual(nodes, []);
    assert.deepEqual(healingWaves(nodes, record, 1), []);
  });
});
