/**
 * The state of the simulated subscription: resource groups, managed clusters and their agent
 * pools, asynchronous operations and quota. No HTTP here: `server.ts` maps requests onto it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import type { SimClock } from "../clock.js";
import { jitteredDuration } from "../clock.js";
import type { FaultInjector } from "../faults.js";
import type { OperationLog } from "../oplog.js";
import {
  defaultFamilyCoreLimit,
  defaultKubernetesVersion,
  defaultRegionalCoreLimit,
  findVmSize,
  kubernetesVersions,
  normalizeRegion,
  regions,
  vmFamilies,
} from "./catalog.js";
import { ArmError } from "./errors.js";
import { isRecord } from "../http.js";
import type { ClusterApiHost, ClusterIdentity, NodePoolShape } from "../cluster-host.js";

const minute = 60_000;

/** Simulated durations of AKS operations, in ms (min, max), from the typical times Azure shows. */
export const operationDurations = {
  clusterCreate: [5 * minute, 10 * minute],
  clusterUpdate: [1 * minute, 2 * minute],
  clusterDelete: [4 * minute, 6 * minute],
  poolScale: [2 * minute, 4 * minute],
  poolCreate: [3 * minute, 5 * minute],
  poolDelete: [2 * minute, 4 * minute],
  resourceGroupDelete: [0.5 * minute, 1 * minute],
} as const satisfies Record<string, readonly [number, number]>;

interface ResourceGroupRecord {
  name: string;
  location: string;
  tags: Record<string, string>;
  deleting: boolean;
}

interface ClusterRecord {
  identity: ClusterIdentity;
  /** The resource as GET returns it (properties.agentPoolProfiles is the pools' source of truth). */
  resource: Record<string, unknown> & { properties: Record<string, unknown> & { agentPoolProfiles: PoolProfile[] } };
  apiServerUrl?: string;
  /** Cancels the running operation's completion timer. */
  cancelRunning?: () => void;
  /** `endsAt`: wall-clock time a delete completes (a resource group delete waits for it). */
  runningOperation?: { id: string; kind: string; endsAt?: number };
}

type PoolProfile = Record<string, unknown> & { name: string; count: number; vmSize: string; mode: string };

export type OperationStatus = "InProgress" | "Succeeded" | "Failed" | "Canceled";

export interface AsyncOperation {
  id: string;
  name: string;
  region: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
}

const tagsSchema = z.record(z.string(), z.string()).optional();

const poolPropertiesSchema = z.looseObject({
  count: z.number().int().min(0).max(1000).optional(),
  vmSize: z.string().min(1).optional(),
  mode: z.enum(["System", "User", "Gateway"]).optional(),
  osType: z.string().optional(),
  orchestratorVersion: z.string().optional(),
});

const clusterBodySchema = z.looseObject({
  location: z.string().min(1),
  tags: tagsSchema,
  properties: z
    .looseObject({
      kubernetesVersion: z.string().optional(),
      dnsPrefix: z.string().optional(),
      agentPoolProfiles: z.array(poolPropertiesSchema.extend({ name: z.string() })).optional(),
    })
    .optional(),
});

const agentPoolBodySchema = z.looseObject({ properties: poolPropertiesSchema.optional() });

const resourceGroupBodySchema = z.looseObject({ location: z.string().min(1), tags: tagsSchema });

const poolNamePattern = /^[a-z][a-z0-9]{0,11}$/;
const clusterNamePattern = /^[a-zA-Z0-9](?:[a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?$/;

/** Surge nodes of an upgrade: `upgradeSettings.maxSurge` (count or percentage), AKS's default 10 %, at least one. */
function surgeNodes(pool: PoolProfile): number {
  const settings = pool.upgradeSettings;
  const maxSurge = typeof settings === "object" && settings !== null && "maxSurge" in settings ? String(settings.maxSurge) : "10%";
  const percent = /^(\d+)%$/.exec(maxSurge);
  const surge = percent === null ? Number(maxSurge) : Math.ceil((pool.count * Number(percent[1])) / 100);
  return Number.isFinite(surge) ? Math.max(1, surge) : 1;
}

function clusterKey(subscriptionId: string, resourceGroup: string, name: string): string {
  return `${subscriptionId}/${resourceGroup}/${name}`.toLowerCase();
}

function invalidBody(issues: z.core.$ZodIssue[]): ArmError {
  const first = issues[0];
  const where = first === undefined ? "body" : first.path.join(".") || "body";
  return new ArmError(400, "InvalidRequestContent", `The request content was invalid: '${where}': ${first?.message ?? "invalid"}.`);
}

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
  private readonly groups = new Map<string, ResourceGroupRecord>();
  private readonly clusters = new Map<string, ClusterRecord>();
  private readonly operations = new Map<string, AsyncOperation>();

  constructor(private readonly options: ArmStateOptions) {}

  get subscriptionId(): string {
    return this.options.subscriptionId;
  }

  // ---- resource groups -------------------------------------------------------------------

  putResourceGroup(name: string, body: unknown): { created: boolean; resource: Record<string, unknown> } {
    const parsed = resourceGroupBodySchema.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    const location = normalizeRegion(parsed.data.location);
    if (location === undefined) {
      throw new ArmError(
        400,
        "LocationNotAvailableForResourceGroup",
        `The provided location '${parsed.data.location}' is not available for resource group. List of available regions is '${Object.keys(regions).join(",")}'.`,
      );
    }
    const existing = this.groups.get(name.toLowerCase());
    if (existing?.deleting) {
      throw new ArmError(409, "ResourceGroupBeingDeleted", `The resource group '${existing.name}' is in deprovisioning state and cannot perform this operation.`);
    }
    if (existing !== undefined && existing.location !== location) {
      throw new ArmError(409, "InvalidResourceGroupLocation", `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`);
    }
    const record: ResourceGroupRecord = { name: existing?.name ?? name, location, tags: parsed.data.tags ?? {}, deleting: false };
    this.groups.set(name.toLowerCase(), record);
    return { created: existing === undefined, resource: this.groupResource(record) };
  }

  getResourceGroup(name: string): Record<string, unknown> {
    return this.groupResource(this.requireGroup(name));
  }

  listResourceGroups(): Record<string, unknown>[] {
    return [...this.groups.values()].map((group) => this.groupResource(group));
  }

  /** Starts deleting a group and its clusters; returns the operation. */
  deleteResourceGroup(name: string): AsyncOperation | undefined {
    const group = this.groups.get(name.toLowerCase());
    if (group === undefined) return undefined;
    const operation = this.newOperation("resourceGroups.delete", group.location);
    if (group.deleting) return operation;
    group.deleting = true;
    const members = [...this.clusters.values()].filter((cluster) => cluster.identity.resourceGroup.toLowerCase() === group.name.toLowerCase());
    // The group goes last, after the slowest of its clusters.
    const clusterDurations = members.map((cluster) => this.startClusterDelete(cluster).duration);
    const duration = Math.max(jitteredDuration(group.location, ...operationDurations.resourceGroupDelete), ...clusterDurations) + 1;
    this.options.clock.after(duration, () => {
      this.groups.delete(group.name.toLowerCase());
      this.finishOperation(operation, duration, "Succeeded");
    });
    return operation;
  }

  regionOfGroup(name: string): string | undefined {
    return this.groups.get(name.toLowerCase())?.location;
  }

  private requireGroup(name: string): ResourceGroupRecord {
    const group = this.groups.get(name.toLowerCase());
    if (group === undefined) throw new ArmError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
    return group;
  }

  private groupResource(group: ResourceGroupRecord): Record<string, unknown> {
    return {
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${group.name}`,
      name: group.name,
      type: "Microsoft.Resources/resourceGroups",
      location: group.location,
      tags: group.tags,
      properties: { provisioningState: group.deleting ? "Deleting" : "Succeeded" },
    };
  }

  // ---- managed clusters --------------------------------------------------------------------

  regionOfCluster(resourceGroup: string, name: string): string | undefined {
    return this.clusters.get(clusterKey(this.subscriptionId, resourceGroup, name))?.identity.region;
  }

  getCluster(resourceGroup: string, name: string): Record<string, unknown> {
    return this.requireCluster(resourceGroup, name).resource;
  }

  listClusters(resourceGroup?: string): Record<string, unknown>[] {
    if (resourceGroup !== undefined) this.requireGroup(resourceGroup);
    return [...this.clusters.values()]
      .filter((cluster) => resourceGroup === undefined || cluster.identity.resourceGroup.toLowerCase() === resourceGroup.toLowerCase())
      .map((cluster) => cluster.resource);
  }

  /** Every cluster, for the control API and plugins. */
  allClusters(): { identity: ClusterIdentity; apiServerUrl?: string; resource: Record<string, unknown> }[] {
    return [...this.clusters.values()].map(({ identity, apiServerUrl, resource }) => ({ identity, apiServerUrl, resource }));
  }

  putCluster(resourceGroup: string, name: string, body: unknown): { created: boolean; resource: Record<string, unknown>; operation: AsyncOperation } {
    const group = this.requireGroup(resourceGroup);
    if (group.deleting) throw new ArmError(409, "ResourceGroupBeingDeleted", `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`);
    if (!clusterNamePattern.test(name)) {
      throw new ArmError(400, "InvalidParameter", `The value of parameter resourceName is invalid: '${name}'. It must be 1 to 63 letters, digits, '-' or '_', starting and ending with a letter or digit.`);
    }
    const parsed = clusterBodySchema.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    const region = normalizeRegion(parsed.data.location);
    if (region === undefined) {
      throw new ArmError(
        400,
        "LocationNotAvailableForResourceType",
        `The provided location '${parsed.data.location}' is not available for resource type 'Microsoft.ContainerService/managedClusters'. List of available regions for the resource type is '${Object.keys(regions).join(",")}'.`,
      );
    }
    const key = clusterKey(this.subscriptionId, group.name, name);
    const existing = this.clusters.get(key);
    if (existing !== undefined) return this.updateCluster(existing, region, parsed.data);

    const properties = parsed.data.properties ?? {};
    const version = this.resolveVersion(properties.kubernetesVersion);
    const profiles = properties.agentPoolProfiles ?? [];
    if (profiles.length === 0) {
      throw new ArmError(400, "InvalidParameter", "The value of parameter agentPoolProfiles is invalid: at least one agent pool is required.");
    }
    const pools = this.validatePools(profiles, region, version);
    if (!pools.some((pool) => pool.mode === "System")) {
      throw new ArmError(400, "MustDefineAtLeastOneSystemPool", "Must define at least one system pool.");
    }
    this.checkQuota(region, key, pools);
    const identity: ClusterIdentity = {
      key,
      subscriptionId: this.subscriptionId,
      resourceGroup: group.name,
      name,
      region,
      kubernetesVersion: version,
      tokens: { user: randomBytes(24).toString("hex"), admin: randomBytes(24).toString("hex") },
    };
    const dnsPrefix = properties.dnsPrefix ?? `${name}-${group.name}-${this.subscriptionId.slice(0, 6)}`.slice(0, 54);
    const identityType = isRecord(parsed.data.identity) ? parsed.data.identity.type : undefined;
    const resource = {
      ...parsed.data,
      // A system-assigned identity gets its principal when the cluster is created, as in Azure.
      ...(identityType === "SystemAssigned" ? { identity: { type: "SystemAssigned", principalId: randomUUID(), tenantId: this.options.tenantId } } : {}),
      id: `/subscriptions/${this.subscriptionId}/resourcegroups/${group.name}/providers/Microsoft.ContainerService/managedClusters/${name}`,
      name,
      type: "Microsoft.ContainerService/ManagedClusters",
      location: region,
      tags: parsed.data.tags ?? {},
      properties: {
        ...properties,
        provisioningState: "Creating",
        powerState: { code: "Running" },
        kubernetesVersion: version,
        currentKubernetesVersion: version,
        dnsPrefix,
        fqdn: `${dnsPrefix}-${randomBytes(4).toString("hex")}.hcp.${region}.azmk8s.io`,
        nodeResourceGroup: `MC_${group.name}_${name}_${region}`,
        networkProfile: {
          networkPlugin: "azure",
          networkPluginMode: "overlay",
          podCidr: "10.244.0.0/16",
          serviceCidr: "10.0.0.0/16",
          dnsServiceIP: "10.0.0.10",
          loadBalancerSku: "standard",
          outboundType: "loadBalancer",
          ...(isRecord(properties.networkProfile) ? properties.networkProfile : {}),
        },
        maxAgentPools: 100,
        agentPoolProfiles: pools,
      },
    };
    const record: ClusterRecord = { identity, resource };
    this.clusters.set(key, record);
    const operation = this.runClusterOperation(record, "managedClusters.create", operationDurations.clusterCreate, "Creating");
    // The API server answers as soon as the control plane is up, before the node pools finish.
    void this.options.clusterApi.startCluster(identity, this.poolShapes(record)).then(
      (url) => {
        if (this.clusters.get(key) === record) record.apiServerUrl = url;
      },
      (error: unknown) => this.options.log(`cluster ${key}: API server did not start: ${String(error)}`),
    );
    return { created: true, resource, operation };
  }

  private updateCluster(
    record: ClusterRecord,
    region: string,
    body: z.infer<typeof clusterBodySchema>,
  ): { created: boolean; resource: Record<string, unknown>; operation: AsyncOperation } {
    this.requireIdle(record);
    if (region !== record.identity.region) {
      throw new ArmError(400, "PropertyChangeNotAllowed", `Changing property 'location' is not allowed.`);
    }
    const properties = body.properties ?? {};
    const current = record.resource.properties;
    const version = properties.kubernetesVersion === undefined ? String(current.kubernetesVersion) : this.resolveVersion(properties.kubernetesVersion);
    const profiles = properties.agentPoolProfiles;
    const pools = profiles === undefined ? current.agentPoolProfiles : this.validatePools(profiles, region, version, current.agentPoolProfiles);
    const poolsChanged = JSON.stringify(pools.map((pool) => [pool.name, pool.count])) !== JSON.stringify(current.agentPoolProfiles.map((pool) => [pool.name, pool.count]));
    // An upgrade replaces nodes through surge nodes, which need quota while they exist.
    const upgrading = version !== String(current.currentKubernetesVersion ?? current.kubernetesVersion);
    this.checkQuota(region, record.identity.key, upgrading ? pools.map((pool) => ({ ...pool, count: pool.count + surgeNodes(pool) })) : pools);
    record.resource = {
      ...record.resource,
      ...body,
      location: region,
      tags: body.tags ?? (record.resource.tags as Record<string, string> | undefined) ?? {},
      properties: {
        ...current,
        ...properties,
        kubernetesVersion: version,
        currentKubernetesVersion: version,
        provisioningState: "Updating",
        agentPoolProfiles: pools,
      },
    };
    const durations = poolsChanged ? operationDurations.poolScale : operationDurations.clusterUpdate;
    const operation = this.runClusterOperation(record, "managedClusters.update", durations, "Updating");
    this.options.clusterApi.setNodePools(record.identity.key, this.poolShapes(record));
    return { created: false, resource: record.resource, operation };
  }

  deleteCluster(resourceGroup: string, name: string): AsyncOperation | undefined {
    this.requireGroup(resourceGroup);
    const record = this.clusters.get(clusterKey(this.subscriptionId, resourceGroup, name));
    if (record === undefined) return undefined;
    return this.startClusterDelete(record).operation;
  }

  /** Starts (or joins) a cluster's deletion; returns the operation and its remaining simulated duration. */
  private startClusterDelete(record: ClusterRecord): { operation: AsyncOperation; duration: number } {
    const running = record.runningOperation;
    if (running?.kind === "managedClusters.delete" && running.endsAt !== undefined) {
      const operation = this.operations.get(running.id);
      if (operation !== undefined) return { operation, duration: Math.max(0, (running.endsAt - Date.now()) * this.options.clock.timeScale) };
    }
    // Deleting cancels whatever the cluster was doing, as AKS does.
    this.cancelRunning(record);
    record.resource.properties.provisioningState = "Deleting";
    const operation = this.newOperation("managedClusters.delete", record.identity.region);
    const duration = jitteredDuration(record.identity.region, ...operationDurations.clusterDelete);
    record.runningOperation = { id: operation.id, kind: "managedClusters.delete", endsAt: Date.now() + this.options.clock.toWallMs(duration) };
    record.cancelRunning = this.options.clock.after(duration, () => {
      this.removeClusterNow(record);
      this.finishOperation(operation, duration, "Succeeded", record.identity.key);
    });
    return { operation, duration };
  }

  /** Removes a cluster at once (its delete finished, or a drift action deleted it behind ARM's back). */
  removeClusterNow(record: ClusterRecord): void {
    this.cancelRunning(record);
    this.clusters.delete(record.identity.key);
    this.options.clusterApi.removeCluster(record.identity.key).catch((error: unknown) => this.options.log(`cluster ${record.identity.key}: API server did not stop cleanly: ${String(error)}`));
  }

  /** Drift: the cluster disappears without an ARM request (someone deleted it elsewhere). */
  driftDeleteCluster(subscriptionId: string, resourceGroup: string, name: string): boolean {
    const record = this.clusters.get(clusterKey(subscriptionId, resourceGroup, name));
    if (record === undefined) return false;
    this.removeClusterNow(record);
    return true;
  }

  /** Drift: a pool's node count changes without an ARM request (autoscaler, someone in the portal). */
  driftScalePool(subscriptionId: string, resourceGroup: string, name: string, pool: string, count: number): boolean {
    const record = this.clusters.get(clusterKey(subscriptionId, resourceGroup, name));
    const profile = record?.resource.properties.agentPoolProfiles.find((candidate) => candidate.name === pool);
    if (record === undefined || profile === undefined) return false;
    profile.count = count;
    this.options.clusterApi.setNodePools(record.identity.key, this.poolShapes(record));
    return true;
  }

  credentials(resourceGroup: string, name: string, role: "user" | "admin", caPem: string): { kubeconfigs: { name: string; value: string }[] } {
    const record = this.requireCluster(resourceGroup, name);
    const url = record.apiServerUrl;
    if (url === undefined) {
      throw new ArmError(409, "OperationNotAllowed", `The API server of managed cluster '${name}' is not available yet; retry when the cluster has been provisioned.`);
    }
    const userName = `cluster${role === "admin" ? "Admin" : "User"}_${record.identity.resourceGroup}_${name}`;
    const kubeconfig = [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- cluster:",
      `    certificate-authority-data: ${Buffer.from(caPem).toString("base64")}`,
      `    server: ${url}`,
      `  name: ${name}`,
      "contexts:",
      "- context:",
      `    cluster: ${name}`,
      `    user: ${userName}`,
      `  name: ${name}${role === "admin" ? "-admin" : ""}`,
      `current-context: ${name}${role === "admin" ? "-admin" : ""}`,
      "preferences: {}",
      "users:",
      `- name: ${userName}`,
      "  user:",
      `    token: ${record.identity.tokens[role]}`,
      "",
    ].join("\n");
    return { kubeconfigs: [{ name: role === "admin" ? "clusterAdmin" : "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
  }

  // ---- agent pools ---------------------------------------------------------------------------

  listAgentPools(resourceGroup: string, name: string): Record<string, unknown>[] {
    const record = this.requireCluster(resourceGroup, name);
    return record.resource.properties.agentPoolProfiles.map((profile) => this.poolResource(record, profile));
  }

  getAgentPool(resourceGroup: string, name: string, pool: string): Record<string, unknown> {
    const record = this.requireCluster(resourceGroup, name);
    return this.poolResource(record, this.requirePool(record, pool));
  }

  putAgentPool(resourceGroup: string, name: string, pool: string, body: unknown): { created: boolean; resource: Record<string, unknown>; operation: AsyncOperation } {
    const record = this.requireCluster(resourceGroup, name);
    this.requireIdle(record);
    const parsed = agentPoolBodySchema.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    const current = record.resource.properties.agentPoolProfiles;
    const existing = current.find((profile) => profile.name === pool);
    const [validated] = this.validatePools(
      [{ ...(parsed.data.properties ?? {}), name: pool }],
      record.identity.region,
      String(record.resource.properties.kubernetesVersion),
      current,
    );
    if (validated === undefined) throw new ArmError(400, "InvalidParameter", "The agent pool body is invalid.");
    const pools = existing === undefined ? [...current, validated] : current.map((profile) => (profile.name === pool ? validated : profile));
    if (!pools.some((profile) => profile.mode === "System")) {
      throw new ArmError(400, "MustDefineAtLeastOneSystemPool", "Must define at least one system pool.");
    }
    this.checkQuota(record.identity.region, record.identity.key, pools);
    validated.provisioningState = existing === undefined ? "Creating" : "Scaling";
    record.resource.properties.agentPoolProfiles = pools;
    record.resource.properties.provisioningState = "Updating";
    const durations = existing === undefined ? operationDurations.poolCreate : operationDurations.poolScale;
    const operation = this.runClusterOperation(record, existing === undefined ? "agentPools.create" : "agentPools.scale", durations, "Updating");
    this.options.clusterApi.setNodePools(record.identity.key, this.poolShapes(record));
    return { created: existing === undefined, resource: this.poolResource(record, validated), operation };
  }

  deleteAgentPool(resourceGroup: string, name: string, pool: string): AsyncOperation | undefined {
    const record = this.requireCluster(resourceGroup, name);
    const profile = record.resource.properties.agentPoolProfiles.find((candidate) => candidate.name === pool);
    if (profile === undefined) return undefined;
    this.requireIdle(record);
    const remaining = record.resource.properties.agentPoolProfiles.filter((candidate) => candidate !== profile);
    if (!remaining.some((candidate) => candidate.mode === "System")) {
      throw new ArmError(400, "OperationNotAllowed", "The last system agent pool of a cluster cannot be deleted.");
    }
    profile.provisioningState = "Deleting";
    const operation = this.newOperation("agentPools.delete", record.identity.region);
    const duration = jitteredDuration(record.identity.region, ...operationDurations.poolDelete);
    record.runningOperation = { id: operation.id, kind: "agentPools.delete" };
    record.cancelRunning = this.options.clock.after(duration, () => {
      record.resource.properties.agentPoolProfiles = remaining;
      record.runningOperation = undefined;
      record.cancelRunning = undefined;
      this.options.clusterApi.setNodePools(record.identity.key, this.poolShapes(record));
      this.finishOperation(operation, duration, "Succeeded", record.identity.key);
    });
    return operation;
  }

  // ---- quota ---------------------------------------------------------------------------------

  /** `Microsoft.Compute/locations/{location}/usages` as ARM lists it. */
  usages(location: string): { value: Record<string, unknown>[] } {
    const region = normalizeRegion(location);
    if (region === undefined) {
      throw new ArmError(404, "NoRegisteredProviderFound", `No registered resource provider found for location '${location}' and API version for type 'locations/usages'.`);
    }
    const usage = this.regionUsage(region);
    const limits = this.limits(region);
    const entry = (value: string, localizedValue: string, currentValue: number, limit: number): Record<string, unknown> => ({
      name: { value, localizedValue },
      currentValue,
      limit,
      unit: "Count",
    });
    return {
      value: [
        entry("cores", "Total Regional vCPUs", usage.total, limits.cores),
        ...vmFamilies.map((family) =>
          entry(family, `${family.replace(/^standard/, "Standard ").replace(/Family$/, " Family")} vCPUs`, usage.families.get(family) ?? 0, limits.family(family)),
        ),
      ],
    };
  }

  private limits(region: string): { cores: number; family: (family: string) => number } {
    const configured = this.options.faults.regionQuota(region);
    return {
      cores: configured?.cores ?? defaultRegionalCoreLimit,
      family: (family) => {
        const families = configured?.families ?? {};
        const match = Object.keys(families).find((key) => key.toLowerCase() === family.toLowerCase());
        return match === undefined ? defaultFamilyCoreLimit : (families[match] ?? defaultFamilyCoreLimit);
      },
    };
  }

  /** vCPUs in use in a region, optionally leaving one cluster out (the one being changed). */
  private regionUsage(region: string, excludeKey?: string): { total: number; families: Map<string, number> } {
    const families = new Map<string, number>();
    let total = 0;
    for (const record of this.clusters.values()) {
      if (record.identity.region !== region || record.identity.key === excludeKey) continue;
      for (const pool of record.resource.properties.agentPoolProfiles) {
        const size = findVmSize(pool.vmSize);
        if (size === undefined) continue;
        const cores = size.vCpus * pool.count;
        total += cores;
        families.set(size.family, (families.get(size.family) ?? 0) + cores);
      }
    }
    return { total, families };
  }

  /** Fails as AKS does when the new pools of a cluster would exceed the region's quota. */
  private checkQuota(region: string, key: string, pools: PoolProfile[]): void {
    const others = this.regionUsage(region, key);
    const current = this.regionUsage(region);
    const limits = this.limits(region);
    const wanted = new Map<string, number>();
    for (const pool of pools) {
      const size = findVmSize(pool.vmSize);
      if (size !== undefined) wanted.set(size.family, (wanted.get(size.family) ?? 0) + size.vCpus * pool.count);
    }
    const wantedTotal = [...wanted.values()].reduce((sum, cores) => sum + cores, 0);
    const newTotal = others.total + wantedTotal;
    const additional = newTotal - current.total;
    if (additional > 0 && newTotal > limits.cores) {
      throw new ArmError(
        400,
        "QuotaExceeded",
        `Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Additional details - Deployment Model: Resource Manager, Location: ${region}, Current Limit: ${limits.cores}, Current Usage: ${current.total}, Additional Required: ${additional}, (Minimum) New Limit Required: ${newTotal}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView by specifying parameters listed in the 'Details' section for deployment to succeed.`,
      );
    }
    for (const [family, cores] of wanted) {
      const used = current.families.get(family) ?? 0;
      const requested = (others.families.get(family) ?? 0) + cores - used;
      const limit = limits.family(family);
      if (requested > 0 && used + requested > limit) {
        const display = findVmSize(pools.find((pool) => findVmSize(pool.vmSize)?.family === family)?.vmSize ?? "")?.familyDisplay ?? family;
        throw new ArmError(
          400,
          "ErrCode_InsufficientVCPUQuota",
          `Insufficient vcpu quota requested ${requested}, remaining ${Math.max(0, limit - used)} for family ${display} for region ${region}. Surge nodes would also consume vcpu quota.`,
        );
      }
    }
  }

  // ---- asynchronous operations ---------------------------------------------------------------

  getOperation(id: string): AsyncOperation | undefined {
    return this.operations.get(id);
  }

  private newOperation(name: string, region: string): AsyncOperation {
    const operation: AsyncOperation = { id: randomUUID(), name, region, status: "InProgress", startTime: new Date().toISOString() };
    this.operations.set(operation.id, operation);
    return operation;
  }

  private finishOperation(operation: AsyncOperation, simulatedMs: number, status: OperationStatus, cluster?: string, error?: { code: string; message: string }): void {
    operation.status = status;
    operation.endTime = new Date().toISOString();
    if (error !== undefined) operation.error = error;
    this.options.operationLog.record({
      time: operation.startTime,
      target: "lro",
      region: operation.region,
      ...(cluster === undefined ? {} : { cluster }),
      operation: operation.name,
      status,
      durationMs: simulatedMs,
      throttled: false,
    });
  }

  /** Runs a create/update on a cluster: Succeeded after a modelled duration, or Failed if a fault says so. */
  private runClusterOperation(record: ClusterRecord, name: string, durations: readonly [number, number], state: string): AsyncOperation {
    const region = record.identity.region;
    const operation = this.newOperation(name, region);
    const duration = jitteredDuration(region, durations[0], durations[1]);
    const failure = this.options.faults.provisioningFailure(region);
    record.resource.properties.provisioningState = state;
    record.runningOperation = { id: operation.id, kind: name };
    // A failing provisioning fails part-way, as AKS does when a step breaks.
    const elapsed = failure === undefined ? duration : Math.round(duration / 2);
    record.cancelRunning = this.options.clock.after(elapsed, () => {
      record.runningOperation = undefined;
      record.cancelRunning = undefined;
      const finalState = failure === undefined ? "Succeeded" : "Failed";
      record.resource.properties.provisioningState = finalState;
      for (const pool of record.resource.properties.agentPoolProfiles) pool.provisioningState = finalState;
      const error = failure === undefined ? undefined : { code: failure.code, message: failure.message ?? `Provisioning of managed cluster '${record.identity.name}' in ${region} failed.` };
      this.finishOperation(operation, elapsed, finalState, record.identity.key, error);
    });
    return operation;
  }

  private cancelRunning(record: ClusterRecord): void {
    record.cancelRunning?.();
    if (record.runningOperation !== undefined) {
      const operation = this.operations.get(record.runningOperation.id);
      if (operation !== undefined && operation.status === "InProgress") this.finishOperation(operation, 0, "Canceled", record.identity.key);
    }
    record.runningOperation = undefined;
    record.cancelRunning = undefined;
  }

  // ---- helpers -------------------------------------------------------------------------------

  private requireCluster(resourceGroup: string, name: string): ClusterRecord {
    this.requireGroup(resourceGroup);
    const record = this.clusters.get(clusterKey(this.subscriptionId, resourceGroup, name));
    if (record === undefined) {
      throw new ArmError(404, "ResourceNotFound", `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${resourceGroup}' was not found.`);
    }
    return record;
  }

  private requirePool(record: ClusterRecord, pool: string): PoolProfile {
    const profile = record.resource.properties.agentPoolProfiles.find((candidate) => candidate.name === pool);
    if (profile === undefined) {
      throw new ArmError(404, "NotFound", `Agent pool '${pool}' of managed cluster '${record.identity.name}' was not found.`);
    }
    return profile;
  }

  private requireIdle(record: ClusterRecord): void {
    const running = record.runningOperation;
    if (running !== undefined) {
      throw new ArmError(
        409,
        "OperationNotAllowed",
        `Operation is not allowed because there's an in progress ${running.kind} operation on managed cluster '${record.identity.name}'. Please wait for it to finish before starting a new operation.`,
      );
    }
  }

  private resolveVersion(requested: string | undefined): string {
    if (requested === undefined) return defaultKubernetesVersion;
    const match = kubernetesVersions.find((version) => version === requested || version.startsWith(`${requested}.`));
    if (match === undefined) {
      throw new ArmError(400, "K8sVersionNotSupported", `Version ${requested} is not supported in this region. Supported versions: ${kubernetesVersions.join(", ")}.`);
    }
    return match;
  }

  private validatePools(
    profiles: (z.infer<typeof poolPropertiesSchema> & { name: string })[],
    region: string,
    version: string,
    current: PoolProfile[] = [],
  ): PoolProfile[] {
    const names = new Set<string>();
    return profiles.map((profile) => {
      if (!poolNamePattern.test(profile.name)) {
        throw new ArmError(400, "InvalidParameter", `The value of parameter agentPoolProfile.name is invalid: '${profile.name}'. It must start with a lowercase letter and hold only lowercase letters and digits, 1 to 12 characters.`);
      }
      if (names.has(profile.name)) throw new ArmError(400, "InvalidParameter", `Agent pool names must be unique; '${profile.name}' appears twice.`);
      names.add(profile.name);
      const before = current.find((pool) => pool.name === profile.name);
      const vmSize = profile.vmSize ?? before?.vmSize ?? "Standard_D2s_v5";
      if (findVmSize(vmSize) === undefined) {
        throw new ArmError(400, "InvalidParameter", `The VM size of ${vmSize} is not allowed in your subscription in location '${region}'.`);
      }
      if (before !== undefined && before.vmSize.toLowerCase() !== vmSize.toLowerCase()) {
        throw new ArmError(400, "PropertyChangeNotAllowed", `Changing property 'vmSize' of agent pool '${profile.name}' is not allowed.`);
      }
      const mode = profile.mode ?? before?.mode ?? "User";
      const count = profile.count ?? before?.count ?? 1;
      if (mode === "System" && count < 1) {
        throw new ArmError(400, "InvalidParameter", `The value of parameter agentPoolProfile.count is invalid: system pool '${profile.name}' needs at least 1 node.`);
      }
      return {
        ...(before ?? {}),
        ...profile,
        name: profile.name,
        count,
        vmSize,
        mode,
        type: "VirtualMachineScaleSets",
        osType: profile.osType ?? "Linux",
        orchestratorVersion: profile.orchestratorVersion ?? version,
        currentOrchestratorVersion: version,
        provisioningState: "Succeeded",
        powerState: { code: "Running" },
      };
    });
  }

  private poolShapes(record: ClusterRecord): NodePoolShape[] {
    return record.resource.properties.agentPoolProfiles.map(({ name, count, vmSize, mode }) => ({ name, count, vmSize, mode }));
  }

  private poolResource(record: ClusterRecord, profile: PoolProfile): Record<string, unknown> {
    const { name, ...properties } = profile;
    return {
      id: `${String(record.resource.id)}/agentPools/${name}`,
      name,
      type: "Microsoft.ContainerService/managedClusters/agentPools",
      properties,
    };
  }
}
