import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { z } from "zod";
import { planRollout } from "../../lib/domain/plan.js";
import { ADMIN_REGION, DEPLOYMENT_REGION_NAMES, STRATEGY_VCPU_BUDGET_PER_REGION } from "../../lib/domain/regions.js";
import { desiredStateSchema } from "../../lib/domain/spec.js";
import { parseSpecText, totalValidators } from "../../lib/domain/spec-validation.js";
import { examplesDirectory, readExample } from "./helpers.js";

describe("examples", () => {
  it("chain138-24-regions.yaml is valid: the 24 regions, 1 validator + 1 sentry each, within 10 vCPUs per region", () => {
    const result = parseSpecText(readExample("chain138-24-regions.yaml"));
    if (!result.ok) assert.fail(JSON.stringify(result.problems));
    const spec = result.spec;
    assert.equal(spec.network.chainId, 138);
    assert.deepEqual(
      spec.regions.map((region) => region.name),
      DEPLOYMENT_REGION_NAMES,
    );
    assert.ok(
      spec.regions.every((region) => region.validators === 1 && region.sentries === 1 && region.clusters === 1),
    );
    assert.equal(
      spec.regions.some((region) => region.name === ADMIN_REGION),
      false,
    );
    assert.equal(totalValidators(spec), 24);
    assert.equal(spec.cluster.vcpuBudgetPerRegion, STRATEGY_VCPU_BUDGET_PER_REGION);
    const plans = planRollout(spec);
    assert.ok(plans.every((plan) => plan.totalVcpus <= STRATEGY_VCPU_BUDGET_PER_REGION));
    assert.ok(plans.reduce((sum, plan) => sum + plan.totalVcpus, 0) <= 240);
  });

  it("chain138-small.yaml is valid: 4 regions, the QBFT minimum of 4 validators", () => {
    const result = parseSpecText(readExample("chain138-small.yaml"));
    if (!result.ok) assert.fail(JSON.stringify(result.problems));
    assert.equal(result.spec.regions.length, 4);
    assert.equal(totalValidators(result.spec), 4);
    assert.equal(result.spec.rollout.minValidators, 4);
    assert.ok(planRollout(result.spec).every((plan) => plan.totalVcpus <= 10));
  });
});

describe("docs/spec.md", () => {
  it("documents every field of the spec schema (the on-chain sections in docs/contracts.md)", () => {
    const documentation = ["spec.md", "contracts.md"]
      .map((file) => readFileSync(path.join(examplesDirectory(), "..", "docs", file), "utf8"))
      .join("\n");
    const fields = new Set<string>();
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (typeof node === "object" && node !== null) {
        for (const [key, value] of Object.entries(node)) {
          if (key === "properties" && typeof value === "object" && value !== null)
            Object.keys(value).forEach((name) => fields.add(name));
          collect(value);
        }
      }
    };
    collect(z.toJSONSchema(desiredStateSchema, { io: "input" }));
    assert.ok(fields.size > 30);
    const undocumented = [...fields].filter((name) => !new RegExp(`[\`.]${name}[\`.]`).test(documentation));
    assert.deepEqual(undocumented, []);
  });
});
