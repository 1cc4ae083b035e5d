import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { restorePoller, type ManagedCluster } from "@azure/arm-containerservice";
import {
  arm,
  clusterParameters,
  control,
  createResourceGroup,
  httpsRequest,
  restError,
  startTestCloud,
  type TestCloud,
} from "./helpers.js";
import { CloudConnectionSchema, readCloudConnection } from "../src/index.js";

interface Usage {
  name: { value: string };
  currentValue: number;
  limit: number;
}

async function usages(test: TestCloud, location: string): Promise<Usage[]> {
  const response = await arm(
    test,
    "GET",
    `/subscriptions/${test.connection.subscriptionId}/providers/Microsoft.Compute/locations/${location}/usages`,
  );
  assert.equal(response.status, 200);
  return (response.body as { value: Usage[] }).value;
}

function usage(list: Usage[], name: string): Usage {
  const found = list.find((entry) => entry.name.value === name);
  assert.ok(found, `usage ${name} listed`);
  return found;
}

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) items.push(item);
  return items;
}

describe("simulated ARM through the real ContainerServiceClient", () => {
  let test: TestCloud;

  before(async () => {
    test = await startTestCloud();
  });

  after(async () => {
    await test.close();
  });

  it("writes a cloud.json that the schema parses", () => {
    const connection = readCloudConnection(test.dataDir);
    assert.deepEqual(connection, CloudConnectionSchema.parse(test.connection));
    assert.match(connection.armEndpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(connection.regions.includes("northeurope"));
  });

  it("answers 401 without a bearer token and 404 for another subscription", async () => {
    const anonymous = await httpsRequest(
      `${test.connection.armEndpoint}/subscriptions/${test.connection.subscriptionId}/resourcegroups?api-version=2021-04-01`,
      test.ca,
    );
    assert.equal(anonymous.status, 401);
    assert.deepEqual(Object.keys(anonymous.body as object), ["error"]);
    assert.equal((anonymous.body as { error: { code: string } }).error.code, "AuthenticationFailed");
    const other = await arm(test, "GET", "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups");
    assert.equal(other.status, 404);
    assert.equal((other.body as { error: { code: string } }).error.code, "SubscriptionNotFound");
  });

  it("creates a cluster as a long-running operation that the SDK poller completes", async () => {
    await createResourceGroup(test, "rg-lro", "northeurope");
    const poller = test.client.managedClusters.createOrUpdate("rg-lro", "aks-lro", clusterParameters("northeurope"), {
      updateIntervalInMs: 10,
    });
    await poller.submitted();
    const during = await test.client.managedClusters.get("rg-lro", "aks-lro");
    assert.equal(during.provisioningState, "Creating");
    const cluster: ManagedCluster = await poller.pollUntilDone();
    assert.equal(cluster.provisioningState, "Succeeded");
    assert.equal(cluster.location, "northeurope");
    assert.equal(cluster.agentPoolProfiles?.[0]?.count, 2);
    assert.equal(cluster.networkProfile?.serviceCidr, "10.0.0.0/16");
    assert.equal(cluster.identity?.tenantId, test.connection.tenantId);
    assert.match(cluster.identity?.principalId ?? "", /^[0-9a-f-]{36}$/);
    const operations = (await control(test, "GET", "operations")).body as {
      entries: { target: string; operation: string; status: unknown; region?: string }[];
    };
    assert.ok(
      operations.entries.some(
        (entry) =>
          entry.target === "lro" &&
          entry.operation === "managedClusters.create" &&
          entry.status === "Succeeded" &&
          entry.region === "northeurope",
      ),
    );
  });

  it("resumes polling from a serialized poller state (restorePoller)", async () => {
    await createResourceGroup(test, "rg-restore", "uksouth");
    const first = test.client.managedClusters.createOrUpdate(
      "rg-restore",
      "aks-restore",
      clusterParameters("uksouth"),
      { updateIntervalInMs: 10 },
    );
    await first.submitted();
    const state = await first.serialize();
    const restored = restorePoller(test.client, state, test.client.managedClusters.createOrUpdate, {
      updateIntervalInMs: 10,
    });
    const cluster = await restored.pollUntilDone();
    assert.equal(cluster.provisioningState, "Succeeded");
    assert.equal(cluster.name, "aks-restore");
  });

  it("gets, lists by group and by subscription, reads and scales agent pools", async () => {
    await createResourceGroup(test, "rg-list", "francecentral");
    await test.client.managedClusters
      .createOrUpdate("rg-list", "aks-a", clusterParameters("francecentral", 1), { updateIntervalInMs: 10 })
      .pollUntilDone();
    await test.client.managedClusters
      .createOrUpdate("rg-list", "aks-b", clusterParameters("francecentral", 1), { updateIntervalInMs: 10 })
      .pollUntilDone();
    const inGroup = await collect(test.client.managedClusters.listByResourceGroup("rg-list"));
    assert.deepEqual(inGroup.map((cluster) => cluster.name).sort(), ["aks-a", "aks-b"]);
    const all = await collect(test.client.managedClusters.list());
    assert.ok(all.length >= 3);
    const pools = await collect(test.client.agentPools.list("rg-list", "aks-a"));
    assert.deepEqual(
      pools.map((pool) => [pool.name, pool.count, pool.vmSize]),
      [["system", 1, "Standard_D2s_v5"]],
    );

    const before = await usages(test, "francecentral");
    assert.equal(usage(before, "cores").currentValue, 4);
    assert.equal(usage(before, "standardDSv5Family").currentValue, 4);

    const scaled = await test.client.agentPools
      .createOrUpdate("rg-list", "aks-a", "system", { count: 3 }, { updateIntervalInMs: 10 })
      .pollUntilDone();
    assert.equal(scaled.count, 3);
    assert.equal(scaled.provisioningState, "Succeeded");
    const afterScale = await usages(test, "francecentral");
    assert.equal(usage(afterScale, "cores").currentValue, 8);
    assert.equal(usage(afterScale, "cores").limit, 10);
  });

  it("updates a cluster's pools through a PUT of the cluster, refusing a second operation meanwhile", async () => {
    await createResourceGroup(test, "rg-update", "belgiumcentral");
    await test.client.managedClusters
      .createOrUpdate("rg-update", "aks-u", clusterParameters("belgiumcentral", 1), { updateIntervalInMs: 10 })
      .pollUntilDone();
    const update = test.client.managedClusters.createOrUpdate(
      "rg-update",
      "aks-u",
      clusterParameters("belgiumcentral", 3),
      { updateIntervalInMs: 10 },
    );
    await update.submitted();
    assert.equal((await test.client.managedClusters.get("rg-update", "aks-u")).provisioningState, "Updating");
    const busy = await restError(
      test.client.agentPools
        .createOrUpdate("rg-update", "aks-u", "system", { count: 2 }, { updateIntervalInMs: 10 })
        .pollUntilDone(),
    );
    assert.equal(busy.statusCode, 409);
    assert.equal(busy.code, "OperationNotAllowed");
    const updated = await update.pollUntilDone();
    assert.equal(updated.provisioningState, "Succeeded");
    assert.equal(updated.agentPoolProfiles?.[0]?.count, 3);
  });

  it("lists regions, VM sizes and Kubernetes versions for preflight checks", async () => {
    const versions = await test.client.managedClusters.listKubernetesVersions("northeurope");
    assert.ok(
      versions.values?.some(
        (version) => version.isDefault === true && Object.keys(version.patchVersions ?? {}).length > 0,
      ),
    );
    const locations = await arm(test, "GET", `/subscriptions/${test.connection.subscriptionId}/locations`);
    assert.ok(
      (locations.body as { value: { name: string }[] }).value.some((location) => location.name === "koreasouth"),
    );
    const skus = await arm(
      test,
      "GET",
      `/subscriptions/${test.connection.subscriptionId}/providers/Microsoft.Compute/skus?$filter=${encodeURIComponent("location eq 'japaneast'")}`,
    );
    const sizes = (skus.body as { value: { name: string; family: string; locations: string[] }[] }).value;
    const d2 = sizes.find((sku) => sku.name === "Standard_D2s_v5");
    assert.deepEqual([d2?.family, d2?.locations], ["standardDSv5Family", ["japaneast"]]);
  });

  it("fails a create beyond quota the way AKS does", async () => {
    await createResourceGroup(test, "rg-quota", "swedencentral");
    const total = await restError(
      test.client.managedClusters
        .createOrUpdate("rg-quota", "too-big", clusterParameters("swedencentral", 6), { updateIntervalInMs: 10 })
        .pollUntilDone(),
    );
    assert.equal(total.statusCode, 400);
    assert.equal(total.code, "QuotaExceeded");
    assert.match(
      total.message,
      /Location: swedencentral, Current Limit: 10, Current Usage: 0, Additional Required: 12, \(Minimum\) New Limit Required: 12/,
    );
    const listed = await collect(test.client.managedClusters.listByResourceGroup("rg-quota"));
    assert.equal(listed.length, 0);
  });

  it("counts surge nodes of an upgrade against quota", async () => {
    await createResourceGroup(test, "rg-surge", "switzerlandnorth");
    await test.client.managedClusters
      .createOrUpdate("rg-surge", "aks-full", clusterParameters("switzerlandnorth", 5), { updateIntervalInMs: 10 })
      .pollUntilDone();
    const upgrade = await restError(
      test.client.managedClusters
        .createOrUpdate(
          "rg-surge",
          "aks-full",
          { ...clusterParameters("switzerlandnorth", 5), kubernetesVersion: "1.32.3" },
          { updateIntervalInMs: 10 },
        )
        .pollUntilDone(),
    );
    assert.equal(upgrade.code, "QuotaExceeded");
    assert.match(upgrade.message, /Current Limit: 10, Current Usage: 10, Additional Required: 2/);
    const scaleDown = await test.client.managedClusters
      .createOrUpdate("rg-surge", "aks-full", clusterParameters("switzerlandnorth", 4), { updateIntervalInMs: 10 })
      .pollUntilDone();
    assert.equal(scaleDown.agentPoolProfiles?.[0]?.count, 4);
  });

  it("rejects unknown regions, unknown VM sizes and invalid bodies with ARM's 400 errors", async () => {
    await createResourceGroup(test, "rg-bad", "germanywestcentral");
    const region = await restError(
      test.client.managedClusters
        .createOrUpdate("rg-bad", "aks", clusterParameters("atlantis"), { updateIntervalInMs: 10 })
        .pollUntilDone(),
    );
    assert.equal(region.statusCode, 400);
    assert.equal(region.code, "LocationNotAvailableForResourceType");
    const size = await restError(
      test.client.managedClusters
        .createOrUpdate("rg-bad", "aks", clusterParameters("germanywestcentral", 1, "Standard_Z99"), {
          updateIntervalInMs: 10,
        })
        .pollUntilDone(),
    );
    assert.equal(size.statusCode, 400);
    assert.equal(size.code, "InvalidParameter");
    assert.match(size.message, /Standard_Z99/);
    const raw = await arm(
      test,
      "PUT",
      `/subscriptions/${test.connection.subscriptionId}/resourceGroups/rg-bad/providers/Microsoft.ContainerService/managedClusters/aks`,
      { properties: {} },
    );
    assert.equal(raw.status, 400);
    assert.equal((raw.body as { error: { code: string } }).error.code, "InvalidRequestContent");
    const notJson = await httpsRequest(
      `${test.connection.armEndpoint}/subscriptions/${test.connection.subscriptionId}/resourceGroups/rg-bad/providers/Microsoft.ContainerService/managedClusters/aks?api-version=2025-01-01`,
      test.ca,
      {
        method: "PUT",
        body: "{not json",
        headers: { Authorization: "Bearer test" },
      },
    );
    assert.equal(notJson.status, 400);
    assert.equal((notJson.body as { error: { code: string } }).error.code, "InvalidRequestContent");
    const noVersion = await httpsRequest(
      `${test.connection.armEndpoint}/subscriptions/${test.connection.subscriptionId}/resourcegroups`,
      test.ca,
      { headers: { Authorization: "Bearer test" } },
    );
    assert.equal((noVersion.body as { error: { code: string } }).error.code, "MissingApiVersionParameter");
    const badEncoding = await arm(
      test,
      "GET",
      `/subscriptions/${test.connection.subscriptionId}/resourcegroups/%E0%A4%A`,
    );
    assert.equal(badEncoding.status, 400);
    const missingGroup = await restError(test.client.managedClusters.get("no-such-group", "aks"));
    assert.equal(missingGroup.statusCode, 404);
    assert.equal(missingGroup.code, "ResourceGroupNotFound");
  });

  it("returns kubeconfigs for user and admin credentials", async () => {
    await createResourceGroup(test, "rg-cred", "norwayeast");
    await test.client.managedClusters
      .createOrUpdate("rg-cred", "aks-cred", clusterParameters("norwayeast", 1), { updateIntervalInMs: 10 })
      .pollUntilDone();
    for (const credentials of [
      await test.client.managedClusters.listClusterUserCredentials("rg-cred", "aks-cred"),
      await test.client.managedClusters.listClusterAdminCredentials("rg-cred", "aks-cred"),
    ]) {
      const value = credentials.kubeconfigs?.[0]?.value;
      assert.ok(value);
      const text = Buffer.from(value).toString("utf8");
      assert.match(text, /server: https:\/\/127\.0\.0\.1:\d+/);
      assert.match(text, /certificate-authority-data: /);
    }
  });

  it("deletes a cluster as a long-running operation and takes its API server away", async () => {
    await createResourceGroup(test, "rg-del", "italynorth");
    await test.client.managedClusters
      .createOrUpdate("rg-del", "aks-del", clusterParameters("italynorth", 1), { updateIntervalInMs: 10 })
      .pollUntilDone();
    const state = (await control(test, "GET", "state")).body as {
      clusters: { name: string; apiServerUrl: string | null }[];
    };
    const url = state.clusters.find((cluster) => cluster.name === "aks-del")?.apiServerUrl;
    assert.ok(url);
    await test.client.managedClusters.delete("rg-del", "aks-del", { updateIntervalInMs: 10 }).pollUntilDone();
    const gone = await restError(test.client.managedClusters.get("rg-del", "aks-del"));
    assert.equal(gone.statusCode, 404);
    await assert.rejects(httpsRequest(`${url}/api`, test.ca), /ECONNREFUSED/);
  });

  it("deleting a resource group deletes its clusters", async () => {
    await createResourceGroup(test, "rg-cascade", "polandcentral");
    await test.client.managedClusters
      .createOrUpdate("rg-cascade", "aks-c", clusterParameters("polandcentral", 1), { updateIntervalInMs: 10 })
      .pollUntilDone();
    const accepted = await arm(
      test,
      "DELETE",
      `/subscriptions/${test.connection.subscriptionId}/resourcegroups/rg-cascade`,
    );
    assert.equal(accepted.status, 202);
    assert.ok(accepted.headers.location);
    for (;;) {
      const group = await arm(
        test,
        "GET",
        `/subscriptions/${test.connection.subscriptionId}/resourcegroups/rg-cascade`,
      );
      if (group.status === 404) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const all = await collect(test.client.managedClusters.list());
    assert.ok(!all.some((cluster) => cluster.name === "aks-c"));
  });

  it("throttles with 429 and Retry-After, and the SDK's retry policy waits and succeeds", async () => {
    await createResourceGroup(test, "rg-throttle", "spaincentral");
    await test.client.managedClusters
      .createOrUpdate("rg-throttle", "aks-t", clusterParameters("spaincentral", 1), { updateIntervalInMs: 10 })
      .pollUntilDone();
    const set = await control(test, "PUT", "faults", { throttling: { reads: { size: 2, refillPerSecond: 1 } } });
    assert.equal(set.status, 200);
    try {
      const raw = [
        await arm(test, "GET", `/subscriptions/${test.connection.subscriptionId}/resourcegroups/rg-throttle`),
        await arm(test, "GET", `/subscriptions/${test.connection.subscriptionId}/resourcegroups/rg-throttle`),
      ];
      assert.equal(raw[0]?.headers["x-ms-ratelimit-remaining-subscription-reads"], "1");
      const throttled = await arm(
        test,
        "GET",
        `/subscriptions/${test.connection.subscriptionId}/resourcegroups/rg-throttle`,
      );
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers["retry-after"], "1");
      assert.equal(throttled.headers["x-ms-ratelimit-remaining-subscription-reads"], "0");
      const { entries: before } = (await control(test, "GET", "operations")).body as { entries: { seq: number }[] };
      const since = before[before.length - 1]?.seq ?? 0;
      const cluster = await test.client.managedClusters.get("rg-throttle", "aks-t");
      assert.equal(cluster.name, "aks-t");
      const { entries } = (await control(test, "GET", `operations?since=${since}`)).body as {
        entries: { time: string; status: unknown; throttled: boolean }[];
      };
      const refused = entries.find((entry) => entry.throttled && entry.status === 429);
      const served = entries.find((entry) => !entry.throttled && entry.status === 200);
      assert.ok(refused, "the SDK's first attempt was throttled");
      assert.ok(served, "the SDK retried until it was served");
      // Honouring Retry-After means the successful attempt came at least 1 s after the refusal (a behaviour, not a speed target).
      assert.ok(Date.parse(served.time) - Date.parse(refused.time) >= 950);
    } finally {
      await control(test, "DELETE", "faults");
    }
  });
});
