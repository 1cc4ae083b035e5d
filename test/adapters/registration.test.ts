/**
 * The Functions host loads the composition root (dist/app.js): loading it must need no
 * configuration, register each activity exactly once, and cover every contract.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as changeContracts from "../../activities/change-contracts.js";
import * as contracts from "../../activities/contracts.js";
import * as deprovisionContracts from "../../activities/deprovision.js";
import * as onChainContracts from "../../activities/onchain-contracts.js";
import * as driftContracts from "../../activities/drift-contracts.js";
import { activityContracts, activityNameOf } from "../../activities/factory.js";
import { activityHandler, registerActivities } from "../../activities/registration.js";
import { REPO_ROOT } from "../support/paths.js";

const COMPOSITION_ROOT = join(REPO_ROOT, "dist", "app.js");

function isContract(value: unknown): value is contracts.ActivityContract<never, never> {
  return typeof value === "object" && value !== null && "name" in value && "input" in value && "output" in value;
}

describe("activity registration", () => {
  it("loads the composition root without configuration, and refuses a second registration", async () => {
    const saved = { ...process.env };
    for (const name of ["BESU_FLEET_CLOUD_FILE", "AZURE_SUBSCRIPTION_ID", "AzureWebJobsStorage"])
      delete process.env[name];
    try {
      await import(COMPOSITION_ROOT);
    } finally {
      Object.assign(process.env, saved);
    }
    assert.throws(
      () => registerActivities([contracts.preflightRegion]),
      /activity preflightRegion is registered twice/,
    );
  });

  it("has a handler for every contract", () => {
    const declared = [
      ...Object.values(contracts),
      ...Object.values(onChainContracts),
      ...Object.values(changeContracts),
      ...Object.values(driftContracts),
      ...Object.values(deprovisionContracts),
    ].filter(isContract);
    assert.ok(declared.length >= 10);
    for (const contract of declared) assert.equal(activityNameOf(contract), contract.name);
    assert.equal(Object.keys(activityContracts).length, declared.length);
  });

  it("returns a missing configuration as a permanent failure naming the variable", async () => {
    const saved = { ...process.env };
    for (const name of [
      "BESU_FLEET_CLOUD_FILE",
      "AZURE_SUBSCRIPTION_ID",
      "AzureWebJobsStorage",
      "AzureWebJobsStorage__accountName",
      "AzureWebJobsStorage__blobServiceUri",
    ])
      delete process.env[name];
    try {
      const result = await activityHandler("getClusterState")({
        cluster: { resourceGroup: "rg", clusterName: "aks", region: "uksouth" },
      });
      assert.deepEqual(result, {
        ok: false,
        kind: "permanent",
        code: "ConfigurationError",
        message:
          "environment variable AZURE_SUBSCRIPTION_ID is not set (the subscription to deploy into; or set BESU_FLEET_CLOUD_FILE for the simulated cloud)",
      });
    } finally {
      Object.assign(process.env, saved);
    }
  });
});
