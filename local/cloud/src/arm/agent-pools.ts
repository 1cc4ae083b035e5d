/**
 * The agent pools of a managed cluster as their own ARM resources: list, read, create or scale,
 * and delete, each change a long-running operation on the cluster. The pools live in the
 * cluster's `agentPoolProfiles`, so a pool request and a cluster request see the same pools.
 */
import { jitteredDuration } from "../clock.js";
import { poolResource } from "./cluster-resource.js";
import { ArmError } from "./errors.js";
import type { ClusterRecord, ManagedClusters } from "./managed-clusters.js";
import {
  operationDurations,
  requireIdle,
  type AsyncOperation,
  type LongRunningOperations,
  type StartedPut,
} from "./operations.js";
import { agentPoolBodySchema, parseBody, requireSystemPool, validatePools, type PoolProfile } from "./validation.js";

export class AgentPools {
  constructor(
    private readonly clusters: ManagedClusters,
    private readonly operations: LongRunningOperations,
  ) {}

  list(resourceGroup: string, name: string): Record<string, unknown>[] {
    const record = this.clusters.require(resourceGroup, name);
    return record.resource.properties.agentPoolProfiles.map((profile) => poolResource(record.resource, profile));
  }

  get(resourceGroup: string, name: string, pool: string): Record<string, unknown> {
    const record = this.clusters.require(resourceGroup, name);
    return poolResource(record.resource, requirePool(record, pool));
  }

  put(resourceGroup: string, name: string, pool: string, body: unknown): StartedPut {
    const record = this.clusters.require(resourceGroup, name);
    requireIdle(record, record.identity.name);
    const request = parseBody(agentPoolBodySchema, body);
    const current = record.resource.properties.agentPoolProfiles;
    const existing = current.find((profile) => profile.name === pool);
    const [validated] = validatePools(
      [{ ...(request.properties ?? {}), name: pool }],
      record.identity.region,
      String(record.resource.properties.kubernetesVersion),
      current,
    );
    if (validated === undefined) throw new ArmError(400, "InvalidParameter", "The agent pool body is invalid.");
    const pools =
      existing === undefined
        ? [...current, validated]
        : current.map((profile) => (profile.name === pool ? validated : profile));
    requireSystemPool(pools);
    this.clusters.checkQuota(record.identity.region, record.identity.key, pools);
    validated.provisioningState = existing === undefined ? "Creating" : "Scaling";
    record.resource.properties.agentPoolProfiles = pools;
    const durations = existing === undefined ? operationDurations.poolCreate : operationDurations.poolScale;
    const operation = this.clusters.runOperation(
      record,
      existing === undefined ? "agentPools.create" : "agentPools.scale",
      durations,
      "Updating",
    );
    this.clusters.publishPools(record);
    return { created: existing === undefined, resource: poolResource(record.resource, validated), operation };
  }

  delete(resourceGroup: string, name: string, pool: string): AsyncOperation | undefined {
    const record = this.clusters.require(resourceGroup, name);
    const profile = record.resource.properties.agentPoolProfiles.find((candidate) => candidate.name === pool);
    if (profile === undefined) return undefined;
    requireIdle(record, record.identity.name);
    const remaining = record.resource.properties.agentPoolProfiles.filter((candidate) => candidate !== profile);
    if (!remaining.some((candidate) => candidate.mode === "System")) {
      throw new ArmError(400, "OperationNotAllowed", "The last system agent pool of a cluster cannot be deleted.");
    }
    profile.provisioningState = "Deleting";
    const { region, key } = record.identity;
    const operation = this.operations.start("agentPools.delete", region);
    const duration = jitteredDuration(region, ...operationDurations.poolDelete);
    this.operations.occupy(record, operation, duration, () => {
      record.resource.properties.agentPoolProfiles = remaining;
      this.clusters.publishPools(record);
      this.operations.finish(operation, duration, "Succeeded", key);
    });
    return operation;
  }
}

function requirePool(record: ClusterRecord, pool: string): PoolProfile {
  const profile = record.resource.properties.agentPoolProfiles.find((candidate) => candidate.name === pool);
  if (profile === undefined) {
    throw new ArmError(
      404,
      "NotFound",
      `Agent pool '${pool}' of managed cluster '${record.identity.name}' was not found.`,
    );
  }
  return profile;
}
