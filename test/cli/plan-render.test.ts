/**
 * The text form of `besu-fleet rollout plan` (cli/rollout-plan-render.ts), over plans the domain
 * computes: the network's quorum line, each region's nodes with their actions and reasons, the
 * waves with what each keeps up, and the removals with the clusters deleted after them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderChangePlan } from "../../cli/rollout-plan-render.js";
import { planChanges, type ChangePlan } from "../../lib/domain/changes/plan.js";
import type { NetworkRecord } from "../../lib/domain/network-record.js";
import type { DesiredState } from "../../lib/domain/spec.js";
import { validSpec } from "../domain/helpers.js";
import { recordOf } from "../domain/network-fixtures.js";

const REGIONS = ["northeurope", "uksouth", "francecentral", "swedencentral", "italynorth"];

function specOf(regions: readonly string[], rollout: Record<string, unknown> = {}, image = "hyperledger/besu:24.10.0") {
  return validSpec({
    network: { name: "chain138", besuImage: image },
    regions: regions.map((name, index) => ({ name, validators: 1, sentries: index === 0 ? 1 : 0 })),
    rollout,
  });
}

function planOf(spec: DesiredState, record: NetworkRecord | undefined): ChangePlan {
  const decision = planChanges(spec, record);
  if (!decision.ok) assert.fail(JSON.stringify(decision.problems));
  return decision.plan;
}

describe("rollout plan, as text", () => {
  it("shows an image upgrade's regions, reasons and waves with the quorum each keeps", () => {
    const record = recordOf(specOf(REGIONS.slice(0, 4)));
    const lines = renderChangePlan(planOf(specOf(REGIONS.slice(0, 4), {}, "hyperledger/besu:24.12.0"), record));
    assert.equal(
      lines[0],
      "Change plan for network chain138: 4 validators, quorum 3, f = 1; at most 1 validator(s) down per wave.",
    );
    assert.match(
      lines.find((line) => line.startsWith("  northeurope")) ?? "",
      /^ {2}northeurope\s+update\s+validator-1 update \(image\), sentry-1 update \(image\)$/,
    );
    assert.ok(lines.includes("Waves (5, in order):"), lines.join("\n"));
    assert.ok(
      lines.includes("    1  validators  northeurope/validator-1  — 1 validator(s) down, 3 up, quorum 3: kept"),
      lines.join("\n"),
    );
    assert.ok(lines.includes("    5  sentries    northeurope/sentry-1  — 0 validator(s) down, 4 up, quorum 3: kept"));
    assert.ok(!lines.some((line) => line.startsWith("Removals")), "nothing is removed");
  });

  it("says when nothing restarts", () => {
    const spec = specOf(REGIONS.slice(0, 4));
    const lines = renderChangePlan(planOf(spec, recordOf(spec)));
    assert.ok(lines.includes("Waves: none (no running node restarts)."), lines.join("\n"));
    assert.match(
      lines.find((line) => line.startsWith("  uksouth")) ?? "",
      /^ {2}uksouth\s+unchanged\s+validator-1 unchanged$/,
    );
  });

  it("lists removals, voted out then stopped, and the clusters deleted after them", () => {
    const record = recordOf(specOf(REGIONS));
    const dropped = record.members.find((member) => member.nodeId === "italynorth/validator-1");
    assert.ok(dropped);
    const deleting = renderChangePlan(planOf(specOf(REGIONS.slice(0, 4), { deprovision: "delete" }), record));
    const removals = deleting.slice(deleting.indexOf("Removals (then the clusters of dropped regions are deleted):"));
    assert.deepEqual(removals, [
      "Removals (then the clusters of dropped regions are deleted):",
      `  italynorth/validator-1 — voted out (${dropped.address}), then stopped`,
      "  cluster aks-chain138-italynorth (rg-chain138-italynorth) — deleted",
    ]);
    const keeping = renderChangePlan(planOf(specOf(REGIONS.slice(0, 4)), record));
    assert.ok(keeping.includes("Removals (then the clusters of dropped regions are kept):"), keeping.join("\n"));
    assert.ok(!keeping.some((line) => line.includes("— deleted")), "retain deletes no cluster");
  });
});
