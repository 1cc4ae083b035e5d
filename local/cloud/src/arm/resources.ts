/**
 * The state of the simulated subscription, as the ARM routes (`routes.ts`) and the cloud's control
 * API see it: one front over resource groups, managed clusters, agent pools, quota and
 * long-running operations, which each live in their own module. It only wires them together and
 * forwards; no HTTP here.
 */
import type { SimClock } from "../clock.js";
import type { ClusterApiHost, ClusterIdentity } from "../cluster-host.js";
import type { FaultInjector } from "../faults.js";
import type { OperationLog } from "../oplog.js";
import { AgentPools } from "./agent-pools.js";
import { ManagedClusters } from "./managed-clusters.js";
import { LongRunningOperations, type AsyncOperation, type StartedPut } from "./operations.js";
import { usageList } from "./quota.js";
import { ResourceGroups } from "./resource-groups.js";

export type { AsyncOperation } from "./operations.js";

/** Options chosen when the cloud starts. */
export interface ArmStateOptions {
  subscriptionId: string;
  tenantId: string;
  clock: SimClock;
  faults: FaultInjector;
  operationLog: OperationLog;
  clusterApi: ClusterApiHost;
  log: (line: string) => void;
}

export class ArmState {
  private readonly operations: LongRunningOperations;
  private readonly groups: ResourceGroups;
  private readonly clusters: ManagedClusters;
  private readonly pools: AgentPools;

  constructor(private readonly options: ArmStateOptions) {
    this.operations = new LongRunningOperations(options.clock, options.operationLog);
    this.groups = new ResourceGroups(options.subscriptionId, options.clock, this.operations);
    this.clusters = new ManagedClusters({ ...options, groups: this.groups, operations: this.operations });
    this.pools = new AgentPools(this.clusters, this.operations);
  }

  get subscriptionId(): string {
    return this.options.subscriptionId;
  }

  // ---- resource groups -------------------------------------------------------------------

  putResourceGroup(name: string, body: unknown): { created: boolean; resource: Record<string, unknown> } {
    return this.groups.put(name, body);
  }

  getResourceGroup(name: string): Record<string, unknown> {
    return this.groups.get(name);
  }

  listResourceGroups(): Record<string, unknown>[] {
    return this.groups.list();
  }

  /** Starts deleting a group and its clusters; returns the operation. */
  deleteResourceGroup(name: string): AsyncOperation | undefined {
    return this.groups.delete(name, (group) => this.clusters.deleteAllInGroup(group));
  }

  regionOfGroup(name: string): string | undefined {
    return this.groups.regionOf(name);
  }

  // ---- managed clusters --------------------------------------------------------------------

  regionOfCluster(resourceGroup: string, name: string): string | undefined {
    return this.clusters.regionOf(resourceGroup, name);
  }

  getCluster(resourceGroup: string, name: string): Record<string, unknown> {
    return this.clusters.get(resourceGroup, name);
  }

  listClusters(resourceGroup?: string): Record<string, unknown>[] {
    return this.clusters.list(resourceGroup);
  }

  /** Every cluster, for the control API and plugins. */
  allClusters(): { identity: ClusterIdentity; apiServerUrl?: string; resource: Record<string, unknown> }[] {
    return this.clusters.all();
  }

  putCluster(resourceGroup: string, name: string, body: unknown): StartedPut {
    return this.clusters.put(resourceGroup, name, body);
  }

  deleteCluster(resourceGroup: string, name: string): AsyncOperation | undefined {
    return this.clusters.delete(resourceGroup, name);
  }

  /** Drift: the cluster disappears without an ARM request (someone deleted it elsewhere). */
  driftDeleteCluster(subscriptionId: string, resourceGroup: string, name: string): boolean {
    return this.clusters.driftDelete(subscriptionId, resourceGroup, name);
  }

  /** Drift: a pool's node count changes without an ARM request (autoscaler, someone in the portal). */
  driftScalePool(subscriptionId: string, resourceGroup: string, name: string, pool: string, count: number): boolean {
    return this.clusters.driftScalePool(subscriptionId, resourceGroup, name, pool, count);
  }

  credentials(
    resourceGroup: string,
    name: string,
    role: "user" | "admin",
    caPem: string,
  ): { kubeconfigs: { name: string; value: string }[] } {
    return this.clusters.credentials(resourceGroup, name, role, caPem);
  }

  // ---- agent pools ---------------------------------------------------------------------------

  listAgentPools(resourceGroup: string, name: string): Record<string, unknown>[] {
    return this.pools.list(resourceGroup, name);
  }

  getAgentPool(resourceGroup: string, name: string, pool: string): Record<string, unknown> {
    return this.pools.get(resourceGroup, name, pool);
  }

  putAgentPool(resourceGroup: string, name: string, pool: string, body: unknown): StartedPut {
    return this.pools.put(resourceGroup, name, pool, body);
  }

  deleteAgentPool(resourceGroup: string, name: string, pool: string): AsyncOperation | undefined {
    return this.pools.delete(resourceGroup, name, pool);
  }

  // ---- quota and operations ------------------------------------------------------------------

  /** `Microsoft.Compute/locations/{location}/usages` as ARM lists it. */
  usages(location: string): { value: Record<string, unknown>[] } {
    return usageList(location, this.clusters.deployments(), this.options.faults);
  }

  getOperation(id: string): AsyncOperation | undefined {
    return this.operations.get(id);
  }
}
