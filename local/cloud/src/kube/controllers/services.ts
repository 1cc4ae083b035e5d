/**
 * The Service controllers: Azure's cloud provider, which gives a LoadBalancer Service a public IP
 * after a while and takes it back when the Service goes or changes type, and the Endpoints
 * controller, which keeps a Service's Endpoints in step with the pods it selects: those it routes
 * to as addresses, the others as notReadyAddresses (network.ts decides which).
 */
import { isRecord } from "../../http.js";
import type { ClusterInfo } from "../../cluster-host.js";
import { jitteredDuration } from "../../clock.js";
import type { ClusterHost } from "../host.js";
import type { ClusterNetwork } from "../network.js";
import { asList, deepEqual, loadBalancerIPs, metadataOf, objectKey, type KubeObject } from "../objects.js";
import type { ObjectStore } from "../store.js";
import type { ObjectWrites } from "../writes.js";

const second = 1000;
/** Azure takes 30–90 s to give a public IP to a new LoadBalancer Service. */
const loadBalancerDelay: readonly [number, number] = [30 * second, 90 * second];

export class ServiceController {
  /** Services waiting for their LoadBalancer IP, by `namespace/name`: cancels the wait. */
  private readonly pendingIPs = new Map<string, () => void>();

  constructor(
    private readonly info: ClusterInfo,
    private readonly host: ClusterHost,
    private readonly store: ObjectStore,
    private readonly writes: ObjectWrites,
    private readonly network: ClusterNetwork,
  ) {}

  reconcile(service: KubeObject): void {
    const metadata = metadataOf(service);
    const namespace = String(metadata.namespace);
    const name = String(metadata.name);
    const spec = isRecord(service.spec) ? service.spec : {};
    const ips = loadBalancerIPs(service);
    if (spec.type === "LoadBalancer" && ips.length === 0 && !this.pendingIPs.has(objectKey(namespace, name)))
      this.requestIP(namespace, name);
    if (spec.type !== "LoadBalancer" && ips.length > 0) {
      for (const ip of ips) this.host.releaseExternalIP(ip);
      this.store.update("services", namespace, name, (object) => ({ ...object, status: { loadBalancer: {} } }));
    }
    if (spec.selector !== undefined) this.syncEndpoints(service, namespace, name, spec);
  }

  /** The Service is gone: its IP goes back, its Endpoints go with it. */
  forget(service: KubeObject): void {
    const metadata = metadataOf(service);
    const key = objectKey(metadata.namespace as string, String(metadata.name));
    this.pendingIPs.get(key)?.();
    this.pendingIPs.delete(key);
    for (const ip of loadBalancerIPs(service)) this.host.releaseExternalIP(ip);
    this.store.remove("endpoints", metadata.namespace as string, String(metadata.name));
  }

  close(): void {
    for (const cancel of this.pendingIPs.values()) cancel();
    this.pendingIPs.clear();
  }

  /** The IP comes after the modelled delay (the Service's `loadBalancerIP` when it asks for one), if it is still a LoadBalancer then. */
  private requestIP(namespace: string, name: string): void {
    const key = objectKey(namespace, name);
    const requestedAt = new Date();
    const delay = jitteredDuration(this.info.region, ...loadBalancerDelay);
    const cancel = this.host.clock.after(delay, () => {
      this.pendingIPs.delete(key);
      const current = this.store.stored("services", namespace, name);
      if (current === undefined || !isRecord(current.spec) || current.spec.type !== "LoadBalancer") return;
      this.host.recordDelay("services.loadBalancerIP", requestedAt, delay);
      const requested =
        typeof current.spec.loadBalancerIP === "string" && current.spec.loadBalancerIP !== ""
          ? current.spec.loadBalancerIP
          : undefined;
      const ip = requested ?? this.host.allocateExternalIP();
      this.store.update("services", namespace, name, (object) => ({
        ...object,
        status: { loadBalancer: { ingress: [{ ip, ipMode: "VIP" }] } },
      }));
    });
    this.pendingIPs.set(key, cancel);
  }

  private syncEndpoints(service: KubeObject, namespace: string, name: string, spec: KubeObject): void {
    const ports = asList(spec.ports).map((port) => ({
      ...(port.name === undefined ? {} : { name: port.name }),
      port: typeof port.targetPort === "number" ? port.targetPort : port.port,
      protocol: port.protocol ?? "TCP",
    }));
    const addresses: KubeObject[] = [];
    const notReady: KubeObject[] = [];
    for (const { pod, ip, routed } of this.network.selectedPods(service)) {
      const podMeta = metadataOf(pod);
      const address = {
        ip,
        ...(isRecord(pod.spec) && typeof pod.spec.nodeName === "string" ? { nodeName: pod.spec.nodeName } : {}),
        targetRef: { kind: "Pod", name: podMeta.name, namespace, uid: podMeta.uid },
      };
      (routed ? addresses : notReady).push(address);
    }
    const subsets =
      addresses.length + notReady.length === 0
        ? []
        : [
            {
              ...(addresses.length > 0 ? { addresses } : {}),
              ...(notReady.length > 0 ? { notReadyAddresses: notReady } : {}),
              ports,
            },
          ];
    const existing = this.store.stored("endpoints", namespace, name);
    if (existing === undefined) {
      const labels = metadataOf(service).labels;
      this.writes.systemCreate("endpoints", {
        apiVersion: "v1",
        kind: "Endpoints",
        metadata: { name, namespace, labels: isRecord(labels) ? labels : {} },
        subsets,
      });
    } else if (!deepEqual(existing.subsets, subsets)) {
      this.store.update("endpoints", namespace, name, (object) => ({ ...object, subsets }));
    }
  }
}
