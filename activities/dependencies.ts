/**
 * The activities' adapters: built once per process from lib/config.ts, on first use (so that
 * loading the app, app.ts, has no effect and needs no configuration).
 */
import { ArmAdapter } from "../lib/azure/arm.js";
import { appIdentity, simulatedCloudCredential } from "../lib/azure/identity.js";
import { appSettings, loadConfig, type AppConfig } from "../lib/config.js";
import { KubeClusters, type KubeconfigSource } from "../lib/kube/clusters.js";
import { entraKubeconfigSource } from "../lib/kube/entra.js";
import { signerFor } from "../lib/evm/signers.js";
import { documentStoreFor } from "../lib/state/documents.js";
import { createActivities, type Activities, type ActivityDependencies } from "./factory.js";

function armAdapter({ arm, apiServerAccess }: AppConfig): ArmAdapter {
  return arm.mode === "local"
    ? new ArmAdapter({
        credential: simulatedCloudCredential(),
        subscriptionId: arm.subscriptionId,
        endpoint: arm.armEndpoint,
        caCertificate: arm.caCertificate,
        apiServerAccess,
      })
    : new ArmAdapter({
        credential: appIdentity(),
        subscriptionId: arm.subscriptionId,
        endpoint: arm.armEndpoint,
        apiServerAccess,
      });
}

/** Real adapters for a configuration. */
export function buildDependencies(config: AppConfig): ActivityDependencies {
  const arm = armAdapter(config);
  const userKubeconfigs: KubeconfigSource = (resourceGroup, clusterName) =>
    arm.userKubeconfig(resourceGroup, clusterName);
  return {
    arm,
    clusters: new KubeClusters(
      config.arm.mode === "local"
        ? userKubeconfigs
        : // Azure: the clusters take Entra tokens only (lib/kube/entra.ts); the simulated ones take the kubeconfig's own.
          entraKubeconfigSource(userKubeconfigs, appIdentity()),
    ),
    documents: documentStoreFor(config.storage),
    signer: signerFor(config),
    settings: appSettings(),
    ...(config.driftWebhookUrl === undefined ? {} : { driftWebhookUrl: config.driftWebhookUrl }),
  };
}

let processActivities: Activities | undefined;

/** This process's activity handlers over the real adapters, built on first call. */
export function processActivityHandlers(): Activities {
  processActivities ??= createActivities(buildDependencies(loadConfig()));
  return processActivities;
}
