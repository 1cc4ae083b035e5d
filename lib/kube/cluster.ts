/**
 * The Kubernetes adapter for one cluster: server-side apply of the domain's manifests, reads and
 * deletes of single objects, LoadBalancer addresses, pod readiness and HTTP through the API
 * server's service proxy. It has no way to read a Secret: the control plane never needs one.
 *
 * Every request goes over the wire as JSON through KubeConnection. NOTE: not through
 * @kubernetes/client-node's typed APIs, because its model serializer drops NetworkPolicy `from`
 * (its `_from`), which would silently widen a policy; see lib/domain/manifests/network.ts.
 *
 * Each request is tried under a retry policy (lib/retry.ts): idempotent ones are retried on what
 * classifyKubeError calls transient (429, 5xx, resets, timeouts), within a deadline; the others
 * are sent once. Any request the API server refuses with 401 is sent once more after the
 * cluster's credentials were fetched again (a recreated cluster has a new token).
 *
 * Every request that changes the cluster (applies, deletes, restarts, a JSON-RPC call through the
 * proxy that is not a read) is noted for the audit trail (lib/state/change-trail.ts) with its path
 * and answer; bodies are not, nor are dry runs.
 */
import { z } from "zod";
import { isReadOnlyJsonRpc } from "../besu/rpc.js";
import { parseApplyConflicts, type DryRunAnswer } from "../domain/drift/kubernetes.js";
import type { KubernetesManifest } from "../domain/manifests.js";
import { countsAsSuccess } from "../errors.js";
import { noteChange } from "../state/change-trail.js";
import { retry, retryPolicy, withDeadline, type RetryPolicy } from "../retry.js";
import { KubeConnection, type KubeExchange, type KubeResponse } from "./connection.js";
import { classifyKubeError, KubeStatusError, refusedCredentials } from "./errors.js";

// Callers of this adapter find its errors here too.
export { classifyKubeError, kubeStep, KubeStatusError } from "./errors.js";

/** Fetches the cluster's current kubeconfig (YAML). */
export type KubeconfigFetch = () => Promise<string>;

/** What a caller says about one request besides method and path. */
export interface KubeRequest {
  body?: { text: string; contentType: string };
  /** Whether sending it twice does no more than sending it once; by default from method and body. */
  idempotent?: boolean;
  proxied?: boolean;
  /** Whether it changes nothing although it is not a GET (a dry run, a JSON-RPC read): not audited. */
  readOnly?: boolean;
}

const APPLY_PATCH = "application/apply-patch+yaml";

/**
 * Reads, deletes and server-side apply (the same desired state, applied again, changes nothing)
 * may be sent again after a failure that left their outcome open. A POST creates or acts, a
 * merge or JSON patch may add to what the first one added: sent once.
 */
function idempotentByDefault(method: string, body: KubeRequest["body"]): boolean {
  return method === "GET" || method === "DELETE" || (method === "PATCH" && body?.contentType === APPLY_PATCH);
}

/** Plural resource path segments of the kinds the control plane manages. */
const RESOURCES: Readonly<Record<string, { plural: string; namespaced: boolean }>> = {
  "v1/Namespace": { plural: "namespaces", namespaced: false },
  "v1/ServiceAccount": { plural: "serviceaccounts", namespaced: true },
  "v1/Service": { plural: "services", namespaced: true },
  "v1/ConfigMap": { plural: "configmaps", namespaced: true },
  "v1/Secret": { plural: "secrets", namespaced: true },
  "apps/v1/StatefulSet": { plural: "statefulsets", namespaced: true },
  "apps/v1/Deployment": { plural: "deployments", namespaced: true },
  "batch/v1/Job": { plural: "jobs", namespaced: true },
  "storage.k8s.io/v1/StorageClass": { plural: "storageclasses", namespaced: false },
  "rbac.authorization.k8s.io/v1/Role": { plural: "roles", namespaced: true },
  "rbac.authorization.k8s.io/v1/RoleBinding": { plural: "rolebindings", namespaced: true },
  "rbac.authorization.k8s.io/v1/ClusterRole": { plural: "clusterroles", namespaced: false },
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": { plural: "clusterrolebindings", namespaced: false },
  "networking.k8s.io/v1/NetworkPolicy": { plural: "networkpolicies", namespaced: true },
  "policy/v1/PodDisruptionBudget": { plural: "poddisruptionbudgets", namespaced: true },
};

/** The API path of one object (without query). */
export function objectPath(manifest: Pick<KubernetesManifest, "apiVersion" | "kind" | "metadata">): string {
  const resource = RESOURCES[`${manifest.apiVersion}/${manifest.kind}`];
  if (resource === undefined)
    throw new Error(`kind ${manifest.apiVersion}/${manifest.kind} is not managed by this adapter`);
  const prefix = manifest.apiVersion.includes("/") ? `/apis/${manifest.apiVersion}` : `/api/${manifest.apiVersion}`;
  const name = encodeURIComponent(manifest.metadata.name);
  if (!resource.namespaced) return `${prefix}/${resource.plural}/${name}`;
  const namespace = manifest.metadata.namespace;
  if (namespace === undefined) throw new Error(`${manifest.kind} ${manifest.metadata.name} needs a namespace`);
  return `${prefix}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}/${name}`;
}

const serviceSchema = z
  .object({
    status: z
      .object({
        loadBalancer: z
          .object({
            ingress: z.array(z.object({ ip: z.string().optional(), hostname: z.string().optional() })).optional(),
          })
          .optional(),
      })
      .optional(),
  })
  .loose();
const podSchema = z
  .object({
    status: z
      .object({
        phase: z.string().optional(),
        conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
        containerStatuses: z
          .array(
            z.object({
              name: z.string(),
              ready: z.boolean().optional(),
              state: z
                .object({
                  waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
                })
                .optional(),
            }),
          )
          .optional(),
      })
      .optional(),
  })
  .loose();

/** A pod's readiness, with the reason when it is not ready. */
export type PodReadiness = { ready: true } | { ready: false; reason: string };

/** The JSON-RPC method a request through the proxy calls (what a vote is), for the audit trail. */
function rpcMethodOf(request: KubeRequest): { rpcMethod?: string } {
  if (request.proxied !== true || request.body === undefined) return {};
  try {
    const method = (JSON.parse(request.body.text) as { method?: unknown }).method;
    return typeof method === "string" ? { rpcMethod: method } : {};
  } catch {
    return {};
  }
}

/** One cluster's API server, reached with credentials that live only in this process. */
export class KubeCluster {
  private renewal: Promise<KubeConnection> | undefined;

  private constructor(
    private connection: KubeConnection,
    private readonly fetchKubeconfig: KubeconfigFetch,
    private readonly policy: RetryPolicy,
    /** Names the cluster in the audit trail, e.g. `<resource group>/<cluster>`. */
    private readonly name: string,
  ) {}

  /**
   * A client over the kubeconfig `fetchKubeconfig` returns, which it calls again when the API
   * server refuses the credentials. `policy` defaults to lib/retry.ts's.
   */
  static async connect(
    fetchKubeconfig: KubeconfigFetch,
    name: string,
    policy: Partial<RetryPolicy> = {},
  ): Promise<KubeCluster> {
    const checked = retryPolicy(policy);
    return new KubeCluster(
      await KubeConnection.fromKubeconfig(await fetchKubeconfig()),
      fetchKubeconfig,
      checked,
      name,
    );
  }

  /** One request under the retry policy; throws KubeStatusError for non-2xx answers. */
  async request(method: string, path: string, request: KubeRequest = {}): Promise<KubeResponse> {
    const exchange: KubeExchange = {
      proxied: request.proxied ?? false,
      ...(request.body === undefined ? {} : { body: request.body }),
    };
    const idempotent = request.idempotent ?? idempotentByDefault(method, request.body);
    let renewed = false;
    const send = async (signal: AbortSignal): Promise<KubeResponse> => {
      const connection = this.connection;
      try {
        return await connection.exchange(method, path, exchange, signal);
      } catch (error) {
        // A refused request was not carried out, so even a POST may be sent again: once.
        if (renewed || !refusedCredentials(error)) throw error;
        renewed = true;
        return (await this.renewConnection(connection)).exchange(method, path, exchange, signal);
      }
    };
    const sent = retry((attempt) => withDeadline(attempt.timeoutMs, `${method} ${path}`, send), {
      ...this.policy,
      maxAttempts: idempotent ? this.policy.maxAttempts : 1,
      classify: classifyKubeError,
    });
    if (method === "GET" || request.readOnly === true) return sent;
    const noted = (outcome: string, status: number | undefined) =>
      noteChange({
        system: "kubernetes",
        action: method,
        subject: path.split("?")[0] ?? path,
        outcome,
        ...(status === undefined ? {} : { status }),
        details: { cluster: this.name, ...rpcMethodOf(request) },
      });
    try {
      const response = await sent;
      noted("done", response.status);
      return response;
    } catch (error) {
      noted(classifyKubeError(error).code, error instanceof KubeStatusError ? error.status : undefined);
      throw error;
    }
  }

  /**
   * A connection with freshly fetched credentials in place of `refused`. Requests refused together
   * share one fetch; one that was refused on credentials already replaced just uses the new ones.
   */
  private renewConnection(refused: KubeConnection): Promise<KubeConnection> {
    if (this.connection !== refused) return Promise.resolve(this.connection);
    this.renewal ??= (async () => {
      try {
        this.connection = await KubeConnection.fromKubeconfig(await this.fetchKubeconfig());
        // NOTE: `refused` is not closed: requests still on its way would be cut off. Its
        // keep-alive connections close on their own once idle.
        return this.connection;
      } finally {
        this.renewal = undefined;
      }
    })();
    return this.renewal;
  }

  private async getOrUndefined(path: string): Promise<unknown> {
    try {
      return (await this.request("GET", path)).json;
    } catch (error) {
      if (error instanceof KubeStatusError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Server-side apply of each manifest in order, as `fieldManager`, taking ownership of
   * conflicting fields (`force`): the desired state is ours to enforce. Applying unchanged
   * manifests again changes nothing (no new resourceVersion, no rollout). Returns how many
   * objects were applied.
   */
  async apply(manifests: readonly KubernetesManifest[], fieldManager: string): Promise<number> {
    for (const manifest of manifests) {
      // JSON is YAML: the apply body is the wire JSON of the manifest, field names untouched.
      await this.request(
        "PATCH",
        `${objectPath(manifest)}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`,
        { body: { text: JSON.stringify(manifest), contentType: APPLY_PATCH } },
      );
    }
    return manifests.length;
  }

  /**
   * Server-side apply of one manifest with `dryRun=All` and without `force`: nothing is stored,
   * and the API server answers with what the object would become, or refuses with the fields
   * another manager owns (drift verification, lib/domain/drift/kubernetes.ts). Sent once: a
   * conflict is the answer, not a fault to retry.
   */
  async dryRunApply(manifest: KubernetesManifest, fieldManager: string): Promise<DryRunAnswer> {
    try {
      const response = await this.request(
        "PATCH",
        `${objectPath(manifest)}?fieldManager=${encodeURIComponent(fieldManager)}&dryRun=All`,
        { body: { text: JSON.stringify(manifest), contentType: APPLY_PATCH }, idempotent: false, readOnly: true },
      );
      return { kind: "applied", object: response.json };
    } catch (error) {
      if (error instanceof KubeStatusError && error.status === 409 && error.reason === "Conflict")
        return { kind: "conflicts", conflicts: parseApplyConflicts(error.message) };
      throw error;
    }
  }

  /** An object as the API server stores it, or undefined when it does not exist. */
  async getObject(manifest: Pick<KubernetesManifest, "apiVersion" | "kind" | "metadata">): Promise<unknown> {
    return this.getOrUndefined(objectPath(manifest));
  }

  /**
   * Deletes an object and, in the background, what it owns (a Job's pods). An object that is
   * already gone counts as deleted.
   */
  async deleteObject(manifest: Pick<KubernetesManifest, "apiVersion" | "kind" | "metadata">): Promise<void> {
    try {
      await this.request("DELETE", `${objectPath(manifest)}?propagationPolicy=Background`);
    } catch (error) {
      if (!countsAsSuccess(classifyKubeError(error), "delete")) throw error;
    }
  }

  /** The LoadBalancer address of a Service, or undefined while none is assigned. */
  async loadBalancerAddress(namespace: string, service: string): Promise<string | undefined> {
    const parsed = serviceSchema.safeParse(
      await this.getOrUndefined(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}`,
      ),
    );
    const ingress = parsed.success ? parsed.data.status?.loadBalancer?.ingress?.[0] : undefined;
    return ingress?.ip ?? ingress?.hostname;
  }

  /** Whether a pod is Ready, and if not, the most telling reason. */
  async podReadiness(namespace: string, pod: string): Promise<PodReadiness> {
    const raw = await this.getOrUndefined(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}`,
    );
    if (raw === undefined) return { ready: false, reason: `pod ${pod} does not exist` };
    const parsed = podSchema.safeParse(raw);
    const status = parsed.success ? parsed.data.status : undefined;
    if (status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True"))
      return { ready: true };
    const waiting = status?.containerStatuses?.find((container) => container.state?.waiting !== undefined)?.state
      ?.waiting;
    const reason =
      waiting?.reason ?? (status?.phase === undefined ? "no status yet" : `phase ${status.phase}, not ready`);
    return { ready: false, reason: `pod ${pod}: ${reason}` };
  }

  /** Closes the idle keep-alive connections (the client is being dropped). */
  close(): void {
    this.connection.close();
  }

  /**
   * HTTP through the API server's service proxy to `service:port`, path relative to the pod's
   * root. GETs are retried, and so are POSTs of JSON-RPC that only reads. NOTE: the proxy knows
   * JSON-RPC because Besu's is the only body the control plane POSTs through it; a vote or any
   * other call that changes a node is sent once.
   */
  async proxy(
    namespace: string,
    service: string,
    port: number,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<KubeResponse> {
    const proxyPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${port}/proxy/${path.replace(/^\//, "")}`;
    const reads = method === "GET" || isReadOnlyJsonRpc(body);
    return this.request(method, proxyPath, {
      proxied: true,
      idempotent: reads,
      readOnly: reads,
      ...(body === undefined ? {} : { body: { text: JSON.stringify(body), contentType: "application/json" } }),
    });
  }
}
