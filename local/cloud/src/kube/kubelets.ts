/**
 * The kubelets of one cluster, as one registry: a PodLifecycle for every stored pod that keeps
 * running, a RunToCompletionPod for one that runs to completion (restartPolicy Never or
 * OnFailure: a Job's pods), each started when the pod is created or scheduled and stopped when it
 * goes away; the pod IPs of the cluster's pod
 * network, and the answers the rest of the cluster needs about pods (ready? which IP? which
 * containers run?).
 */
import { isRecord } from "../http.js";
import type { ClusterInfo } from "../cluster-host.js";
import { AddressPool } from "./addresses.js";
import { RunToCompletionPod } from "./completion-pods.js";
import type { InClusterApi, PodLocation } from "./container-runtime.js";
import type { ClusterHost } from "./host.js";
import { metadataOf, objectKey, type KubeObject } from "./objects.js";
import { PodLifecycle, type PodRun } from "./pods.js";
import type { ObjectStore } from "./store.js";

/** A stored pod (live, read-only) with its lifecycle, if its kubelet has one. */
export interface PodWithLifecycle {
  pod: KubeObject;
  lifecycle: PodRun | undefined;
}

/** Where a pod of this cluster runs, but for its IP. */
export function podLocation(info: ClusterInfo, namespace: string, podName: string): Omit<PodLocation, "podIP"> {
  return {
    subscriptionId: info.subscriptionId,
    resourceGroup: info.resourceGroup,
    clusterName: info.name,
    region: info.region,
    namespace,
    podName,
  };
}

export class Kubelets {
  private readonly lifecycles = new Map<string, PodRun>();
  private readonly podIPs = new AddressPool((10 << 24) | (244 << 16), 10);

  constructor(
    private readonly info: ClusterInfo,
    private readonly host: ClusterHost,
    private readonly store: ObjectStore,
    private readonly inClusterApi: (namespace: string, serviceAccount: string) => InClusterApi,
  ) {}

  /** Takes on a stored pod: it starts once it has a node (the PodLifecycle waits for none). */
  start(pod: KubeObject): void {
    const metadata = metadataOf(pod);
    const namespace = String(metadata.namespace);
    const name = String(metadata.name);
    const nodeName = isRecord(pod.spec) && typeof pod.spec.nodeName === "string" ? pod.spec.nodeName : undefined;
    const runsToCompletion =
      isRecord(pod.spec) && pod.spec.restartPolicy !== undefined && pod.spec.restartPolicy !== "Always";
    const lifecycle = new (runsToCompletion ? RunToCompletionPod : PodLifecycle)(
      {
        clock: this.host.clock,
        runtimes: this.host.runtimes,
        getObject: (plural, objectNamespace, objectName) => this.store.read(plural, objectNamespace, objectName),
        // The connection comes from this pod: its labels and address are what NetworkPolicies see.
        resolve: (fromNamespace, hostName, port) => {
          const labels = metadataOf(this.store.stored("pods", namespace, name) ?? {}).labels;
          const ip = this.lifecycle(namespace, name)?.ip;
          return this.host.resolve(
            this.info.key,
            { namespace: fromNamespace, labels: isRecord(labels) ? labels : {}, ...(ip === undefined ? {} : { ip }) },
            hostName,
            port,
          );
        },
        inClusterApi: this.inClusterApi,
        currentPod: () => this.store.read("pods", namespace, name),
        writeStatus: (status) => {
          this.store.update("pods", namespace, name, (current) => ({ ...current, status }));
        },
        probe: (container, port, path, headers) => this.host.probe(container, port, path, headers),
        recordDelay: (operation, startedAt, simulatedMs) => this.host.recordDelay(operation, startedAt, simulatedMs),
        log: (line) => this.host.log(`${this.info.key}: ${line}`),
      },
      podLocation(this.info, namespace, name),
      () => this.podIPs.take(),
      nodeName,
    );
    this.lifecycles.set(objectKey(namespace, name), lifecycle);
  }

  /** The pod is gone (or is about to start over on a node): its containers stop for good. */
  stop(namespace: string, name: string): void {
    const key = objectKey(namespace, name);
    this.lifecycles.get(key)?.stop();
    this.lifecycles.delete(key);
  }

  lifecycle(namespace: string, name: string): PodRun | undefined {
    return this.lifecycles.get(objectKey(namespace, name));
  }

  isReady(pod: KubeObject): boolean {
    const metadata = metadataOf(pod);
    return this.lifecycle(metadata.namespace as string, String(metadata.name))?.isReady() ?? false;
  }

  /**
   * The stored pods themselves with their lifecycles, for read-only use: address resolution runs
   * for every peer dial of every Besu node on each topology refresh, where copying every pod each
   * time saturated the simulator at 192 nodes.
   */
  storedPods(): PodWithLifecycle[] {
    return this.store.all("pods").map((pod) => ({
      pod,
      lifecycle: this.lifecycle(metadataOf(pod).namespace as string, String(metadataOf(pod).name)),
    }));
  }

  /** The pod's containers die (drift): the kubelet restarts them. False when there is no such pod. */
  kill(namespace: string, name: string): boolean {
    const lifecycle = this.lifecycle(namespace, name);
    if (lifecycle === undefined) return false;
    lifecycle.killContainers();
    return true;
  }

  close(): void {
    for (const lifecycle of this.lifecycles.values()) lifecycle.stop();
    this.lifecycles.clear();
  }
}
