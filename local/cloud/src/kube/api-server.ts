/**
 * A cluster's Kubernetes API over HTTPS: discovery, CRUD on the served resource types with
 * Kubernetes' status codes and Status bodies, pods/log, and the service/pod proxy subresources
 * that forward to the running containers.
 */
import type { AuthorizedRanges } from "./authorized-ranges.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { BodyTooLargeError, isRecord, LoopbackHttpsServer, readBody, sendJson } from "../http.js";
import type { FaultInjector } from "../faults.js";
import type { OperationLog } from "../oplog.js";
import type { ServerCertificate } from "../tls.js";
import type { SimClock } from "../clock.js";
import { apiGroupList, apiResourceList, findByPlural, qualifiedName, type ResourceType } from "./catalog.js";
import type { KubeCluster } from "./cluster.js";
import { KubeError, notFound } from "./errors.js";
import type { RequestAttributes, UserInfo } from "./rbac.js";

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

type Answer = { status: number; body: unknown } | { proxied: true };

function mediaType(req: IncomingMessage): string {
  return (
    String(req.headers["content-type"] ?? "application/json")
      .split(";")[0]
      ?.trim()
      .toLowerCase() ?? "application/json"
  );
}

/** Field manager for non-apply writes: the `fieldManager` parameter, else the client's user agent as the API server derives it. */
function fieldManagerOf(url: URL, req: IncomingMessage): string {
  const explicit = url.searchParams.get("fieldManager");
  if (explicit !== null && explicit !== "") return explicit;
  const agent = String(req.headers["user-agent"] ?? "unknown");
  return agent.split("/")[0] || "unknown";
}

/** The authorizer's view of a request: the verb Kubernetes derives from the method and the path. */
function requestAttributes(
  method: string,
  url: URL,
  resourceType: ResourceType,
  namespace: string | undefined,
  name: string | undefined,
): RequestAttributes {
  const watching = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
  const verbs: Record<string, string> = {
    GET: name !== undefined ? "get" : watching ? "watch" : "list",
    POST: "create",
    PUT: "update",
    PATCH: "patch",
    DELETE: name === undefined ? "deletecollection" : "delete",
  };
  return {
    verb: verbs[method] ?? method.toLowerCase(),
    group: resourceType.group,
    resource: resourceType.plural,
    namespace,
    name: method === "POST" ? undefined : name,
  };
}

export class KubeApiServer {
  private readonly https: LoopbackHttpsServer;
  private proxyCursor = 0;

  constructor(private readonly options: ApiServerOptions) {
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
      const user = token === undefined ? undefined : this.options.users.get(token);
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

  private async readObject(req: IncomingMessage): Promise<unknown> {
    const raw = (await readBody(req)).toString("utf8");
    if (raw.trim() === "") throw new KubeError(400, "BadRequest", "the request body is empty");
    try {
      const type = mediaType(req);
      return type.includes("yaml") ? (parseYaml(raw) as unknown) : (JSON.parse(raw) as unknown);
    } catch (error) {
      throw new KubeError(
        400,
        "BadRequest",
        `the body of the request could not be decoded: ${error instanceof Error ? error.message : "invalid"}`,
      );
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
    const nameWithPort = rest[1];
    const subresource = rest[2];
    setOperation(`${method} ${qualifiedName(resourceType)}${subresource === undefined ? "" : `/${subresource}`}`);
    if (
      subresource === "proxy" &&
      nameWithPort !== undefined &&
      (resourceType.plural === "services" || resourceType.plural === "pods")
    ) {
      // Clients encode the proxied path as one parameter (`a%2Fb`): the API server forwards it decoded.
      const proxiedPath = segments.slice(segments.length - rest.length + 3).join("/");
      return this.proxy(resourceType, namespace ?? "default", nameWithPort, proxiedPath, url, req, res);
    }
    const name = nameWithPort;
    cluster.authorize(user, requestAttributes(method, url, resourceType, namespace, name));
    const fieldManager = fieldManagerOf(url, req);
    const dryRun = url.searchParams.get("dryRun") === "All";
    if (name === undefined) {
      if (method === "GET") {
        if (url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1")
          return this.watch(resourceType, namespace, url, req, res);
        return {
          status: 200,
          body: cluster.list(
            resourceType,
            namespace,
            url.searchParams.get("labelSelector"),
            url.searchParams.get("fieldSelector"),
          ),
        };
      }
      if (method === "POST") {
        if (resourceType.namespaced && namespace === undefined)
          throw new KubeError(404, "NotFound", "the server could not find the requested resource");
        return {
          status: 201,
          body: cluster.create(resourceType, namespace, await this.readObject(req), { fieldManager, dryRun }),
        };
      }
      throw new KubeError(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`);
    }
    if (resourceType.namespaced && namespace === undefined)
      throw new KubeError(404, "NotFound", "the server could not find the requested resource");
    if (subresource === "log" && resourceType.plural === "pods" && method === "GET")
      return this.podLog(namespace ?? "default", name, url, res);
    if (subresource !== undefined && subresource !== "status")
      throw new KubeError(404, "NotFound", "the server could not find the requested resource");
    const statusOnly = subresource === "status" ? "status" : undefined;
    switch (method) {
      case "GET":
        return { status: 200, body: cluster.get(resourceType, namespace, name) };
      case "PUT":
        return {
          status: 200,
          body: cluster.replace(
            resourceType,
            namespace,
            name,
            await this.readObject(req),
            { fieldManager, dryRun },
            statusOnly,
          ),
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
          await this.readObject(req),
          {
            fieldManager: type === "application/apply-patch+yaml" ? (explicitManager ?? undefined) : fieldManager,
            dryRun,
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

  private podLog(namespace: string, name: string, url: URL, res: ServerResponse): Answer {
    const cluster = this.options.cluster;
    const pod = cluster.read("pods", namespace, name);
    if (pod === undefined) throw notFound("pods", name, "", "pods");
    const containers =
      isRecord(pod.spec) && Array.isArray(pod.spec.containers)
        ? pod.spec.containers.filter(isRecord).map((container) => String(container.name))
        : [];
    const requested = url.searchParams.get("container");
    const container = requested ?? (containers.length === 1 ? containers[0] : undefined);
    if (container === undefined)
      throw new KubeError(
        400,
        "BadRequest",
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]`,
      );
    if (!containers.includes(container))
      throw new KubeError(400, "BadRequest", `container ${container} is not valid for pod ${name}`);
    let lines = cluster.podLifecycle(namespace, name)?.logLines(container) ?? [];
    const tailParameter = url.searchParams.get("tailLines");
    const tail = tailParameter === null ? Number.NaN : Number(tailParameter);
    if (Number.isInteger(tail) && tail >= 0) lines = lines.slice(Math.max(0, lines.length - tail));
    const text = lines.map((line) => `${line}\n`).join("");
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": String(Buffer.byteLength(text)) });
    res.end(text);
    return { proxied: true };
  }

  /** `services/{name}[:port]/proxy/...` and `pods/{name}[:port]/proxy/...`: forwards to the container serving that port. */
  private proxy(
    resourceType: ResourceType,
    namespace: string,
    nameWithPort: string,
    path: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Answer {
    const cluster = this.options.cluster;
    const [name = "", portName] = /^(?:https?:)?([^:]+)(?::(.+))?$/.exec(nameWithPort)?.slice(1) ?? [];
    let targets: { namespace: string; podName: string; containerName: string; port: number; podIP: string }[];
    if (resourceType.plural === "services") {
      const service = cluster.read("services", namespace, name);
      if (service === undefined) throw notFound("services", name, "", "services");
      const ports =
        isRecord(service.spec) && Array.isArray(service.spec.ports) ? service.spec.ports.filter(isRecord) : [];
      const port =
        portName === undefined
          ? ports[0]
          : ports.find((candidate) => candidate.name === portName || String(candidate.port) === portName);
      if (port === undefined)
        throw new KubeError(503, "ServiceUnavailable", `no endpoints available for service "${name}"`);
      targets = cluster
        .serviceEndpoints(service, Number(port.port))
        .filter(
          (endpoint) =>
            cluster.podLifecycle(endpoint.location.namespace, endpoint.location.podName)?.isReady() === true,
        )
        .map((endpoint) => ({
          namespace: endpoint.location.namespace,
          podName: endpoint.location.podName,
          containerName: endpoint.containerName,
          port: endpoint.port,
          podIP: endpoint.location.podIP,
        }));
      if (targets.length === 0)
        throw new KubeError(503, "ServiceUnavailable", `no endpoints available for service "${name}"`);
    } else {
      const pod = cluster.read("pods", namespace, name);
      if (pod === undefined) throw notFound("pods", name, "", "pods");
      const ip = cluster.podLifecycle(namespace, name)?.ip;
      const containers =
        isRecord(pod.spec) && Array.isArray(pod.spec.containers) ? pod.spec.containers.filter(isRecord) : [];
      const declared = containers.flatMap((container) =>
        (Array.isArray(container.ports) ? container.ports.filter(isRecord) : []).map((port) => ({
          container: String(container.name),
          port: Number(port.containerPort),
          name: port.name,
        })),
      );
      const chosen =
        portName === undefined
          ? declared[0]
          : (declared.find((candidate) => candidate.name === portName || String(candidate.port) === portName) ??
            (Number.isInteger(Number(portName))
              ? { container: String(containers[0]?.name ?? ""), port: Number(portName) }
              : undefined));
      if (ip === undefined || chosen === undefined)
        throw new KubeError(503, "ServiceUnavailable", `pod "${name}" has no address or port to proxy to`);
      targets = [{ namespace, podName: name, containerName: chosen.container, port: chosen.port, podIP: ip }];
    }
    const target = targets[this.proxyCursor++ % targets.length];
    if (target === undefined)
      throw new KubeError(503, "ServiceUnavailable", `no endpoints available for service "${name}"`);
    const container = cluster.podLifecycle(target.namespace, target.podName)?.running().get(target.containerName);
    const refused = new KubeError(
      503,
      "ServiceUnavailable",
      `error trying to reach service: dial tcp ${target.podIP}:${target.port}: connect: connection refused`,
    );
    if (container === undefined) throw refused;
    req.url = `/${encodeURI(path)}${url.search}`;
    let served: boolean;
    try {
      served = container.handleHttp(target.port, req, res);
    } catch (error) {
      this.options.log(
        `${cluster.info.key}: container ${target.namespace}/${target.podName}/${target.containerName} failed on a proxied request: ${error instanceof Error ? error.message : String(error)}`,
      );
      throw new KubeError(502, "InternalError", `error trying to reach service: the container failed to answer`);
    }
    if (!served) throw refused;
    return { proxied: true };
  }
}
