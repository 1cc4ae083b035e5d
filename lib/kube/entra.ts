/**
 * Credentials for clusters with AKS-managed Entra ID and local accounts disabled (every cluster the
 * control plane creates, lib/domain/cluster-body.ts). Their `listClusterUserCredential` kubeconfig
 * authenticates through the kubelogin exec plugin, which a Function App does not have: the API
 * server's address and CA are taken from it, and the user is replaced by a bearer token for AKS's
 * Entra server application, issued to the app's own identity. Azure RBAC for Kubernetes then
 * decides what that identity may do (docs/deploy.md). When the token expires the API server
 * answers 401, and KubeCluster fetches credentials again, which gets a fresh token.
 */
import type { TokenCredential } from "@azure/core-auth";
import { ClassifiedError } from "../errors.js";
import type { KubeconfigSource } from "./clusters.js";
import { loadKubeModule, parseKubeconfig } from "./connection.js";

/** The scope of AKS's Entra ID server application, the audience every managed-Entra API server accepts. */
export const AKS_ENTRA_SCOPE = "6dae42f8-4368-4678-94ff-3960e28e3630/.default";

/** The kubeconfig (JSON, which is YAML) with its current cluster and a user holding only `token`. */
export async function withBearerToken(kubeconfig: string, token: string): Promise<string> {
  const source = await parseKubeconfig(kubeconfig);
  const cluster = source.getCurrentCluster();
  if (cluster === null) throw new Error("the kubeconfig names no current cluster");
  const { KubeConfig } = await loadKubeModule();
  const target = new KubeConfig();
  target.loadFromOptions({
    clusters: [cluster],
    users: [{ name: "entra", token }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: "entra" }],
    currentContext: cluster.name,
  });
  return target.exportConfig();
}

/** A kubeconfig source whose kubeconfigs carry an Entra token of `credential` instead of their own user. */
export function entraKubeconfigSource(source: KubeconfigSource, credential: TokenCredential): KubeconfigSource {
  return async (resourceGroup, clusterName) => {
    const kubeconfig = await source(resourceGroup, clusterName);
    let token: string;
    try {
      const issued = await credential.getToken(AKS_ENTRA_SCOPE);
      if (issued === null) throw new Error("no token was issued");
      token = issued.token;
    } catch (error) {
      // The identity platform may be briefly unavailable; a missing identity shows on every try.
      throw new ClassifiedError(`get an Entra token for cluster ${clusterName}`, {
        retryable: true,
        kind: "unauthorized",
        code: error instanceof Error ? error.name : "TokenUnavailable",
        message: error instanceof Error ? error.message : String(error),
      });
    }
    return withBearerToken(kubeconfig, token);
  };
}
