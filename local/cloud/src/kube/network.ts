/**
 * The network inside one cluster, as a pod sees it: which pods and container ports an address
 * leads to (pod IPs, Service cluster IPs, Service DNS names, headless Services and a StatefulSet
 * pod's stable name), which pods a Service's port reaches, and which Service holds one of the
 * cluster's LoadBalancer IPs. Routing between clusters is the KubeWorld's.
 * Which pods a Service routes to is decided in one place, `selectedPods`, for its Endpoints, its
 * cluster IP, its LoadBalancer IP, its DNS names and the API server's service proxy alike; whether
 * the NetworkPolicies let a connection into a pod, in `admits`.
 */
import { isRecord } from "../http.js";
import type { ClusterInfo } from "../cluster-host.js";
import type { PodEndpoint } from "./container-runtime.js";
import { podLocation, type Kubelets } from "./kubelets.js";
import type { PodRun } from "./pods.js";
import { asList, loadBalancerIPs, metadataOf, type KubeObject } from "./objects.js";
import { admitsIngress, type PodSource, type TrafficPort, type TrafficSource } from "./network-policies.js";
import { matchesMapSelector } from "./selectors.js";
import type { ObjectStore } from "./store.js";

/** A pod a Service selects that has an address; `routed` when the Service sends traffic to it. */
export interface SelectedPod {
  pod: KubeObject;
  ip: string;
  /** Ready, or any pod of a Service that publishes not-ready addresses. */
  routed: boolean;
}

/** The container and port of a pod a target port (number or port name) leads to. */
function targetOf(pod: KubeObject, targetPort: unknown): { container: string; port: number } | undefined {
  const containers = isRecord(pod.spec) ? asList(pod.spec.containers) : [];
  for (const container of containers) {
    for (const port of asList(container.ports)) {
      if (port.containerPort === targetPort || (typeof targetPort === "string" && port.name === targetPort))
        return { container: String(container.name), port: Number(port.containerPort) };
    }
  }
  // A numeric target port reaches the pod even when no container declares it (as on a real network).
  const first = containers[0];
  return typeof targetPort === "number" && first !== undefined
    ? { container: String(first.name), port: targetPort }
    : undefined;
}

/** Whether a Service selects a pod (same namespace, selector matching, an IP given), and whether it routes to it. */
function selection(service: KubeObject, pod: KubeObject, lifecycle: PodRun | undefined): SelectedPod | undefined {
  const spec = isRecord(service.spec) ? service.spec : {};
  const podMeta = metadataOf(pod);
  if (
    podMeta.namespace !== metadataOf(service).namespace ||
    !matchesMapSelector(spec.selector, podMeta.labels) ||
    lifecycle?.ip === undefined
  )
    return undefined;
  return { pod, ip: lifecycle.ip, routed: spec.publishNotReadyAddresses === true || lifecycle.isReady() };
}

export class ClusterNetwork {
  constructor(
    private readonly info: ClusterInfo,
    private readonly store: ObjectStore,
    private readonly kubelets: Kubelets,
  ) {}

  /**
   * The pods a Service selects (same namespace, selector matching, an IP given), each marked whether
   * the Service routes to it: a ready pod always, a pod that is not ready only when the Service sets
   * `publishNotReadyAddresses`.
   */
  selectedPods(service: KubeObject): SelectedPod[] {
    return this.kubelets.storedPods().flatMap(({ pod, lifecycle }) => {
      const selected = selection(service, pod, lifecycle);
      return selected === undefined ? [] : [selected];
    });
  }

  /** The pods a Service routes a service port to, with the container and port it leads to. */
  serviceEndpoints(service: KubeObject, servicePort: number): PodEndpoint[] {
    const spec = isRecord(service.spec) ? service.spec : {};
    const port = asList(spec.ports).find((candidate) => candidate.port === servicePort);
    if (port === undefined) return [];
    return this.selectedPods(service).flatMap(({ pod, ip, routed }) => {
      const target = routed ? targetOf(pod, port.targetPort ?? port.port) : undefined;
      return target === undefined ? [] : [this.endpoint(pod, ip, target.container, target.port)];
    });
  }

  /**
   * Resolves an address as seen from a pod of this cluster (see `ContainerEnvironment.resolve`) to
   * the endpoints its NetworkPolicies let the pod's connection into; undefined when it is not this
   * cluster's address.
   */
  resolveLocal(from: PodSource, host: string, port: number): PodEndpoint[] | undefined {
    return this.addressEndpoints(from.namespace, host, port)?.filter((endpoint) => {
      const { namespace, podName } = endpoint.location;
      const pod = this.store.stored("pods", namespace, podName);
      return pod !== undefined && this.admits(pod, { port: endpoint.port, protocol: "TCP" }, from);
    });
  }

  /** Every endpoint an address leads to from `fromNamespace`, before NetworkPolicies. */
  private addressEndpoints(fromNamespace: string, host: string, port: number): PodEndpoint[] | undefined {
    for (const { pod, lifecycle } of this.kubelets.storedPods()) {
      if (lifecycle?.ip === host) return this.podEndpoints(pod, host, port);
    }
    const byClusterIP = this.store
      .all("services")
      .find((service) => isRecord(service.spec) && service.spec.clusterIP === host && host !== "None");
    if (byClusterIP !== undefined) return this.serviceEndpoints(byClusterIP, port);
    const name = host
      .toLowerCase()
      .replace(/\.$/, "")
      .replace(/\.svc\.cluster\.local$/, "")
      .replace(/\.svc$/, "");
    const parts = name.split(".");
    if (parts.length === 1 || parts.length === 2) {
      const service = this.store.stored("services", parts[1] ?? fromNamespace, parts[0] ?? "");
      if (service !== undefined) {
        if (isRecord(service.spec) && service.spec.clusterIP === "None") return this.headlessEndpoints(service, port);
        return this.serviceEndpoints(service, port);
      }
    }
    // <pod>.<headless service>[.<namespace>]: a StatefulSet pod's stable name, while the Service routes to it.
    if (parts.length === 2 || parts.length === 3) {
      const [podName = "", serviceName = "", namespace = fromNamespace] = parts;
      const service = this.store.stored("services", namespace, serviceName);
      const named = service === undefined ? undefined : this.routedPod(service, podName);
      if (named !== undefined && isRecord(named.pod.spec) && named.pod.spec.subdomain === serviceName)
        return this.podEndpoints(named.pod, named.ip, port);
    }
    return undefined;
  }

  /** Whether the cluster's NetworkPolicies let a connection from `source` into a pod's port (network-policies.ts). */
  admits(pod: KubeObject, port: TrafficPort, source: TrafficSource): boolean {
    return admitsIngress(this.store.all("networkpolicies"), pod, port, source, (namespace) => {
      const labels = this.store.stored("namespaces", undefined, namespace)?.metadata;
      return isRecord(labels) && isRecord(labels.labels) ? labels.labels : undefined;
    });
  }

  /** The Service behind one of this cluster's LoadBalancer external IPs. */
  serviceByExternalIP(ip: string): KubeObject | undefined {
    return this.store.all("services").find((service) => loadBalancerIPs(service).includes(ip));
  }

  private headlessEndpoints(service: KubeObject, port: number): PodEndpoint[] {
    return this.selectedPods(service).flatMap(({ pod, ip, routed }) =>
      routed ? this.podEndpoints(pod, ip, port) : [],
    );
  }

  /** One named pod, when the Service routes to it (looked up, not searched: names resolve on every peer dial). */
  private routedPod(service: KubeObject, podName: string): SelectedPod | undefined {
    const namespace = String(metadataOf(service).namespace);
    const pod = this.store.stored("pods", namespace, podName);
    const selected =
      pod === undefined ? undefined : selection(service, pod, this.kubelets.lifecycle(namespace, podName));
    return selected?.routed === true ? selected : undefined;
  }

  /** The one pod endpoint a port of a pod leads to, or none. */
  private podEndpoints(pod: KubeObject, ip: string, port: number): PodEndpoint[] {
    const target = targetOf(pod, port);
    return target === undefined ? [] : [this.endpoint(pod, ip, target.container, target.port)];
  }

  private endpoint(pod: KubeObject, ip: string, container: string, port: number): PodEndpoint {
    const metadata = metadataOf(pod);
    return {
      location: { ...podLocation(this.info, String(metadata.namespace), String(metadata.name)), podIP: ip },
      containerName: container,
      port,
    };
  }
}
