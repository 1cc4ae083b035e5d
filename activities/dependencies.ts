/**
 * The activities' adapters: built once per process from lib/config.ts, on first use (so that
 * loading the app, app.ts, has no effect and needs no configuration).
 */
import type { TokenCredential } from "@azure/core-auth";
import { ArmAdapter } from "../lib/azure/arm.js";
import { appIdentity } from "../lib/azure/identity.js";
import { loadConfig, type AppConfig, type ArmConfig } from "../lib/config.js";
import { KubeClusters } from "../lib/kube/clusters.js";
import { deployerSigner } from "../lib/evm/signers.js";
import { documentStoreFor } from "../lib/state/documents.js";
import { createActivities, type Activities, type ActivityDependencies } from "./factory.js";

/**
 * The simulated cloud's ARM accepts any bearer token; a fixed one keeps the real client and its
 * authentication policy in the path without a token service.
 */
function simulatedCloudCredential(): TokenCredential {
  return { getToken: async () => ({ token: "besu-fleet-local", expiresOnTimestamp: Date.now() + 60 * 60 * 1000 }) };
}

function armAdapter(arm: ArmConfig): ArmAdapter {
  return arm.mode === "local"
    ? new ArmAdapter({
        credential: simulatedCloudCredential(),
        subscriptionId: arm.subscriptionId,
        endpoint: arm.armEndpoint,
        caCertificate: arm.caCertificate,
      })
    : new ArmAdapter({ credential: appIdentity(), subscriptionId: arm.subscriptionId, endpoint: arm.armEndpoint });
}

/** Real adapters for a configuration. */
export function buildDependencies(config: AppConfig): ActivityDependencies {
  const arm = armAdapter(config.arm);
  return {
    arm,
    clusters: new KubeClusters((resourceGroup, clusterName) => arm.userKubeconfig(resourceGroup, clusterName)),
    documents: documentStoreFor(config.storage),
    signer: () => deployerSigner(process.env),
    settings: process.env,
  };
}

let processActivities: Activities | undefined;

/** This process's activity handlers over the real adapters, built on first call. */
export function processActivityHandlers(): Activities {
  processActivities ??= createActivities(buildDependencies(loadConfig()));
  return processActivities;
}
