/**
 * The Azure Resource Manager adapter: quota and VM sizes for the preflight, resource groups,
 * AKS managed clusters (created and deleted: started, never waited for) and their user
 * credentials. The same code runs against Azure and against the simulated cloud; only endpoint,
 * credential and CA differ. Every write it sends is noted for the audit trail (arm-audit.ts).
 */
import { ContainerServiceClient, type ManagedCluster } from "@azure/arm-containerservice";
import type { TokenCredential } from "@azure/core-auth";
import {
  createDefaultHttpClient,
  createPipelineRequest,
  isRestError,
  RestError,
  type HttpClient,
  type PipelinePolicy,
} from "@azure/core-rest-pipeline";
import { z } from "zod";
import {
  ClassifiedError,
  classifyHttpStatus,
  classifyNetworkError,
  parseRetryAfter,
  type ErrorClassification,
} from "../errors.js";
import { checkMilliseconds } from "../retry.js";
import { armAuditPolicy } from "./arm-audit.js";
import { armMetricsPolicy } from "./arm-metrics.js";
import type { ObservedCluster } from "../domain/drift/arm.js";
import type { ClusterPlan } from "../domain/plan.js";
import { managedClusterBody, needsSecurityUpdate, type ApiServerAccess } from "../domain/cluster-body.js";
import { computeUsagesSchema, type ComputeUsage } from "../domain/preflight.js";

/** API versions of the ARM routes this adapter calls directly (the AKS client pins its own). */
const COMPUTE_API_VERSION = "2024-07-01";
const SKUS_API_VERSION = "2021-07-01";
const RESOURCES_API_VERSION = "2021-04-01";

/** Codes ARM uses when a subscription or region has too few vCPUs. */
const QUOTA_CODES = new Set([
  "quotaexceeded",
  "errcode_insufficientvcpuquota",
  "operationnotallowed_quota",
  "insufficientvcpuquota",
]);
/** 409 codes that mean "someone else is busy with it": wait and try again. */
const RETRYABLE_CONFLICT_CODES = new Set([
  "operationnotallowed",
  "anotheroperationinprogress",
  "conflictingoperationinprogress",
]);

/**
 * Per HTTP request: ARM answers reads in about a second and accepts long-running operations at
 * once (their work is polled for, never waited on in one request).
 */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** States of a cluster that mean an operation is still running on it. */
const IN_PROGRESS_STATES = new Set([
  "creating",
  "updating",
  "upgrading",
  "scaling",
  "starting",
  "stopping",
  "deleting",
  "migrating",
  "reconciling",
]);

export interface ArmAdapterOptions {
  credential: TokenCredential;
  subscriptionId: string;
  endpoint: string;
  /** PEM of a CA to trust in addition to nothing else (the simulated cloud); Azure needs none. */
  caCertificate?: string;
  /** Overrides of the SDK's own retry policy (it retries 429 honouring Retry-After, 5xx, resets and timeouts). */
  retryOptions?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  /** How long each HTTP request (each try of that retry policy) may wait for an answer; default 30 s. */
  requestTimeoutMs?: number;
  /** Where the clusters' API servers may be reached from: the control plane's outbound addresses. */
  apiServerAccess: ApiServerAccess;
}

const skuListSchema = z.object({
  value: z.array(
    z.object({
      resourceType: z.string(),
      name: z.string(),
      locations: z.array(z.string()).optional(),
      restrictions: z
        .array(
          z.object({
            type: z.string().optional(),
            reasonCode: z.string().optional(),
            values: z.array(z.string()).optional(),
          }),
        )
        .optional(),
    }),
  ),
});
const locationListSchema = z.object({ value: z.array(z.object({ name: z.string() })) });
const armErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string().optional() }) });

/** What the preflight needs from ARM for one region. */
export interface RegionCapacity {
  /** Whether the subscription offers the region at all. */
  regionOffered: boolean;
  usages: ComputeUsage[];
  offeredVmSizes: string[];
}

/** A cluster's provisioning state as ARM reports it. */
export interface ClusterState {
  exists: boolean;
  provisioningState?: string;
  /** AKS's own explanation of a failed provisioning (`status.provisioningError`), when it gives one. */
  failure?: string;
}

function isClusterOperationRunning(state: string | undefined): boolean {
  return state !== undefined && IN_PROGRESS_STATES.has(state.toLowerCase());
}

/**
 * The one classifier for ARM: RestError status and code, core-lro's plain "long-running
 * operation has failed" Error, network errors.
 */
export function classifyArmError(error: unknown): ErrorClassification {
  if (isRestError(error)) {
    const status = error.statusCode;
    const code = error.code ?? (status === undefined ? "Unknown" : `Http${status}`);
    const message = error.message;
    if (status === undefined) return classifyNetworkError(error) ?? { retryable: true, kind: "network", code, message };
    if (QUOTA_CODES.has(code.toLowerCase())) return { retryable: false, kind: "quota", code, message };
    if (status === 409 && RETRYABLE_CONFLICT_CODES.has(code.toLowerCase()))
      return { retryable: true, kind: "conflict", code, message };
    // NOTE: "already exists in location X" (InvalidResourceGroupLocation) is a real conflict, not success.
    if (status === 409 && /already exists/i.test(message) && !/location/i.test(code))
      return { retryable: false, kind: "alreadyExists", code, message };
    return classifyHttpStatus(status, code, message, parseRetryAfter(error.response?.headers.get("retry-after")));
  }
  const network = classifyNetworkError(error);
  if (network !== undefined) return network;
  if (error instanceof Error) {
    // core-lro: "The long-running operation has failed. <code>. <message>" — the operation ran and failed.
    const lro = /long-running operation has failed\.\s*([^.\s]+)\.\s*(.*)$/s.exec(error.message);
    if (lro !== null) {
      const code = lro[1];
      return {
        retryable: false,
        kind: QUOTA_CODES.has(code.toLowerCase()) ? "quota" : "invalid",
        code,
        message: lro[2],
      };
    }
    return { retryable: false, kind: "unknown", code: error.name, message: error.message };
  }
  return { retryable: false, kind: "unknown", code: "Unknown", message: String(error) };
}

/**
 * Gives each try of the SDK's retry policy at most `timeoutMs` to answer. The HTTP client gives up
 * with an AbortError, which that policy would not retry; as an ETIMEDOUT RestError it is retried
 * like a reset. A caller's own abort stays an abort.
 */
function requestTimeoutPolicy(timeoutMs: number): PipelinePolicy {
  return {
    name: "besuFleetRequestTimeout",
    async sendRequest(request, next) {
      if (request.timeout === 0) request.timeout = timeoutMs;
      try {
        return await next(request);
      } catch (error) {
        if (!(error instanceof Error && error.name === "AbortError") || request.abortSignal?.aborted === true)
          throw error;
        throw new RestError(
          `${request.method} ${new URL(request.url).pathname}: no answer within ${request.timeout} ms`,
          { code: "ETIMEDOUT", request },
        );
      }
    },
  };
}

/** Whether an existing cluster already has the planned version and pools and its authorized ranges, so no update is needed. */
function matchesPlan(cluster: ManagedCluster, plan: ClusterPlan, access: ApiServerAccess): boolean {
  if (needsSecurityUpdate(cluster, access)) return false;
  const version = cluster.kubernetesVersion ?? cluster.currentKubernetesVersion ?? "";
  if (version !== plan.kubernetesVersion && !version.startsWith(`${plan.kubernetesVersion}.`)) return false;
  const pools = cluster.agentPoolProfiles ?? [];
  return (
    pools.length === plan.nodePools.length &&
    plan.nodePools.every((wanted) =>
      pools.some(
        (pool) =>
          pool.name === wanted.name &&
          pool.count === wanted.count &&
          pool.vmSize?.toLowerCase() === wanted.vmSize.toLowerCase(),
      ),
    )
  );
}

export class ArmAdapter {
  private readonly client: ContainerServiceClient;
  private readonly httpClient: HttpClient = createDefaultHttpClient();

  constructor(private readonly options: ArmAdapterOptions) {
    const requestTimeoutMs = checkMilliseconds(
      "requestTimeoutMs",
      options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      1,
    );
    this.client = new ContainerServiceClient(options.credential, options.subscriptionId, {
      endpoint: options.endpoint,
      additionalPolicies: [
        { policy: armAuditPolicy(), position: "perCall" },
        { policy: requestTimeoutPolicy(requestTimeoutMs), position: "perRetry" },
        { policy: armMetricsPolicy(), position: "perRetry" },
      ],
      ...(options.caCertificate === undefined ? {} : { tlsOptions: { ca: options.caCertificate } }),
      ...(options.retryOptions === undefined ? {} : { retryOptions: options.retryOptions }),
    });
  }

  private async call<T>(step: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new ClassifiedError(step, classifyArmError(error));
    }
  }

  /**
   * A GET or PUT on an ARM route the AKS client does not cover, through the AKS client's own
   * pipeline (so authentication, the trusted CA, retries and throttling handling are the same).
   * Non-2xx answers become RestErrors with ARM's error code, as the SDK's own calls do.
   */
  private async send(
    method: "GET" | "PUT",
    path: string,
    apiVersion: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const separator = path.includes("?") ? "&" : "?";
    const request = createPipelineRequest({
      url: `${this.options.endpoint}${path}${separator}api-version=${apiVersion}`,
      method,
    });
    if (body !== undefined) {
      request.body = JSON.stringify(body);
      request.headers.set("Content-Type", "application/json");
    }
    const response = await this.client.pipeline.sendRequest(this.httpClient, request);
    const text = response.bodyAsText ?? "";
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.status >= 400) {
      const parsed = armErrorBodySchema.safeParse(json);
      const code = parsed.success ? parsed.data.error.code : `Http${response.status}`;
      const message = parsed.success
        ? (parsed.data.error.message ?? code)
        : `${method} ${path} answered ${response.status}`;
      throw new RestError(message, { code, statusCode: response.status, request, response });
    }
    return { status: response.status, json };
  }

  private subscriptionPath(): string {
    return `/subscriptions/${encodeURIComponent(this.options.subscriptionId)}`;
  }

  /** Offered regions, vCPU usages and offered VM sizes of one region, read in parallel. */
  async regionCapacity(region: string): Promise<RegionCapacity> {
    return this.call(`read capacity of ${region}`, async () => {
      const locations = locationListSchema.parse(
        (await this.send("GET", `${this.subscriptionPath()}/locations`, RESOURCES_API_VERSION)).json,
      );
      if (!locations.value.some((location) => location.name.toLowerCase() === region.toLowerCase())) {
        return { regionOffered: false, usages: [], offeredVmSizes: [] };
      }
      const [usages, skus] = await Promise.all([
        this.send(
          "GET",
          `${this.subscriptionPath()}/providers/Microsoft.Compute/locations/${encodeURIComponent(region)}/usages`,
          COMPUTE_API_VERSION,
        ),
        this.send(
          "GET",
          `${this.subscriptionPath()}/providers/Microsoft.Compute/skus?$filter=${encodeURIComponent(`location eq '${region}'`)}`,
          SKUS_API_VERSION,
        ),
      ]);
      const offeredVmSizes = skuListSchema
        .parse(skus.json)
        .value.filter((sku) => sku.resourceType === "virtualMachines")
        // A size with a NotAvailableForSubscription restriction cannot be deployed here.
        .filter(
          (sku) =>
            !(sku.restrictions ?? []).some((restriction) => restriction.reasonCode === "NotAvailableForSubscription"),
        )
        .map((sku) => sku.name);
      return { regionOffered: true, usages: computeUsagesSchema.parse(usages.json).value, offeredVmSizes };
    });
  }

  /** Creates the resource group or leaves the existing one as it is (PUT is idempotent). */
  async ensureResourceGroup(name: string, region: string, tags: Record<string, string>): Promise<void> {
    await this.call(`create resource group ${name} in ${region}`, () =>
      this.send("PUT", `${this.subscriptionPath()}/resourcegroups/${encodeURIComponent(name)}`, RESOURCES_API_VERSION, {
        location: region,
        tags,
      }),
    );
  }

  /** The cluster's provisioning state, or `exists: false`. */
  async clusterState(resourceGroup: string, name: string): Promise<ClusterState> {
    return this.call(`read cluster ${name}`, async () => {
      try {
        const cluster = await this.client.managedClusters.get(resourceGroup, name);
        const error = cluster.status?.provisioningError;
        return {
          exists: true,
          ...(cluster.provisioningState === undefined ? {} : { provisioningState: cluster.provisioningState }),
          ...(error?.code === undefined && error?.message === undefined
            ? {}
            : { failure: [error.code, error.message].filter((part) => part !== undefined).join(": ") }),
        };
      } catch (error) {
        if (isRestError(error) && error.statusCode === 404) return { exists: false };
        throw error;
      }
    });
  }

  /** What drift verification compares: state, Kubernetes version and node pools, in one read; `exists: false` when gone. */
  async clusterConfiguration(resourceGroup: string, name: string): Promise<ObservedCluster> {
    return this.call(`read cluster ${name}`, async () => {
      try {
        const cluster = await this.client.managedClusters.get(resourceGroup, name);
        return {
          exists: true,
          ...(cluster.provisioningState === undefined ? {} : { provisioningState: cluster.provisioningState }),
          ...(cluster.kubernetesVersion === undefined ? {} : { kubernetesVersion: cluster.kubernetesVersion }),
          pools: (cluster.agentPoolProfiles ?? []).map((pool) => ({
            name: pool.name,
            ...(pool.count === undefined ? {} : { count: pool.count }),
            ...(pool.vmSize === undefined ? {} : { vmSize: pool.vmSize }),
          })),
        };
      } catch (error) {
        if (isRestError(error) && error.statusCode === 404) return { exists: false, pools: [] };
        throw error;
      }
    });
  }

  /**
   * Starts the cluster's create or update and returns without waiting for it. Converges: a
   * cluster with an operation running is left alone, and one that already matches the plan is
   * not updated again.
   */
  async beginCluster(resourceGroup: string, region: string, network: string, plan: ClusterPlan): Promise<string> {
    return this.call(`start cluster ${plan.name} in ${region}`, async () => {
      let existing: ManagedCluster | undefined;
      try {
        existing = await this.client.managedClusters.get(resourceGroup, plan.name);
      } catch (error) {
        if (!(isRestError(error) && error.statusCode === 404)) throw error;
      }
      if (existing !== undefined) {
        if (isClusterOperationRunning(existing.provisioningState)) return existing.provisioningState ?? "Unknown";
        if (
          existing.provisioningState?.toLowerCase() === "succeeded" &&
          matchesPlan(existing, plan, this.options.apiServerAccess)
        )
          return "Succeeded";
      }
      const poller = this.client.managedClusters.createOrUpdate(
        resourceGroup,
        plan.name,
        managedClusterBody(region, network, plan, this.options.apiServerAccess),
      );
      // NOTE: only the initial request is awaited; the orchestrator polls getClusterState with durable timers.
      await poller.submitted();
      return poller.operationState?.status === "failed" ? "Failed" : existing === undefined ? "Creating" : "Updating";
    });
  }

  /**
   * Starts deleting the cluster and returns without waiting (the orchestrator polls by calling
   * again): `Deleted` once ARM no longer has it (a 404 — so deleting again is a no-op), else
   * `Deleting`. A delete already under way is not started a second time.
   */
  async beginClusterDelete(resourceGroup: string, name: string): Promise<"Deleted" | "Deleting"> {
    return this.call(`delete cluster ${name}`, async () => {
      let existing: ManagedCluster;
      try {
        existing = await this.client.managedClusters.get(resourceGroup, name);
      } catch (error) {
        if (isRestError(error) && error.statusCode === 404) return "Deleted";
        throw error;
      }
      if (existing.provisioningState?.toLowerCase() === "deleting") return "Deleting";
      const poller = this.client.managedClusters.delete(resourceGroup, name);
      // NOTE: only the initial request is awaited (202 with the operation's URLs, or 204 when already gone).
      await poller.submitted();
      return poller.operationState?.status === "succeeded" ? "Deleted" : "Deleting";
    });
  }

  /** The cluster user's kubeconfig (YAML). Callers keep it in memory and never log or return it. */
  async userKubeconfig(resourceGroup: string, name: string): Promise<string> {
    return this.call(`fetch credentials of cluster ${name}`, async () => {
      const credentials = await this.client.managedClusters.listClusterUserCredentials(resourceGroup, name);
      const value = credentials.kubeconfigs?.[0]?.value;
      if (value === undefined)
        throw new RestError(`cluster ${name} returned no kubeconfig`, { code: "NoKubeconfig", statusCode: 404 });
      return Buffer.from(value).toString("utf8");
    });
  }
}
