import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planRegion, type RegionPlan } from "../../lib/domain/plan.js";
import { computeUsagesSchema, decidePreflight, type ComputeUsage } from "../../lib/domain/preflight.js";
import { validSpec } from "./helpers.js";

function usage(name: string, currentValue: number, limit: number): ComputeUsage {
  return { name: { value: name, localizedValue: name }, currentValue, limit, unit: "Count" };
}

const plan: RegionPlan = planRegion(validSpec(), "uksouth");
const offered = ["Standard_D2s_v5", "Standard_D4s_v5"];

describe("preflight", () => {
  it("passes when the family and the regional total cover the plan, reporting the numbers", () => {
    const decision = decidePreflight({
      plan,
      offeredVmSizes: offered,
      usages: [usage("cores", 0, 10), usage("standardDSv5Family", 2, 10), usage("standardBSFamily", 0, 0)],
    });
    assert.deepEqual(decision, {
      ok: true,
      region: "uksouth",
      quota: [
        { quota: "standardDSv5Family", limit: 10, usage: 2, required: 6, available: 8 },
        { quota: "cores", limit: 10, usage: 0, required: 6, available: 10 },
      ],
    });
  });

  it("passes on exactly enough quota", () => {
    assert.equal(
      decidePreflight({
        plan,
        offeredVmSizes: offered,
        usages: [usage("cores", 4, 10), usage("standardDSv5Family", 4, 10)],
      }).ok,
      true,
    );
  });

  it("fails permanently on a family shortfall, naming region, family, limit, usage and required", () => {
    const decision = decidePreflight({
      plan,
      offeredVmSizes: offered,
      usages: [usage("cores", 0, 100), usage("StandardDSv5Family", 7, 10)],
    });
    assert.equal(decision.ok, false);
    assert.ok(!decision.ok);
    assert.equal(decision.kind, "permanent");
    assert.equal(decision.code, "QuotaExceeded");
    assert.equal(
      decision.reason,
      "uksouth: family standardDSv5Family has limit 10 with 7 in use (3 free) but the plan needs 6 more vCPUs (minimum new limit 13)",
    );
    assert.deepEqual(decision.shortfalls, [
      { quota: "standardDSv5Family", limit: 10, usage: 7, required: 6, available: 3 },
    ]);
  });

  it("lists the regional total and the family together when both fall short", () => {
    const decision = decidePreflight({
      plan,
      offeredVmSizes: offered,
      usages: [usage("cores", 9, 10), usage("standardDSv5Family", 12, 10)],
    });
    assert.ok(!decision.ok);
    assert.deepEqual(
      decision.shortfalls.map((check) => check.quota),
      ["standardDSv5Family", "cores"],
    );
    assert.match(decision.reason, /family standardDSv5Family has limit 10 with 12 in use \(0 free\)/);
    assert.match(
      decision.reason,
      /Total Regional vCPUs \(cores\) has limit 10 with 9 in use \(1 free\) but the plan needs 6 more vCPUs \(minimum new limit 15\)/,
    );
  });

  it("does not count this network's existing clusters twice on a re-run", () => {
    const usages = [usage("cores", 6, 10), usage("standardDSv5Family", 6, 10)];
    assert.equal(decidePreflight({ plan, offeredVmSizes: offered, usages }).ok, false);
    const rerun = decidePreflight({
      plan,
      offeredVmSizes: offered,
      usages,
      alreadyProvisioned: [{ family: "standardDSv5Family", vcpus: 6 }],
    });
    assert.ok(rerun.ok);
    assert.deepEqual(
      rerun.quota.map((check) => check.required),
      [0, 0],
    );
  });

  it("fails when a planned VM size is not offered", () => {
    const decision = decidePreflight({
      plan,
      offeredVmSizes: ["standard_d4s_v5"],
      usages: [usage("cores", 0, 10), usage("standardDSv5Family", 0, 10)],
    });
    assert.ok(!decision.ok);
    assert.equal(decision.code, "VmSizeNotOffered");
    assert.equal(decision.reason, "uksouth does not offer VM size Standard_D2s_v5 to this subscription");
    assert.equal(
      decidePreflight({
        plan,
        offeredVmSizes: ["STANDARD_D2S_V5"],
        usages: [usage("cores", 0, 10), usage("standardDSv5Family", 0, 10)],
      }).ok,
      true,
    );
  });

  it("fails when the region reports no quota for a planned family", () => {
    const decision = decidePreflight({ plan, offeredVmSizes: offered, usages: [usage("cores", 0, 10)] });
    assert.ok(!decision.ok);
    assert.equal(decision.code, "QuotaNotReported");
    assert.match(decision.reason, /reports no quota for standardDSv5Family/);
  });

  it("fails for a region outside the deployment regions", () => {
    const decision = decidePreflight({ plan: { ...plan, region: "westeurope" }, offeredVmSizes: offered, usages: [] });
    assert.ok(!decision.ok);
    assert.equal(decision.code, "RegionNotDeployable");
  });

  it("reads the ARM usages body shape", () => {
    const body = computeUsagesSchema.parse({
      value: [
        { name: { value: "cores", localizedValue: "Total Regional vCPUs" }, currentValue: 0, limit: 10, unit: "Count" },
      ],
      nextLink: null,
    });
    assert.equal(body.value[0].limit, 10);
    assert.equal(computeUsagesSchema.safeParse({ value: [{ name: "cores" }] }).success, false);
  });
});
