/**
 * The managed clusters (AKS) of the simulated subscription: create, update (version, pool counts),
 * delete and drift, each change a long-running operation that an injected fault can fail, and
 * credentials once the API server runs. What runs inside a cluster is the Kubernetes side's job,
 * reached only through `ClusterApiHost`.
 */
import { randomBytes } from "node:crypto";
import { jitteredDuration } from "../clock.js";
import type { ClusterApiHost, ClusterIdentity } from "../cluster-host.js";
import type { FaultInjector } from "../faults.js";
import { normalizeRegion, regions } from "./catalog.js";
import { credentialResult, newClusterResource, poolShapes, type ClusterResource } from "./cluster-resource.js";
import { authorizedRangesOf, checkClusterSecurity, localAccountsDisabled } from "./cluster-security.js";
import { ArmError } from "./errors.js";
import {
  operationDurations,
  requireIdle,
  type AsyncOperation,
  type LongRunningOperations,
  type OperationSlot,
  type StartedPut,
} from "./operations.js";
import { checkQuota, withSurgeNodes, type Deployment, type PoolSize } from "./quota.js";
import type { ResourceGroupRecord, ResourceGroups } from "./resource-groups.js";
import {
  clusterBodySchema,
  parseBody,
  requireClusterName,
  requireSystemPool,
  resolveVersion,
  validatePools,
  type ClusterBody,
} from "./validation.js";

export interface ClusterRecord extends OperationSlot {
  identity: ClusterIdentity;
  resource: ClusterResource;
  apiServerUrl?: string;
}

export interface ManagedClustersOptions {
  subscriptionId: string;
  tenantId: string;
  faults: FaultInjector;
  clusterApi: ClusterApiHost;
  groups: ResourceGroups;
  operations: LongRunningOperations;
  log: (line: string) => void;
}

function clusterKey(subscriptionId: string, resourceGroup: string, name: string): string {
  return `${subscriptionId}/${resourceGroup}/${name}`.toLowerCase();
}

export class ManagedClusters {
  private readonly clusters = new Map<string, ClusterRecord>();

  constructor(private readonly options: ManagedClustersOptions) {}

  regionOf(resourceGroup: string, name: string): string | undefined {
    return this.clusters.get(clusterKey(this.options.subscriptionId, resourceGroup, name))?.identity.region;
  }

  get(resourceGroup: string, name: string): Record<string, unknown> {
    return this.require(resourceGroup, name).resource;
  }

  list(resourceGroup?: string): Record<string, unknown>[] {
    if (resourceGroup !== undefined) this.options.groups.require(resourceGroup);
    return [...this.clusters.values()]
      .filter(
        (cluster) =>
          resourceGroup === undefined || cluster.identity.resourceGroup.toLowerCase() === resourceGroup.toLowerCase(),
      )
      .map((cluster) => cluster.resource);
  }

  /** Every cluster, for the control API and plugins. */
  all(): { identity: ClusterIdentity; apiServerUrl?: string; resource: Record<string, unknown> }[] {
    return [...this.clusters.values()].map(({ identity, apiServerUrl, resource }) => ({
      identity,
      apiServerUrl,
      resource,
    }));
  }

  /** Every cluster's pools, as quota counts them. */
  deployments(): Deployment[] {
    return [...this.clusters.values()].map(({ identity, resource }) => ({
      key: identity.key,
      region: identity.region,
      pools: resource.properties.agentPoolProfiles,
    }));
  }

  require(resourceGroup: string, name: string): ClusterRecord {
    this.options.groups.require(resourceGroup);
    const record = this.clusters.get(clusterKey(this.options.subscriptionId, resourceGroup, name));
    if (record === undefined) {
      throw new ArmError(
        404,
        "ResourceNotFound",
        `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${resourceGroup}' was not found.`,
      );
    }
    return record;
  }

  put(resourceGroup: string, name: string, body: unknown): StartedPut {
    const group = this.options.groups.requireWritable(resourceGroup);
    requireClusterName(name);
    const request = parseBody(clusterBodySchema, body);
    const region = normalizeRegion(request.location);
    if (region === undefined) {
      throw new ArmError(
        400,
        "LocationNotAvailableForResourceType",
        `The provided location '${request.location}' is not available for resource type 'Microsoft.ContainerService/managedClusters'. List of available regions for the resource type is '${Object.keys(regions).join(",")}'.`,
      );
    }
    const existing = this.clusters.get(clusterKey(this.options.subscriptionId, group.name, name));
    return existing === undefined ? this.create(group, name, region, request) : this.update(existing, region, request);
  }

  private create(group: ResourceGroupRecord, name: string, region: string, request: ClusterBody): StartedPut {
    const { subscriptionId, clusterApi } = this.options;
    const key = clusterKey(subscriptionId, group.name, name);
    const properties = checkClusterSecurity(request.properties ?? {});
    const kubernetesVersion = resolveVersion(properties.kubernetesVersion);
    const profiles = properties.agentPoolProfiles ?? [];
    if (profiles.length === 0) {
      throw new ArmError(
        400,
        "InvalidParameter",
        "The value of parameter agentPoolProfiles is invalid: at least one agent pool is required.",
      );
    }
    const pools = validatePools(profiles, region, kubernetesVersion);
    requireSystemPool(pools);
    this.checkQuota(region, key, pools);
    const identity: ClusterIdentity = {
      key,
      subscriptionId,
      resourceGroup: group.name,
      name,
      region,
      kubernetesVersion,
      tokens: { user: randomBytes(24).toString("hex"), admin: randomBytes(24).toString("hex") },
      authorizedIpRanges: authorizedRangesOf(properties),
    };
    const resource = newClusterResource({
      subscriptionId,
      tenantId: this.options.tenantId,
      resourceGroup: group.name,
      name,
      region,
      kubernetesVersion,
      pools,
      body: { ...request, properties },
    });
    const record: ClusterRecord = { identity, resource };
    this.clusters.set(key, record);
    const operation = this.runOperation(record, "managedClusters.create", operationDurations.clusterCreate, "Creating");
    // The API server answers as soon as the control plane is up, before the node pools finish.
    void clusterApi.startCluster(identity, poolShapes(resource)).then(
      (url) => {
        if (this.clusters.get(key) === record) record.apiServerUrl = url;
      },
      (error: unknown) => this.options.log(`cluster ${key}: API server did not start: ${String(error)}`),
    );
    return { created: true, resource, operation };
  }

  private update(record: ClusterRecord, region: string, request: ClusterBody): StartedPut {
    requireIdle(record, record.identity.name);
    if (region !== record.identity.region) {
      throw new ArmError(400, "PropertyChangeNotAllowed", `Changing property 'location' is not allowed.`);
    }
    const properties = request.properties ?? {};
    const current = record.resource.properties;
    // AKS checks the cluster as it would be after the update, not the request alone.
    const updated = checkClusterSecurity({ ...current, ...properties });
    const version =
      properties.kubernetesVersion === undefined
        ? String(current.kubernetesVersion)
        : resolveVersion(properties.kubernetesVersion);
    const profiles = properties.agentPoolProfiles;
    const pools =
      profiles === undefined
        ? current.agentPoolProfiles
        : validatePools(profiles, region, version, current.agentPoolProfiles);
    const poolsChanged =
      JSON.stringify(pools.map((pool) => [pool.name, pool.count])) !==
      JSON.stringify(current.agentPoolProfiles.map((pool) => [pool.name, pool.count]));
    const upgrading = version !== String(current.currentKubernetesVersion ?? current.kubernetesVersion);
    this.checkQuota(region, record.identity.key, upgrading ? withSurgeNodes(pools) : pools);
    record.resource = {
      ...record.resource,
      ...request,
      location: region,
      tags: request.tags ?? (record.resource.tags as Record<string, string> | undefined) ?? {},
      properties: {
        ...updated,
        kubernetesVersion: version,
        currentKubernetesVersion: version,
        provisioningState: "Updating",
        agentPoolProfiles: pools,
      },
    };
    const durations = poolsChanged ? operationDurations.poolScale : operationDurations.clusterUpdate;
    const operation = this.runOperation(record, "managedClusters.update", durations, "Updating");
    this.publishPools(record);
    record.identity.authorizedIpRanges = authorizedRangesOf(record.resource.properties);
    this.options.clusterApi.setAuthorizedIpRanges(record.identity.key, record.identity.authorizedIpRanges);
    return { created: false, resource: record.resource, operation };
  }

  delete(resourceGroup: string, name: string): AsyncOperation | undefined {
    this.options.groups.require(resourceGroup);
    const record = this.clusters.get(clusterKey(this.options.subscriptionId, resourceGroup, name));
    if (record === undefined) return undefined;
    return this.startDelete(record).operation;
  }

  /** Starts deleting every cluster of a group; returns the simulated ms each delete still takes. */
  deleteAllInGroup(group: ResourceGroupRecord): number[] {
    return [...this.clusters.values()]
      .filter((cluster) => cluster.identity.resourceGroup.toLowerCase() === group.name.toLowerCase())
      .map((cluster) => this.startDelete(cluster).duration);
  }

  /** Starts (or joins) a cluster's deletion; returns the operation and its remaining simulated duration. */
  private startDelete(record: ClusterRecord): { operation: AsyncOperation; duration: number } {
    const { operations } = this.options;
    const { key, region } = record.identity;
    const running = record.running;
    if (running?.operation.name === "managedClusters.delete")
      return { operation: running.operation, duration: operations.remainingMs(running) };
    // Deleting cancels whatever the cluster was doing, as AKS does.
    operations.cancel(record, key);
    record.resource.properties.provisioningState = "Deleting";
    const operation = operations.start("managedClusters.delete", region);
    const duration = jitteredDuration(region, ...operationDurations.clusterDelete);
    operations.occupy(record, operation, duration, () => {
      // NOTE: a finished delete is logged Canceled (0 ms), then Succeeded. Before ARM's state was
      // split, removing the cluster cancelled the delete itself; the first entry keeps the
      // operation log as it was. Drop that line to log each delete once.
      operations.finish(operation, 0, "Canceled", key);
      this.removeNow(record);
      operations.finish(operation, duration, "Succeeded", key);
    });
    return { operation, duration };
  }

  /** Removes a cluster at once (its delete finished, or a drift action deleted it behind ARM's back). */
  private removeNow(record: ClusterRecord): void {
    const key = record.identity.key;
    this.options.operations.cancel(record, key);
    this.clusters.delete(key);
    this.options.clusterApi
      .removeCluster(key)
      .catch((error: unknown) => this.options.log(`cluster ${key}: API server did not stop cleanly: ${String(error)}`));
  }

  /** Drift: the cluster disappears without an ARM request (someone deleted it elsewhere). */
  driftDelete(subscriptionId: string, resourceGroup: string, name: string): boolean {
    const record = this.clusters.get(clusterKey(subscriptionId, resourceGroup, name));
    if (record === undefined) return false;
    this.removeNow(record);
    return true;
  }

  /** Drift: a pool's node count changes without an ARM request (autoscaler, someone in the portal). */
  driftScalePool(subscriptionId: string, resourceGroup: string, name: string, pool: string, count: number): boolean {
    const record = this.clusters.get(clusterKey(subscriptionId, resourceGroup, name));
    const profile = record?.resource.properties.agentPoolProfiles.find((candidate) => candidate.name === pool);
    if (record === undefined || profile === undefined) return false;
    profile.count = count;
    this.publishPools(record);
    return true;
  }

  credentials(
    resourceGroup: string,
    name: string,
    role: "user" | "admin",
    caPem: string,
  ): { kubeconfigs: { name: string; value: string }[] } {
    const record = this.require(resourceGroup, name);
    if (role === "admin" && localAccountsDisabled(record.resource.properties)) {
      throw new ArmError(
        400,
        "BadRequest",
        "Getting static credential is not allowed because this cluster is set to disable local accounts.",
      );
    }
    const serverUrl = record.apiServerUrl;
    if (serverUrl === undefined) {
      throw new ArmError(
        409,
        "OperationNotAllowed",
        `The API server of managed cluster '${name}' is not available yet; retry when the cluster has been provisioned.`,
      );
    }
    return credentialResult({
      cluster: name,
      resourceGroup: record.identity.resourceGroup,
      role,
      serverUrl,
      caPem,
      token: record.identity.tokens[role],
    });
  }

  /** Runs a create/update on a cluster: Succeeded after a modelled duration, or Failed if a fault says so. */
  runOperation(
    record: ClusterRecord,
    name: string,
    durations: readonly [number, number],
    state: string,
  ): AsyncOperation {
    const { operations, faults } = this.options;
    const region = record.identity.region;
    const operation = operations.start(name, region);
    const duration = jitteredDuration(region, durations[0], durations[1]);
    const failure = faults.provisioningFailure(region);
    record.resource.properties.provisioningState = state;
    // A failing provisioning fails part-way, as AKS does when a step breaks.
    const elapsed = failure === undefined ? duration : Math.round(duration / 2);
    operations.occupy(record, operation, elapsed, () => {
      const finalState = failure === undefined ? "Succeeded" : "Failed";
      record.resource.properties.provisioningState = finalState;
      for (const pool of record.resource.properties.agentPoolProfiles) pool.provisioningState = finalState;
      const error =
        failure === undefined
          ? undefined
          : {
              code: failure.code,
              message:
                failure.message ?? `Provisioning of managed cluster '${record.identity.name}' in ${region} failed.`,
            };
      operations.finish(operation, elapsed, finalState, record.identity.key, error);
    });
    return operation;
  }

  /** Fails as AKS does when cluster `key` with these pools would exceed the region's quota. */
  checkQuota(region: string, key: string, pools: readonly PoolSize[]): void {
    checkQuota(region, key, pools, this.deployments(), this.options.faults);
  }

  /** Tells the Kubernetes side the cluster's pools changed: its nodes follow. */
  publishPools(record: ClusterRecord): void {
    this.options.clusterApi.setNodePools(record.identity.key, poolShapes(record.resource));
  }
}
