/** Credentials for managed-Entra clusters: the kubelogin user of AKS's kubeconfig becomes the app's Entra token. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClassifiedError } from "../../lib/errors.js";
import { parseKubeconfig } from "../../lib/kube/connection.js";
import { AKS_ENTRA_SCOPE, entraKubeconfigSource } from "../../lib/kube/entra.js";

/** The shape of a managed-Entra cluster's user kubeconfig: an exec user running kubelogin. */
const KUBELOGIN_KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "clusters:",
  "- cluster:",
  "    certificate-authority-data: Q0EtREFUQQ==",
  "    server: https://aks-1.hcp.northeurope.azmk8s.io:443",
  "  name: aks-1",
  "contexts:",
  "- context:",
  "    cluster: aks-1",
  "    user: clusterUser_rg_aks-1",
  "  name: aks-1",
  "current-context: aks-1",
  "users:",
  "- name: clusterUser_rg_aks-1",
  "  user:",
  "    exec:",
  "      apiVersion: client.authentication.k8s.io/v1beta1",
  "      command: kubelogin",
  "      args: [get-token, --login, devicecode, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]",
  "",
].join("\n");

describe("Entra kubeconfig source", () => {
  it("keeps the API server and its CA and authenticates with a token for AKS's Entra server app", async () => {
    const scopes: (string | string[])[] = [];
    const source = entraKubeconfigSource(async () => KUBELOGIN_KUBECONFIG, {
      getToken: async (scope) => {
        scopes.push(scope);
        return { token: "entra-token", expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    });
    const config = await parseKubeconfig(await source("rg", "aks-1"));
    assert.deepEqual(scopes, [AKS_ENTRA_SCOPE]);
    assert.equal(config.getCurrentCluster()?.server, "https://aks-1.hcp.northeurope.azmk8s.io:443");
    assert.equal(config.getCurrentCluster()?.caData, "Q0EtREFUQQ==");
    const user = config.getCurrentUser();
    assert.equal(user?.token, "entra-token");
    assert.equal(user?.exec, undefined, "no kubelogin: the Function App has none");
  });

  it("says which cluster had no token, as a retryable failure", async () => {
    const source = entraKubeconfigSource(async () => KUBELOGIN_KUBECONFIG, {
      getToken: async () => {
        throw new Error("ManagedIdentityCredential: no managed identity endpoint");
      },
    });
    await assert.rejects(source("rg", "aks-1"), (error: unknown) => {
      assert.ok(error instanceof ClassifiedError);
      assert.equal(error.step, "get an Entra token for cluster aks-1");
      assert.equal(error.classification.retryable, true);
      assert.match(error.classification.message, /no managed identity endpoint/);
      return true;
    });
  });
});
