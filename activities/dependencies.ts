/**
 * Composition root of the activities: builds the adapters once per process from lib/config.ts,
 * on first use (so that loading this module, as the Functions host loads every file in
 * dist/activities, has no effect and needs no configuration).
 */
import { DefaultAzureCredential } from "@azure/identity";
import { BlobServiceClient } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/core-auth";
import { ArmAdapter } from "../lib/azure/arm.js";
import { loadConfig, type AppConfig, type ArmConfig, type StorageConfig } from "../lib/config.js";
import { KubeClusters } from "../lib/kube/clusters.js";
import { DocumentStore } from "../lib/state/documents.js";
import { createActivities, type Activities, type ActivityDependencies } from "./factory.js";

/**
 * The simulated cloud's ARM accepts any bearer token; a fixed one keeps the real client and its
 * authentication policy in the path without a token service.
 */
function simulatedCloudCredential(): TokenCredential {
  return { getToken: async () => ({ token: "besu-fleet-local", expiresOnTimestamp: Date.now() + 60 * 60 * 1000 }) };
}

let azureCredential: TokenCredential | undefined;

/** One DefaultAzureCredential per process (it caches tokens). */
function appIdentity(): TokenCredential {
  azureCredential ??= new DefaultAzureCredential();
  return azureCredential;
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

function documentStore(storage: StorageConfig): DocumentStore {
  return storage.kind === "connectionString"
    ? new DocumentStore(storage.connectionString, storage.container)
    : new DocumentStore(new BlobServiceClient(storage.blobServiceUri, appIdentity()), storage.container);
}

/** Real adapters for a configuration. */
export function buildDependencies(config: AppConfig): ActivityDependencies {
  const arm = armAdapter(config.arm);
  return {
    arm,
    clusters: new KubeClusters((resourceGroup, clusterName) => arm.userKubeconfig(resourceGroup, clusterName)),
    documents: documentStore(config.storage),
  };
}

let processActivities: Activities | undefined;

/** This process's activity handlers over the real adapters, built on first call. */
export function processActivityHandlers(): Activities {
  processActivities ??= createActivities(buildDependencies(loadConfig()));
  return processActivities;
}
