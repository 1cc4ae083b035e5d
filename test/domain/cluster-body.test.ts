/** The cluster body's security fields (issue 15 item 4): every cluster carries all of them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  isHardened,
  managedClusterBody,
  MAX_AUTHORIZED_IP_RANGES,
  needsSecurityUpdate,
  parseAuthorizedRanges,
} from "../../lib/domain/cluster-body.js";
import { planRegion } from "../../lib/domain/plan.js";
import { validSpec } from "./helpers.js";

const ACCESS = { authorizedIpRanges: ["20.1.2.3/32", "20.5.0.0/16"] };

function firstClusterBody() {
  const region = planRegion(validSpec(), "northeurope");
  const cluster = region.clusters[0];
  assert.ok(cluster);
  return { cluster, body: managedClusterBody(region.region, region.network, cluster, ACCESS) };
}

describe("managed cluster body", () => {
  it("carries a network policy engine, Entra ID with Azure RBAC, no local accounts, authorized ranges and workload identity", () => {
    const { body } = firstClusterBody();
    assert.equal(body.enableRbac, true, "Kubernetes RBAC: managed Entra ID needs it");
    assert.deepEqual(body.aadProfile, { managed: true, enableAzureRbac: true });
    assert.equal(body.disableLocalAccounts, true, "no static admin or user credentials");
    assert.deepEqual(body.networkProfile, {
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkDataplane: "cilium",
      networkPolicy: "cilium",
    });
    assert.deepEqual(body.apiServerAccessProfile, { authorizedIPRanges: ["20.1.2.3/32", "20.5.0.0/16"] });
    assert.deepEqual(body.oidcIssuerProfile, { enabled: true });
    assert.deepEqual(body.securityProfile, { workloadIdentity: { enabled: true } });
  });

  it("keeps the plan's location, version, pools and network tag", () => {
    const { cluster, body } = firstClusterBody();
    assert.equal(body.location, "northeurope");
    assert.equal(body.dnsPrefix, cluster.name);
    assert.equal(body.kubernetesVersion, cluster.kubernetesVersion);
    assert.deepEqual(body.tags, { "besu-fleet-network": "chain138" });
    assert.deepEqual(
      body.agentPoolProfiles.map((pool) => [pool.name, pool.count, pool.vmSize, pool.mode]),
      cluster.nodePools.map((pool) => [pool.name, pool.count, pool.vmSize, pool.mode]),
    );
  });

  it("does not share the ranges array with the caller", () => {
    const ranges = ["20.1.2.3/32"];
    const region = planRegion(validSpec(), "northeurope");
    const cluster = region.clusters[0];
    assert.ok(cluster);
    const body = managedClusterBody("northeurope", "chain138", cluster, { authorizedIpRanges: ranges });
    ranges.push("0.0.0.0/0");
    assert.deepEqual(body.apiServerAccessProfile.authorizedIPRanges, ["20.1.2.3/32"]);
  });
});

describe("existing cluster security", () => {
  it("is complete in the body the control plane sends", () => {
    const { body } = firstClusterBody();
    assert.equal(isHardened(body), true);
    assert.equal(isHardened({ ...body, disableLocalAccounts: false }), false);
    assert.equal(isHardened({ ...body, networkProfile: { networkPolicy: "none" } }), false);
  });

  it("asks for an update only of a hardened cluster whose ranges are not the current ones, in any order", () => {
    const { body } = firstClusterBody();
    assert.equal(needsSecurityUpdate(body, { authorizedIpRanges: ["20.5.0.0/16", "20.1.2.3/32"] }), false);
    assert.equal(needsSecurityUpdate(body, { authorizedIpRanges: ["20.1.2.3/32"] }), true);
    assert.equal(needsSecurityUpdate(body, { authorizedIpRanges: ["20.1.2.3/32", "20.6.0.0/16"] }), true);
  });

  it("leaves a cluster created before hardening alone: its dataplane move re-images every node at once", () => {
    assert.equal(needsSecurityUpdate({}, ACCESS), false);
    assert.equal(needsSecurityUpdate({ networkProfile: { networkPolicy: "azure" } }, ACCESS), false);
  });
});

describe("authorized ranges", () => {
  it("stores a plain address as /32 and drops duplicates", () => {
    assert.deepEqual(parseAuthorizedRanges("20.1.2.3, 10.0.0.0/8,20.1.2.3/32"), {
      ranges: ["20.1.2.3/32", "10.0.0.0/8"],
    });
  });

  it("lists every bad entry: not IPv4, not at the start of its range, an empty list, too many", () => {
    assert.deepEqual(parseAuthorizedRanges("20.1.2.3/24,fd00::/8,1.2.3.4/33"), {
      problems: [
        "'20.1.2.3/24' does not start at the first address of its range",
        "'fd00::/8' is not an IPv4 address or CIDR range",
        "'1.2.3.4/33' is not an IPv4 address or CIDR range",
      ],
    });
    assert.deepEqual(parseAuthorizedRanges(" , "), { problems: ["no range given"] });
    const many = Array.from(
      { length: MAX_AUTHORIZED_IP_RANGES + 1 },
      (_, index) => `20.0.${index >> 8}.${index & 255}`,
    );
    assert.deepEqual(parseAuthorizedRanges(many.join(",")), {
      problems: [`${MAX_AUTHORIZED_IP_RANGES + 1} ranges; AKS takes at most ${MAX_AUTHORIZED_IP_RANGES}`],
    });
  });
});
