/**
 * The security settings of a managed cluster, through the real ContainerServiceClient: AKS's 400s
 * for combinations it refuses, the fields kept in GET, no admin credential without local
 * accounts, and the API server's authorized IP ranges enforced on connections.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ManagedCluster } from "@azure/arm-containerservice";
import {
  clusterKubeConfig,
  clusterParameters,
  createResourceGroup,
  loadKubeClient,
  restError,
  startTestCloud,
  type TestCloud,
} from "./helpers.js";

const REGION = "swedencentral";

/** The client's failure when the server closes the connection before TLS: no HTTP answer at all. */
function droppedConnection(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  assert.equal(cause?.code, "ECONNRESET", `a reset connection, got ${String(error)} (${String(cause)})`);
  return true;
}
const GROUP = "rg-sec";

/** A cluster with every security field the control plane sets, open to `ranges`. */
function hardened(ranges: string[]): ManagedCluster {
  return {
    ...clusterParameters(REGION, 1),
    enableRbac: true,
    aadProfile: { managed: true, enableAzureRbac: true },
    disableLocalAccounts: true,
    networkProfile: {
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkDataplane: "cilium",
      networkPolicy: "cilium",
    },
    apiServerAccessProfile: { authorizedIPRanges: ranges },
    oidcIssuerProfile: { enabled: true },
    securityProfile: { workloadIdentity: { enabled: true } },
  };
}

describe("simulated AKS: cluster security settings", () => {
  let test: TestCloud;

  before(async () => {
    test = await startTestCloud();
    await createResourceGroup(test, GROUP, REGION);
  });

  after(async () => {
    await test.close();
  });

  async function create(name: string, body: ManagedCluster): Promise<ManagedCluster> {
    return test.client.managedClusters.createOrUpdate(GROUP, name, body, { updateIntervalInMs: 10 }).pollUntilDone();
  }

  /** Lists the namespaces with the cluster's user credential: resolves, or rejects with the client's error. */
  async function listNamespaces(name: string): Promise<number> {
    const k8s = await loadKubeClient();
    const core = (await clusterKubeConfig(test, GROUP, name)).makeApiClient(k8s.CoreV1Api);
    return (await core.listNamespace()).items.length;
  }

  it("keeps every security field, stores a plain address as /32 and publishes the OIDC issuer", async () => {
    await create("aks-hardened", hardened(["127.0.0.1", "10.0.0.0/8"]));
    const cluster = await test.client.managedClusters.get(GROUP, "aks-hardened");
    assert.equal(cluster.provisioningState, "Succeeded");
    assert.equal(cluster.enableRbac, true);
    assert.equal(cluster.aadProfile?.managed, true);
    assert.equal(cluster.aadProfile.enableAzureRbac, true);
    assert.equal(cluster.disableLocalAccounts, true);
    assert.equal(cluster.networkProfile?.networkPolicy, "cilium");
    assert.equal(cluster.networkProfile?.networkDataplane, "cilium");
    assert.equal(cluster.networkProfile?.networkPluginMode, "overlay");
    assert.deepEqual(cluster.apiServerAccessProfile?.authorizedIPRanges, ["127.0.0.1/32", "10.0.0.0/8"]);
    assert.equal(cluster.oidcIssuerProfile?.enabled, true);
    assert.match(cluster.oidcIssuerProfile?.issuerURL ?? "", /^https:\/\/swedencentral\.oic\.prod-aks\.azure\.com\//);
    assert.equal(cluster.securityProfile?.workloadIdentity?.enabled, true);
  });

  it("refuses the admin credential of a cluster without local accounts, as AKS does, and serves the user's", async () => {
    const error = await restError(test.client.managedClusters.listClusterAdminCredentials(GROUP, "aks-hardened"));
    assert.equal(error.statusCode, 400);
    assert.equal(error.code, "BadRequest");
    assert.match(
      error.message,
      /Getting static credential is not allowed because this cluster is set to disable local accounts/,
    );
    const user = await test.client.managedClusters.listClusterUserCredentials(GROUP, "aks-hardened");
    assert.ok(user.kubeconfigs?.[0]?.value);
  });

  const refused: { name: string; body: ManagedCluster; code: string; message: RegExp }[] = [
    {
      name: "local accounts disabled without managed Entra ID",
      body: { ...hardened(["127.0.0.1"]), aadProfile: undefined, disableLocalAccounts: true },
      code: "BadRequest",
      message: /disableLocalAccounts can only be set on Azure AD integration enabled cluster/,
    },
    {
      name: "Azure RBAC without managed Entra ID",
      body: { ...hardened(["127.0.0.1"]), disableLocalAccounts: false, aadProfile: { enableAzureRbac: true } },
      code: "BadRequest",
      message: /enableAzureRBAC\) requires AKS-managed Azure AD/,
    },
    {
      name: "managed Entra ID with Kubernetes RBAC off",
      body: { ...hardened(["127.0.0.1"]), enableRbac: false },
      code: "BadRequest",
      message: /Azure AD can only be enabled on Kubernetes RBAC-enabled cluster/,
    },
    {
      name: "Azure network policy on kubenet",
      body: { ...hardened(["127.0.0.1"]), networkProfile: { networkPlugin: "kubenet", networkPolicy: "azure" } },
      code: "NetworkPolicyAzureNotSupportedForKubenet",
      message: /NetworkPolicy azure is not supported for network plugin kubenet/,
    },
    {
      name: "Cilium policy without the Cilium dataplane",
      body: { ...hardened(["127.0.0.1"]), networkProfile: { networkPlugin: "azure", networkPolicy: "cilium" } },
      code: "NetworkPolicyNotSupported",
      message: /Network Policy cilium requires NetworkDataplane cilium/,
    },
    {
      name: "the Cilium dataplane with another policy",
      body: {
        ...hardened(["127.0.0.1"]),
        networkProfile: { networkPlugin: "azure", networkDataplane: "cilium", networkPolicy: "azure" },
      },
      code: "BadRequest",
      message: /Cilium dataplane requires network policy cilium/,
    },
    {
      name: "workload identity without the OIDC issuer",
      body: { ...hardened(["127.0.0.1"]), oidcIssuerProfile: { enabled: false } },
      code: "BadRequest",
      message: /workload identity requires enabling the OIDC issuer/,
    },
    {
      name: "a malformed authorized range",
      body: hardened(["127.0.0.1", "10.1.2.3/33"]),
      code: "InvalidParameter",
      message: /authorizedIPRanges is invalid: '10\.1\.2\.3\/33' is not an IPv4 address or CIDR/,
    },
    {
      name: "an authorized range not starting at its first address",
      body: hardened(["10.1.2.3/24"]),
      code: "InvalidParameter",
      message: /'10\.1\.2\.3\/24' does not start with the first IP address of its range/,
    },
    {
      name: "more than 200 authorized ranges",
      body: hardened(Array.from({ length: 201 }, (_, index) => `10.0.${index}.0/24`)),
      code: "InvalidParameter",
      message: /greater than the allowed value 200/,
    },
  ];

  for (const { name, body, code, message } of refused) {
    it(`answers 400 ${code} for ${name}, and creates nothing`, async () => {
      const error = await restError(test.client.managedClusters.beginCreateOrUpdate(GROUP, "aks-refused", body));
      assert.equal(error.statusCode, 400);
      assert.equal(error.code, code);
      assert.match(error.message, message);
      assert.equal((await restError(test.client.managedClusters.get(GROUP, "aks-refused"))).statusCode, 404);
    });
  }

  it("checks an update against the cluster it would make", async () => {
    const error = await restError(
      test.client.managedClusters.beginCreateOrUpdate(GROUP, "aks-hardened", {
        ...hardened(["127.0.0.1"]),
        aadProfile: { managed: false },
      }),
    );
    assert.equal(error.statusCode, 400);
    assert.match(error.message, /disableLocalAccounts can only be set on Azure AD integration enabled cluster/);
  });

  it("lets in connections from the authorized ranges only, and follows an update of them", async () => {
    assert.equal(await listNamespaces("aks-hardened"), 4, "127.0.0.1 is authorized");
    // The test's address (loopback) is no longer in the ranges: AKS drops the connection.
    await create("aks-hardened", hardened(["203.0.113.0/24"]));
    await assert.rejects(listNamespaces("aks-hardened"), droppedConnection);
    await create("aks-hardened", hardened(["127.0.0.0/8"]));
    assert.equal(await listNamespaces("aks-hardened"), 4);
  });

  it("drops connections to a cluster created without the caller's address from the start", async () => {
    await create("aks-elsewhere", hardened(["198.51.100.7"]));
    await assert.rejects(listNamespaces("aks-elsewhere"), droppedConnection);
  });

  it("lets anyone connect to a cluster without authorized ranges", async () => {
    await create("aks-open", clusterParameters(REGION, 1));
    assert.equal(await listNamespaces("aks-open"), 4);
  });
});
