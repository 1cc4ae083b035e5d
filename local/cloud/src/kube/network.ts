/**
 * The network inside one cluster, as a pod sees it: which pods and container ports an address
 * leads to (pod IPs, Service cluster IPs, Service DNS names, headless Services and a StatefulSet
 * pod's stable name), which pods a Service's port reaches, and which Service holds one of the
 * cluster's LoadBalancer IPs. Routing between clusters is the KubeWorld's.
 */
import { isRecord } from "../http.js";
import type { ClusterInfo } from "../cluster-host.js";
import type { PodEndpoint } from "./container-runtime.js";
import { podLocation, type Kubelets } from "./kubelets.js";
import { asList, loadBalancerIPs, metadataOf, type KubeObject } from "./objects.js";
import { matchesMapSelector } from "./selectors.js";
import type { ObjectStore } from "./store.js";

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

export class ClusterNetwork {
  constructor(
    private readonly info: ClusterInfo,
    private readonly store: ObjectStore,
    private readonly kubelets: Kubelets,
  ) {}

  /** Pods selected by a Service, with the container and port a service port leads to. */
  serviceEndpoints(service: KubeObject, servicePort: number): PodEndpoint[] {
    const metadata = metadataOf(service);
    const spec = isRecord(service.spec) ? service.spec : {};
    const port = asList(spec.ports).find((candidate) => candidate.port === servicePort);
    if (port === undefined) return [];
    const endpoints: PodEndpoint[] = [];
    for (const { pod, lifecycle } of this.kubelets.storedPods()) {
      const podMeta = metadataOf(pod);
      if (
        podMeta.namespace !== metadata.namespace ||
        !matchesMapSelector(spec.selector, podMeta.labels) ||
        lifecycle?.ip === undefined
      )
        continue;
      const target = targetOf(pod, port.targetPort ?? port.port);
      if (target !== undefined) endpoints.push(this.endpoint(pod, lifecycle.ip, target.container, target.port));
    }
    return endpoints;
  }

  /** Resolves an address as seen from inside this cluster (see `ContainerEnvironment.resolve`); undefined when it is not this cluster's. */
  resolveLocal(fromNamespace: string, host: string, port: number): PodEndpoint[] | undefined {
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
    // <pod>.<headless service>[.<namespace>]: a StatefulSet pod's stable name.
    if (parts.length === 2 || parts.length === 3) {
      const [podName = "", serviceName = "", namespace = fromNamespace] = parts;
      const service = this.store.stored("services", namespace, serviceName);
      const pod = this.store.stored("pods", namespace, podName);
      const ip = this.kubelets.lifecycle(namespace, podName)?.ip;
      if (
        service !== undefined &&
        pod !== undefined &&
        ip !== undefined &&
        isRecord(pod.spec) &&
        pod.spec.subdomain === serviceName
      )
        return this.podEndpoints(pod, ip, port);
    }
    return undefined;
  }

  /** The Service behind one of this cluster's LoadBalancer external IPs. */
  serviceByExternalIP(ip: string): KubeObject | undefined {
    return this.store.all("services").find((service) => loadBalancerIPs(service).includes(ip));
  }

  private headlessEndpoints(service: KubeObject, port: number): PodEndpoint[] {
    const metadata = metadataOf(service);
    const spec = isRecord(service.spec) ? service.spec : {};
    return this.kubelets
      .storedPods()
      .filter(
        ({ pod, lifecycle }) =>
          metadataOf(pod).namespace === metadata.namespace &&
          matchesMapSelector(spec.selector, metadataOf(pod).labels) &&
          lifecycle?.ip !== undefined,
      )
      .flatMap(({ pod, lifecycle }) => (lifecycle?.ip === undefined ? [] : this.podEndpoints(pod, lifecycle.ip, port)));
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
