/**
 * Kubernetes clients per cluster, built from credentials fetched through ARM on first use and
 * kept in this process only (a kubeconfig never leaves the activity worker). Each client fetches
 * its cluster's credentials again when the API server refuses them.
 */
import { retryPolicy, type RetryPolicy } from "../retry.js";
import { KubeCluster } from "./cluster.js";

/** Where a cluster lives (same shape as the activity contracts' ClusterRef). */
export interface ClusterAddress {
  resourceGroup: string;
  clusterName: string;
}

/** Fetches a cluster's kubeconfig (ARM listClusterUserCredential). */
export type KubeconfigSource = (resourceGroup: string, clusterName: string) => Promise<string>;

export class KubeClusters {
  private readonly clusters = new Map<string, Promise<KubeCluster>>();
  private readonly requestPolicy: RetryPolicy;

  /** `requestPolicy`: retries and deadline of each Kubernetes request, over lib/retry.ts's defaults. */
  constructor(
    private readonly fetchKubeconfig: KubeconfigSource,
    requestPolicy: Partial<RetryPolicy> = {},
  ) {
    this.requestPolicy = retryPolicy(requestPolicy);
  }

  private static key(address: ClusterAddress): string {
    return `${address.resourceGroup}/${address.clusterName}`.toLowerCase();
  }

  /** The client of a cluster, creating it on first use. */
  get(address: ClusterAddress): Promise<KubeCluster> {
    const key = KubeClusters.key(address);
    let cluster = this.clusters.get(key);
    if (cluster === undefined) {
      cluster = KubeCluster.connect(
        () => this.fetchKubeconfig(address.resourceGroup, address.clusterName),
        `${address.resourceGroup}/${address.clusterName}`,
        this.requestPolicy,
      );
      // A failed fetch must not be cached: the next call tries again.
      cluster.catch(() => this.clusters.delete(key));
      this.clusters.set(key, cluster);
    }
    return cluster;
  }

  private drop(key: string): void {
    const cluster = this.clusters.get(key);
    this.clusters.delete(key);
    // Its keep-alive connections go to an API server that is gone.
    void cluster?.then(
      (client) => client.close(),
      () => undefined,
    );
  }

  /**
   * Runs `operation` with the cluster's client; when the API server is gone (refused
   * connections outlast the request's retries), drops the cached client so that the next
   * attempt fetches fresh credentials, with the address of a cluster that was created again.
   */
  async with<T>(address: ClusterAddress, operation: (cluster: KubeCluster) => Promise<T>): Promise<T> {
    try {
      return await operation(await this.get(address));
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === "ECONNREFUSED") this.drop(KubeClusters.key(address));
      throw error;
    }
  }
}
