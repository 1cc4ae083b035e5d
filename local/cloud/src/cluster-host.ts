/**
 * The seam between the simulated ARM and the simulated Kubernetes side: what ARM tells a cluster
 * host when it creates, scales or deletes a managed cluster. ARM depends on this interface, the
 * Kubernetes world implements it; neither imports the other.
 */

export interface ClusterInfo {
  key: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  region: string;
  kubernetesVersion: string;
}

export interface NodePoolShape {
  name: string;
  count: number;
  vmSize: string;
  mode: string;
}

/** What the Kubernetes side must do when ARM creates, scales or deletes a cluster. */
export interface ClusterApiHost {
  /** Starts the cluster's API server; returns its URL. */
  startCluster(identity: ClusterIdentity, pools: NodePoolShape[]): Promise<string>;
  /** The API server's authorized ranges changed (a cluster update): connections follow. */
  setAuthorizedIpRanges(key: string, ranges: readonly string[]): void;
  /** Node pools changed (scale): nodes follow. */
  setNodePools(key: string, pools: NodePoolShape[]): void;
  /** Takes the API server and everything in the cluster away. */
  removeCluster(key: string): Promise<void>;
}

/** What the Kubernetes side needs to host a cluster's API server: where it is, plus its credentials. */
export interface ClusterIdentity extends ClusterInfo {
  /** Bearer tokens the cluster's API server accepts (user and admin credentials). */
  tokens: { user: string; admin: string };
  /** Where the API server may be reached from (`a.b.c.d/n`); empty: from anywhere. */
  authorizedIpRanges: readonly string[];
}
