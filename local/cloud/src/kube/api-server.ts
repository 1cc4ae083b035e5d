/**
 * A cluster's Kubernetes API over HTTPS: authentication (the kubeconfigs' tokens and service
 * account tokens), faults, discovery, and the routing of resource requests, after RBAC, to the
 * verbs (CRUD, deletecollection, watch) and subresources: `status`, `scale` (scale.ts), a service
 * account's `token`, and `pods/log` and the service/pod proxies (proxy.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { BodyTooLargeError, LoopbackHttpsServer, sendJson } from "../http.js";
import type { FaultInjector } from "../faults.js";
import type { OperationLog } from "../oplog.js";
import type { ServerCertificate } from "../tls.js";
import type { SimClock } from "../clock.js";
import {
  apiGroupList,
  apiResourceList,
  findByPlural,
  qualifiedName,
  servesSubresource,
  type ResourceType,
} from "./catalog.js";
import type { AuthorizedRanges } from "./authorized-ranges.js";
import type { KubeCluster } from "./cluster.js";
import { KubeError } from "./errors.js";
import { PodOutputSubresources, type Streamed } from "./proxy.js";
import type { UserInfo } from "./rbac.js";
import { isWatch, mediaType, readObject, requestAttributes, writeOptionsOf } from "./request.js";
import { ScaleSubresource } from "./scale.js";

export interface ApiServerOptions {
  cluster: KubeCluster;
  certificate: ServerCertificate;
  /** Bearer tokens and whom each authenticates. */
  users: ReadonlyMap<string, UserInfo>;
  /** Who may connect at all (the cluster's apiServerAccessProfile). */
  authorizedRanges: AuthorizedRanges;
  faults: FaultInjector;
  operationLog: OperationLog;
  clock: SimClock;
  log: (line: string) => void;
}

type Answer = { status: number; body: unknown } | Streamed;

export class KubeApiServer {
  private readonly https: LoopbackHttpsServer;
  private readonly podOutput: PodOutputSubresources;
  private readonly scale: ScaleSubresource;

  constructor(private readonly options: ApiServerOptions) {
    this.podOutput = new PodOutputSubresources(options.cluster, options.log);
    this.scale = new ScaleSubresource(options.cluster);
    this.https = new LoopbackHttpsServer(
      options.certificate,
      (req, res) => this.handle(req, res),
      (address) => options.authorizedRanges.admits(address),
    );
  }

  start(): Promise<string> {
    return this.https.start();
  }

  close(): Promise<void> {
    return this.https.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const info = this.options.cluster.info;
    let operation = `${method} ${url.pathname}`;
    let fault: string | undefined;
    let status: number | string = 500;
    try {
      const token = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ""))?.[1];
      const user =
        token === undefined ? undefined : (this.options.users.get(token) ?? this.options.cluster.authenticate(token));
      if (user === undefined) throw new KubeError(401, "Unauthorized", "Unauthorized");
      const decision = this.options.faults.decide("kube", info.region);
      const latency = this.options.faults.latencyMs("kube", info.region);
      if (latency > 0) await this.options.clock.sleepWall(latency);
      if (decision.kind === "reset") {
        fault = decision.description;
        status = "reset";
        req.socket.destroy();
        return;
      }
      if (decision.kind === "429") {
        fault = decision.description;
        throw new KubeError(
          429,
          "TooManyRequests",
          "the server has received too many requests and has asked us to try again later",
          { retryAfterSeconds: 1 },
        );
      }
      if (decision.kind === "5xx") {
        fault = decision.description;
        throw new KubeError(
          decision.status,
          decision.status === 503 ? "ServiceUnavailable" : "InternalError",
          "an error on the server has prevented the request from succeeding",
        );
      }
      const answer = await this.route(user, method, url, req, res, (name) => {
        operation = name;
      });
      if ("proxied" in answer) {
        status = "proxied";
        return;
      }
      status = answer.status;
      sendJson(res, answer.status, answer.body);
    } catch (error) {
      const kubeError =
        error instanceof KubeError
          ? error
          : error instanceof BodyTooLargeError
            ? new KubeError(413, "RequestEntityTooLarge", error.message)
            : error instanceof URIError
              ? new KubeError(400, "BadRequest", "the request path holds a malformed percent-encoding")
              : new KubeError(500, "InternalError", "an error on the server has prevented the request from succeeding");
      if (kubeError.code === 500 && !(error instanceof KubeError)) {
        this.options.log(
          `${info.key}: Kubernetes API internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
      status = kubeError.code;
      sendJson(res, kubeError.code, kubeError.status(), kubeError.code === 429 ? { "Retry-After": "1" } : {});
    } finally {
      const record = (finalStatus: number | string): void =>
        this.options.operationLog.record({
          time: new Date(started).toISOString(),
          target: "kube",
          region: info.region,
          cluster: info.key,
          operation,
          status: finalStatus,
          durationMs: Date.now() - started,
          throttled: finalStatus === 429,
          ...(fault === undefined ? {} : { fault }),
        });
      // A proxied or streamed answer may finish later: log it with its real status then.
      if (status === "proxied" && !res.writableFinished) res.once("close", () => record(res.statusCode));
      else record(status === "proxied" ? res.statusCode : status);
    }
  }

  private async route(
    user: UserInfo,
    method: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
    setOperation: (name: string) => void,
  ): Promise<Answer> {
    const cluster = this.options.cluster;
    const segments = url.pathname
      .split("/")
      .filter((segment) => segment !== "")
      .map((segment) => decodeURIComponent(segment));
    if (method === "GET" && segments.length === 1) {
      if (segments[0] === "version") {
        const [major = "1", minor = "31"] = cluster.info.kubernetesVersion.split(".");
        return {
          status: 200,
          body: { major, minor, gitVersion: `v${cluster.info.kubernetesVersion}`, platform: "linux/amd64" },
        };
      }
      if (segments[0] === "healthz" || segments[0] === "readyz" || segments[0] === "livez") {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end("ok");
        return { proxied: true };
      }
      if (segments[0] === "api")
        return {
          status: 200,
          body: {
            kind: "APIVersions",
            versions: ["v1"],
            serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1:443" }],
          },
        };
      if (segments[0] === "apis") return { status: 200, body: apiGroupList() };
    }
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === "api" && segments[1] !== undefined) {
      group = "";
      version = segments[1];
      rest = segments.slice(2);
    } else if (segments[0] === "apis" && segments[1] !== undefined && segments[2] !== undefined) {
      group = segments[1];
      version = segments[2];
      rest = segments.slice(3);
    } else {
      throw new KubeError(404, "NotFound", "the server could not find the requested resource");
    }
    if (rest.length === 0) {
      const list = method === "GET" ? apiResourceList(group, version) : undefined;
      if (list === undefined) throw new KubeError(404, "NotFound", "the server could not find the requested resource");
      return { status: 200, body: list };
    }
    let namespace: string | undefined;
    const namespacedPlural =
      rest[0] === "namespaces" && rest[1] !== undefined && rest[2] !== undefined
        ? findByPlural(group, version, rest[2])
        : undefined;
    if (namespacedPlural?.namespaced === true) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const resourceType = findByPlural(group, version, rest[0] ?? "");
    if (resourceType === undefined)
      throw new KubeError(404, "NotFound", "the server could not find the requested resource");
    const name = rest[1];
    const subresource = rest[2];
    setOperation(`${method} ${qualifiedName(resourceType)}${subresource === undefined ? "" : `/${subresource}`}`);
    cluster.authorize(user, requestAttributes(method, url, resourceType, namespace, name, subresource));
    const options = writeOptionsOf(url, req);
    const labelSelector = url.searchParams.get("labelSelector");
    const fieldSelector = url.searchParams.get("fieldSelector");
    if (name === undefined) {
      if (method === "GET") {
        if (isWatch(url)) return this.watch(resourceType, namespace, url, req, res);
        return { status: 200, body: cluster.list(resourceType, namespace, labelSelector, fieldSelector) };
      }
      if (method === "DELETE")
        return { status: 200, body: cluster.deleteCollection(resourceType, namespace, labelSelector, fieldSelector) };
      if (method === "POST") {
        if (resourceType.namespaced && namespace === undefined)
          throw new KubeError(404, "NotFound", "the server could not find the requested resource");
        return { status: 201, body: cluster.create(resourceType, namespace, await readObject(req), options) };
      }
      throw new KubeError(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`);
    }
    if (resourceType.namespaced && namespace === undefined)
      throw new KubeError(404, "NotFound", "the server could not find the requested resource");
    // Only a proxy takes a path after its subresource.
    if (
      (subresource !== undefined && !servesSubresource(resourceType, subresource)) ||
      (rest.length > 3 && subresource !== "proxy")
    )
      throw new KubeError(404, "NotFound", "the server could not find the requested resource");
    if (subresource !== undefined && subresource !== "status") {
      // Clients encode a proxied path as one parameter (`a%2Fb`): the API server forwards it decoded.
      const proxiedPath = segments.slice(segments.length - rest.length + 3).join("/");
      return this.subresource(method, resourceType, namespace ?? "", name, subresource, proxiedPath, url, req, res);
    }
    const statusOnly = subresource === "status" ? "status" : undefined;
    switch (method) {
      case "GET":
        return { status: 200, body: cluster.get(resourceType, namespace, name) };
      case "PUT":
        return {
          status: 200,
          body: cluster.replace(resourceType, namespace, name, await readObject(req), options, statusOnly),
        };
      case "PATCH": {
        const type = mediaType(req);
        const force = url.searchParams.get("force") === "true";
        if (force && type !== "application/apply-patch+yaml")
          throw new KubeError(422, "Invalid", "force: Forbidden: may not be specified for non-apply patch");
        const explicitManager = url.searchParams.get("fieldManager");
        const result = cluster.patch(
          resourceType,
          namespace,
          name,
          type,
          await readObject(req),
          {
            fieldManager:
              type === "application/apply-patch+yaml" ? (explicitManager ?? undefined) : options.fieldManager,
            dryRun: options.dryRun,
            force,
          },
          statusOnly,
        );
        return { status: result.created ? 201 : 200, body: result.object };
      }
      case "DELETE":
        return { status: 200, body: cluster.delete(resourceType, namespace, name) };
      default:
        throw new KubeError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    }
  }

  /** The served subresources other than `status` (catalog.ts): a pod's log, the proxies, a service account's token, a workload's scale. */
  private async subresource(
    method: string,
    resourceType: ResourceType,
    namespace: string,
    name: string,
    subresource: string,
    proxiedPath: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<Answer> {
    const notAllowed = new KubeError(
      405,
      "MethodNotAllowed",
      "the server does not allow this method on the requested resource",
    );
    if (subresource === "proxy") return this.podOutput.proxy(resourceType, namespace, name, proxiedPath, url, req, res);
    if (subresource === "log") {
      if (method !== "GET") throw notAllowed;
      return this.podOutput.podLog(namespace, name, url, res);
    }
    if (subresource === "token") {
      if (method !== "POST") throw notAllowed;
      return { status: 201, body: this.options.cluster.requestToken(namespace, name, await readObject(req)) };
    }
    const options = writeOptionsOf(url, req);
    switch (method) {
      case "GET":
        return { status: 200, body: this.scale.get(resourceType, namespace, name) };
      case "PUT":
        return { status: 200, body: this.scale.replace(resourceType, namespace, name, await readObject(req), options) };
      case "PATCH":
        return {
          status: 200,
          body: this.scale.patch(resourceType, namespace, name, mediaType(req), await readObject(req), options),
        };
      default:
        throw notAllowed;
    }
  }

  /** A watch: one JSON event per line until the client goes away or `timeoutSeconds` pass. */
  private watch(
    resourceType: ResourceType,
    namespace: string | undefined,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Answer {
    let started = false;
    const send = (event: { type: string; object: unknown }): void => {
      if (!started) {
        res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
        started = true;
      }
      if (!res.writableEnded) res.write(`${JSON.stringify(event)}\n`);
    };
    const stop = this.options.cluster.watch(
      resourceType,
      namespace,
      url.searchParams.get("labelSelector"),
      url.searchParams.get("fieldSelector"),
      url.searchParams.get("resourceVersion"),
      send,
    );
    if (!started) {
      res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
      started = true;
    }
    const timeoutSeconds = Number(url.searchParams.get("timeoutSeconds"));
    const timer =
      Number.isFinite(timeoutSeconds) && timeoutSeconds > 0
        ? setTimeout(() => res.end(), timeoutSeconds * 1000)
        : undefined;
    const finish = (): void => {
      stop();
      if (timer !== undefined) clearTimeout(timer);
    };
    req.on("close", finish);
    res.on("close", finish);
    return { proxied: true };
  }
}
