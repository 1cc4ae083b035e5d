/**
 * The subresources of a cluster's API that answer with a pod's own output rather than an object:
 * `pods/log`, and `services/{name}[:port]/proxy/…` and `pods/{name}[:port]/proxy/…`, which forward
 * the request to the container serving that port — from where the API server enters the cluster
 * network (network-policies.ts), so the NetworkPolicies decide whether the connection gets through.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isRecord } from "../http.js";
import type { ResourceType } from "./catalog.js";
import type { KubeCluster } from "./cluster.js";
import { KubeError, notFound } from "./errors.js";
import { API_SERVER_PROXY_SOURCE } from "./network-policies.js";

/** The answer has been written to the response (or will be, by the container). */
export interface Streamed {
  proxied: true;
}

export class PodOutputSubresources {
  /** Round-robin over a Service's endpoints, as kube-proxy spreads connections. */
  private proxyCursor = 0;

  constructor(
    private readonly cluster: KubeCluster,
    private readonly log: (line: string) => void,
  ) {}

  podLog(namespace: string, name: string, url: URL, res: ServerResponse): Streamed {
    const cluster = this.cluster;
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
  proxy(
    resourceType: ResourceType,
    namespace: string,
    nameWithPort: string,
    path: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Streamed {
    const cluster = this.cluster;
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
      // The pods the Service routes to (network.ts): ready ones, or all when it publishes not-ready addresses.
      targets = cluster.serviceEndpoints(service, Number(port.port)).map((endpoint) => ({
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
    // A connection a NetworkPolicy drops is never answered: the API server gives up on the dial.
    if (!cluster.admitsConnection(target.namespace, target.podName, target.port, API_SERVER_PROXY_SOURCE))
      throw new KubeError(
        503,
        "ServiceUnavailable",
        `error trying to reach service: dial tcp ${target.podIP}:${target.port}: i/o timeout`,
      );
    req.url = `/${encodeURI(path)}${url.search}`;
    let served: boolean;
    try {
      served = container.handleHttp(target.port, req, res);
    } catch (error) {
      this.log(
        `${cluster.info.key}: container ${target.namespace}/${target.podName}/${target.containerName} failed on a proxied request: ${error instanceof Error ? error.message : String(error)}`,
      );
      throw new KubeError(502, "InternalError", `error trying to reach service: the container failed to answer`);
    }
    if (!served) throw refused;
    return { proxied: true };
  }
}
