import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  clusterName,
  FIELD_MANAGER,
  namespaceName,
  nodePlan,
  planRegion,
  planRollout,
  regionPlanSchema,
  resourceGroupName,
} from "../../lib/domain/plan.js";
import { findVmSize, knownVmSizeNames, VM_SIZES } from "../../lib/domain/vm-sizes.js";
import { validSpec } from "./helpers.js";

describe("VM size catalog", () => {
  it("knows vCPUs and quota family per size, case-insensitively", () => {
    assert.deepEqual(
      { vcpus: findVmSize("Standard_D2s_v5")?.vcpus, family: findVmSize("Standard_D2s_v5")?.family },
      { vcpus: 2, family: "standardDSv5Family" },
    );
    assert.equal(findVmSize("standard_d4s_v5")?.name, "Standard_D4s_v5");
    assert.equal(findVmSize("Standard_D4as_v5")?.family, "standardDASv5Family");
    assert.equal(findVmSize("Standard_Q1"), undefined);
    assert.equal(new Set(knownVmSizeNames().map((name) => name.toLowerCase())).size, VM_SIZES.length);
    for (const size of VM_SIZES) {
      const declared = /^Standard_[A-Z]+(\d+)/.exec(size.name)?.[1];
      assert.equal(String(size.vcpus), declared, `${size.name} vCPUs follow its name`);
      assert.match(size.family, /^standard[A-Za-z0-9]+Family$/);
    }
  });
});

describe("resource names", () => {
  it("derives names from network, region and ordinals only", () => {
    assert.equal(resourceGroupName("chain138", "uksouth"), "rg-chain138-uksouth");
    assert.equal(clusterName("chain138", "uksouth", 1), "aks-chain138-uksouth");
    assert.equal(clusterName("chain138", "uksouth", 2), "aks-chain138-uksouth-2");
    assert.equal(namespaceName("chain138"), "besu-chain138");
    assert.deepEqual(nodePlan("uksouth", "validator", 3), {
      id: "uksouth/validator-3",
      region: "uksouth",
      role: "validator",
      ordinal: 3,
      statefulSetName: "besu-validator-3",
      podName: "besu-validator-3-0",
      rpcServiceName: "besu-validator-3",
      p2pServiceName: "besu-validator-3-p2p",
      keySecretName: "besu-validator-3-key",
    });
  });

  it("keeps every name within Azure and Kubernetes limits for the longest inputs", () => {
    const longest = "a".repeat(20);
    assert.ok(clusterName(longest, "germanywestcentral", 8).length <= 63);
    assert.ok(resourceGroupName(longest, "australiasoutheast").length <= 90);
    assert.ok(namespaceName(longest).length <= 63);
    assert.match(clusterName(longest, "germanywestcentral", 8), /^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
  });
});

describe("region plan", () => {
  it("plans one cluster with its pools, nodes and vCPUs for the default shape", () => {
    const spec = validSpec();
    const plan = planRegion(spec, "japaneast");
    assert.deepEqual(
      regionPlanSchema.parse(JSON.parse(JSON.stringify(plan))),
      plan,
      "a plan survives JSON and its schema",
    );
    assert.equal(plan.network, "chain138");
    assert.equal(plan.displayName, "Japan East");
    assert.equal(plan.resourceGroup, "rg-chain138-japaneast");
    assert.equal(plan.fieldManager, FIELD_MANAGER);
    assert.equal(plan.clusters.length, 1);
    const [cluster] = plan.clusters;
    assert.equal(cluster.name, "aks-chain138-japaneast");
    assert.equal(cluster.namespace, "besu-chain138");
    assert.equal(cluster.kubernetesVersion, "1.32");
    assert.deepEqual(
      cluster.nodePools.map((pool) => [pool.name, pool.mode, pool.count, pool.vcpusPerNode, pool.family]),
      [
        ["system", "System", 1, 2, "standardDSv5Family"],
        ["besu", "User", 2, 2, "standardDSv5Family"],
      ],
    );
    assert.deepEqual(
      cluster.nodes.map((node) => node.id),
      ["japaneast/validator-1", "japaneast/sentry-1"],
    );
    assert.deepEqual(plan.vmSizes, ["Standard_D2s_v5"]);
    assert.deepEqual(plan.vcpusByFamily, [{ family: "standardDSv5Family", vcpus: 6 }]);
    assert.equal(plan.totalVcpus, 6);
    assert.equal(plan.podCount, 2);
  });

  it("sums vCPUs per family across pools and clusters and numbers nodes across clusters", () => {
    const spec = validSpec({
      cluster: {
        nodePools: [
          { name: "system", mode: "System", vmSize: "Standard_D2as_v5", count: 1 },
          { name: "besu", vmSize: "standard_d4s_v5", count: 2 },
        ],
      },
      regions: [{ name: "uksouth", validators: 2, sentries: 1, clusters: 2 }],
    });
    const plan = planRegion(spec, "uksouth");
    assert.deepEqual(plan.vcpusByFamily, [
      { family: "standardDASv5Family", vcpus: 4 },
      { family: "standardDSv5Family", vcpus: 16 },
    ]);
    assert.equal(plan.totalVcpus, 20);
    assert.deepEqual(plan.vmSizes, ["Standard_D2as_v5", "Standard_D4s_v5"]);
    assert.deepEqual(
      plan.clusters.map((cluster) => cluster.name),
      ["aks-chain138-uksouth", "aks-chain138-uksouth-2"],
    );
    assert.deepEqual(
      plan.clusters.map((cluster) => cluster.nodes.map((node) => node.statefulSetName)),
      [
        ["besu-validator-1", "besu-validator-2", "besu-sentry-1"],
        ["besu-validator-3", "besu-validator-4", "besu-sentry-2"],
      ],
    );
    assert.equal(plan.podCount, 6);
  });

  it("is deterministic and covers every region of the spec in order", () => {
    const spec = validSpec();
    assert.deepEqual(planRollout(spec), planRollout(validSpec()));
    assert.deepEqual(
      planRollout(spec).map((plan) => plan.region),
      spec.regions.map((region) => region.name),
    );
  });

  it("refuses a region that is not in the spec", () => {
    const spec = validSpec({ regions: [{ name: "uksouth", validators: 4 }] });
    assert.throws(() => planRegion(spec, "ukwest"), /region ukwest is not in the spec of network chain138/);
  });
});
