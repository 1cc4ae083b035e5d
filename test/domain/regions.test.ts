import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ADMIN_REGION,
  ADMIN_REGION_INFO,
  allRegions,
  DEPLOYMENT_REGION_NAMES,
  DEPLOYMENT_REGIONS,
  findRegion,
  isDeploymentRegion,
  STRATEGY_VCPU_BUDGET_PER_REGION,
} from "../../lib/domain/regions.js";

describe("region catalog", () => {
  it("lists the strategy's 24 deployment regions in its order, by ARM name", () => {
    assert.equal(DEPLOYMENT_REGIONS.length, 24);
    assert.equal(new Set(DEPLOYMENT_REGION_NAMES).size, 24);
    assert.equal(DEPLOYMENT_REGION_NAMES[0], "northeurope");
    assert.equal(DEPLOYMENT_REGION_NAMES[18], "westindia");
    assert.equal(DEPLOYMENT_REGION_NAMES[23], "canadacentral");
    for (const region of DEPLOYMENT_REGIONS) {
      assert.match(region.name, /^[a-z]+$/);
      assert.equal(
        region.displayName.replace(/\s/g, "").toLowerCase(),
        region.name,
        `${region.displayName} ↔ ${region.name}`,
      );
      assert.equal(region.role, "deployment");
    }
  });

  it("keeps West Europe as the admin region, outside the deployment regions", () => {
    assert.equal(ADMIN_REGION, "westeurope");
    assert.equal(ADMIN_REGION_INFO.role, "admin");
    assert.equal(DEPLOYMENT_REGION_NAMES.includes(ADMIN_REGION), false);
    assert.equal(isDeploymentRegion(ADMIN_REGION), false);
    assert.equal(findRegion(ADMIN_REGION)?.displayName, "West Europe");
  });

  it("finds regions by ARM name only", () => {
    assert.equal(findRegion("japaneast")?.geography, "Japan");
    assert.equal(findRegion("canadacentral")?.area, "Americas");
    assert.equal(findRegion("Japan East"), undefined);
    assert.equal(findRegion("eastus"), undefined);
    assert.equal(isDeploymentRegion("koreasouth"), true);
    assert.equal(isDeploymentRegion("eastus"), false);
  });

  it("has 25 regions in all and a 240 vCPU strategy budget", () => {
    assert.equal(allRegions().length, 25);
    assert.equal(STRATEGY_VCPU_BUDGET_PER_REGION * DEPLOYMENT_REGIONS.length, 240);
  });
});
