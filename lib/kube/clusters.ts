/**
 * Kubernetes clients per cluster, built from credentials fetched through ARM on first use and
 * kept in this process only (a kubeconfig never leaves the activity worker).
 */
import { KubeCluster, KubeStatusError } from "./cluster";

/** Where a cluster lives (same shape as the activity contracts' ClusterRef). */
export interface ClusterAddress {
  resourceGroup: string;
  clusterName: string;
}

/** Fetches a cluster's kubeconfig (ARM listClusterUserCredential). */
export type KubeconfigSource = (resourceGroup: string, clusterName: string) => Promise<string>;

export class KubeClusters {
  private readonly clusters = new Map<string, Promise<KubeCluster>>();

  constructor(private readonly fetchKubeconfig: KubeconfigSource) {}

  private static key(address: ClusterAddress): string {
    return `${address.resourceGroup}/${address.clusterName}`.toLowerCase();
  }

  /** The client of a cluster, creating it on first use. */
  get(address: ClusterAddress): Promise<KubeCluster> {
    const key = KubeClusters.key(address);
    let cluster = this.clusters.get(key);
    if (cluster === undefined) {
      cluster = this.fetchKubeconfig(address.resourceGroup, address.clusterName).then((kubeconfig) => KubeCluster.fromKubeconfig(kubeconfig));
      // A failed fetch must not be cached: the next call tries again.
      cluster.catch(() => this.clusters.delete(key));
      this.clusters.set(key, cluster);
    }
    return cluster;
  }

  private drop(key: string): void {
    const cluster = this.clusters.get(key);
    this.clusters.delete(key);
    // Its keep-alive connections go to an API server that refused us or is gone.
    void cluster?.then((client) => client.close(), () => undefined);
  }

  /**
   * Runs `operation` with the cluster's client; when the API server refuses the credentials (a
   * recreated cluster has a new token) or is gone, drops the cached client so the next attempt
   * fetches fresh credentials.
   */
  async with<T>(address: ClusterAddress, operation: (cluster: KubeCluster) => Promise<T>): Promise<T> {
    try {
      return await operation(await this.get(address));
    } catch (error) {
      const refused = error instanceof KubeStatusError ? error.status === 401 : (error as { code?: unknown } | null)?.code === "ECONNREFUSED";
      if (refused) this.drop(KubeClusters.key(address));
      throw error;
    }
  }
}
