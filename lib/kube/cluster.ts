/**
 * The Kubernetes adapter for one cluster: server-side apply of the domain's manifests, node-key
 * Secrets, LoadBalancer addresses, pod readiness and HTTP through the API server's service proxy.
 *
 * Everything goes over the wire as JSON through one HTTPS request function authenticated by
 * @kubernetes/client-node's KubeConfig (CA, token or client certificate from the kubeconfig AKS
 * returns). NOTE: not through the client's typed APIs, because its model serializer drops
 * NetworkPolicy `from` (its `_from`), which would silently widen a policy; see manifests.ts.
 */
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node" with { "resolution-mode": "import" };
import { z } from "zod";
import { ClassifiedError, classifyHttpStatus, countsAsSuccess, classifyNetworkError, parseRetryAfter, type ErrorClassification } from "../errors";
import type { KubernetesManifest } from "../domain/manifests";

type KubeModule = typeof import("@kubernetes/client-node", { with: { "resolution-mode": "import" } });
let kubeModule: Promise<KubeModule> | undefined;

/** @kubernetes/client-node 2.x is an ES module; this CommonJS app loads it once, dynamically. */
export function loadKubeModule(): Promise<KubeModule> {
  kubeModule ??= import("@kubernetes/client-node");
  return kubeModule;
}

/** Per request: the simulated API server answers in milliseconds, a real one in well under this. */
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Idle keep-alive connections are dropped after this, before servers drop them (Node's HTTP
 * server after 5 s; Azure's load balancers after minutes), so that a reuse rarely meets a closed one.
 */
const IDLE_CONNECTION_MS = 2_000;
const MAX_STALE_CONNECTION_ATTEMPTS = 3;

const statusBodySchema = z.object({
  kind: z.literal("Status"),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
});

/** A request on a reused keep-alive connection that the server had already closed. */
class StaleConnectionError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

/** A non-2xx answer of the API server, with its `Status` reason (NotFound, AlreadyExists, Conflict…). */
export class KubeStatusError extends Error {
  override name = "KubeStatusError";
  constructor(readonly status: number, readonly reason: string, message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

/**
 * The one classifier for Kubernetes: API server `Status` answers, the typed client's
 * ApiException (`code` + `body`), network errors. AlreadyExists is reported as such so that
 * callers that create can treat it as success.
 */
export function classifyKubeError(error: unknown): ErrorClassification {
  if (error instanceof KubeStatusError) {
    if (error.status === 409 && error.reason === "AlreadyExists") return { retryable: false, kind: "alreadyExists", code: error.reason, message: error.message };
    // A stale resourceVersion or an apply conflict resolves on a fresh read: try again.
    if (error.status === 409 && error.reason === "Conflict") return { retryable: true, kind: "conflict", code: error.reason, message: error.message };
    return classifyHttpStatus(error.status, error.reason, error.message, error.retryAfterMs);
  }
  if (typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "number") {
    const status = (error as { code: number }).code;
    const body = (error as { body?: unknown }).body;
    const parsed = statusBodySchema.safeParse(typeof body === "string" ? safeJson(body) : body);
    const reason = parsed.success ? parsed.data.reason ?? `Http${status}` : `Http${status}`;
    return classifyKubeError(new KubeStatusError(status, reason, parsed.success ? parsed.data.message ?? reason : reason));
  }
  return classifyNetworkError(error) ?? { retryable: false, kind: "unknown", code: error instanceof Error ? error.name : "Unknown", message: error instanceof Error ? error.message : String(error) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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
  if (resource === undefined) throw new Error(`kind ${manifest.apiVersion}/${manifest.kind} is not managed by this adapter`);
  const prefix = manifest.apiVersion.includes("/") ? `/apis/${manifest.apiVersion}` : `/api/${manifest.apiVersion}`;
  const name = encodeURIComponent(manifest.metadata.name);
  if (!resource.namespaced) return `${prefix}/${resource.plural}/${name}`;
  const namespace = manifest.metadata.namespace;
  if (namespace === undefined) throw new Error(`${manifest.kind} ${manifest.metadata.name} needs a namespace`);
  return `${prefix}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}/${name}`;
}

export interface KubeResponse {
  status: number;
  text: string;
  json: unknown;
}

const secretSchema = z.object({ data: z.record(z.string(), z.string()).optional() }).loose();
const serviceSchema = z.object({ status: z.object({ loadBalancer: z.object({ ingress: z.array(z.object({ ip: z.string().optional(), hostname: z.string().optional() })).optional() }).optional() }).optional() }).loose();
const podSchema = z.object({
  status: z.object({
    phase: z.string().optional(),
    conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
    containerStatuses: z.array(z.object({
      name: z.string(),
      ready: z.boolean().optional(),
      state: z.object({ waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional() }).optional(),
    })).optional(),
  }).optional(),
}).loose();

/** A pod's readiness, with the reason when it is not ready. */
export type PodReadiness = { ready: true } | { ready: false; reason: string };

/**
 * A keep-alive agent with the kubeconfig's TLS material, or undefined when the cluster is reached
 * through a proxy (the client's own proxy agent stays in charge then). The client's agent does not
 * keep connections alive, so every request would pay a new TCP connection and TLS handshake:
 * verification alone makes hundreds of requests per cluster round.
 */
async function keepAliveAgent(kubeConfig: KubeConfig): Promise<HttpsAgent | undefined> {
  if (kubeConfig.getCurrentCluster()?.proxyUrl !== undefined) return undefined;
  const tls: RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(tls);
  return new HttpsAgent({
    keepAlive: true,
    timeout: IDLE_CONNECTION_MS,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    pfx: tls.pfx,
    passphrase: tls.passphrase,
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
  });
}

/** One cluster's API server, reached with the credentials of a kubeconfig held only here. */
export class KubeCluster {
  private constructor(private readonly kubeConfig: KubeConfig, private readonly server: string, private readonly agent: HttpsAgent | undefined) {}

  /** Builds a client from a kubeconfig (YAML); trusts the CA in it and nothing else. */
  static async fromKubeconfig(kubeconfig: string): Promise<KubeCluster> {
    const { KubeConfig: KubeConfigClass } = await loadKubeModule();
    const kubeConfig = new KubeConfigClass();
    try {
      kubeConfig.loadFromString(kubeconfig);
    } catch {
      // The parser's message quotes the document, which holds credentials: say only what failed.
      throw new ClassifiedError("load kubeconfig", { retryable: false, kind: "invalid", code: "InvalidKubeconfig", message: "the cluster's kubeconfig could not be parsed" });
    }
    const server = kubeConfig.getCurrentCluster()?.server;
    if (server === undefined) throw new Error("the kubeconfig names no current cluster");
    return new KubeCluster(kubeConfig, server.replace(/\/$/, ""), await keepAliveAgent(kubeConfig));
  }

  /** One HTTPS request to the API server; throws KubeStatusError for non-2xx answers. */
  async request(method: string, path: string, body?: { text: string; contentType: string }, accept = "application/json"): Promise<KubeResponse> {
    const options: RequestOptions = { method, timeout: REQUEST_TIMEOUT_MS, headers: {} };
    // Per request, so that credentials a plugin refreshes (exec, OIDC) are current.
    await this.kubeConfig.applyToHTTPSOptions(options);
    if (this.agent !== undefined) options.agent = this.agent;
    const headers: Record<string, string> = { Accept: accept };
    if (body !== undefined) {
      headers["Content-Type"] = body.contentType;
      headers["Content-Length"] = String(Buffer.byteLength(body.text));
    }
    options.headers = { ...options.headers, ...headers };
    const send = (): Promise<{ status: number; text: string; retryAfter?: string }> => new Promise((resolve, reject) => {
      const req = httpsRequest(`${this.server}${path}`, options, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const retryAfter = res.headers["retry-after"];
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8"), ...(typeof retryAfter === "string" ? { retryAfter } : {}) });
        });
      });
      req.on("timeout", () => req.destroy(Object.assign(new Error(`${method} ${path} timed out`), { code: "ETIMEDOUT" })));
      req.on("error", (error: NodeJS.ErrnoException) => reject(req.reusedSocket && error.code === "ECONNRESET" ? new StaleConnectionError(error) : error));
      if (body !== undefined) req.write(body.text);
      req.end();
    });
    let response: { status: number; text: string; retryAfter?: string } | undefined;
    for (let attempt = 1; response === undefined; attempt++) {
      try {
        response = await send();
      } catch (error) {
        // The server closed an idle keep-alive connection as we reused it: the request never
        // reached it, so sending again is safe (the pattern Node's documentation gives). Each
        // such connection is gone after its error, so a few attempts exhaust the stale ones.
        if (!(error instanceof StaleConnectionError)) throw error;
        if (attempt >= MAX_STALE_CONNECTION_ATTEMPTS) throw error.cause;
      }
    }
    const json = safeJson(response.text);
    if (response.status >= 400) {
      const status = statusBodySchema.safeParse(json);
      const reason = status.success ? status.data.reason ?? `Http${response.status}` : `Http${response.status}`;
      throw new KubeStatusError(response.status, reason, status.success ? status.data.message ?? reason : `${method} ${path} answered ${response.status}`, parseRetryAfter(response.retryAfter));
    }
    return { status: response.status, text: response.text, json };
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
      await this.request("PATCH", `${objectPath(manifest)}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`, { text: JSON.stringify(manifest), contentType: "application/apply-patch+yaml" });
    }
    return manifests.length;
  }

  /** An object as the API server stores it, or undefined when it does not exist. */
  async getObject(manifest: Pick<KubernetesManifest, "apiVersion" | "kind" | "metadata">): Promise<unknown> {
    return this.getOrUndefined(objectPath(manifest));
  }

  /** One entry of a Secret, decoded, or undefined when the Secret or the entry does not exist. */
  async readSecretEntry(namespace: string, name: string, entry: string): Promise<string | undefined> {
    const secret = secretSchema.safeParse(await this.getOrUndefined(`/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`));
    const value = secret.success ? secret.data.data?.[entry] : undefined;
    return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
  }

  /**
   * Creates a Secret only if none of that name exists (POST, never apply or replace), so an
   * existing key is never overwritten. Returns false when it already existed.
   */
  async createSecretIfAbsent(namespace: string, name: string, data: Record<string, string>, labels: Record<string, string>): Promise<boolean> {
    const body = {
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: { name, namespace, labels },
      data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, "utf8").toString("base64")])),
    };
    try {
      await this.request("POST", `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`, { text: JSON.stringify(body), contentType: "application/json" });
      return true;
    } catch (error) {
      if (countsAsSuccess(classifyKubeError(error), "create")) return false;
      throw error;
    }
  }

  /** The LoadBalancer address of a Service, or undefined while none is assigned. */
  async loadBalancerAddress(namespace: string, service: string): Promise<string | undefined> {
    const parsed = serviceSchema.safeParse(await this.getOrUndefined(`/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}`));
    const ingress = parsed.success ? parsed.data.status?.loadBalancer?.ingress?.[0] : undefined;
    return ingress?.ip ?? ingress?.hostname;
  }

  /** Whether a pod is Ready, and if not, the most telling reason. */
  async podReadiness(namespace: string, pod: string): Promise<PodReadiness> {
    const raw = await this.getOrUndefined(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}`);
    if (raw === undefined) return { ready: false, reason: `pod ${pod} does not exist` };
    const parsed = podSchema.safeParse(raw);
    const status = parsed.success ? parsed.data.status : undefined;
    if (status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True")) return { ready: true };
    const waiting = status?.containerStatuses?.find((container) => container.state?.waiting !== undefined)?.state?.waiting;
    const reason = waiting?.reason ?? (status?.phase === undefined ? "no status yet" : `phase ${status.phase}, not ready`);
    return { ready: false, reason: `pod ${pod}: ${reason}` };
  }

  /** Closes the idle keep-alive connections (the client is being dropped). */
  close(): void {
    this.agent?.destroy();
  }

  /** HTTP through the API server's service proxy to `service:port`, path relative to the pod's root. */
  async proxy(namespace: string, service: string, port: number, method: "GET" | "POST", path: string, body?: unknown): Promise<KubeResponse> {
    const proxyPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${port}/proxy/${path.replace(/^\//, "")}`;
    return this.request(method, proxyPath, body === undefined ? undefined : { text: JSON.stringify(body), contentType: "application/json" });
  }
}

/** Wraps a Kubernetes call so that what it throws carries its classification and step. */
export async function kubeStep<T>(step: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ClassifiedError) throw error;
    throw new ClassifiedError(step, classifyKubeError(error));
  }
}
