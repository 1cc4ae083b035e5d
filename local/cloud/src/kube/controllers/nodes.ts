/**
 * Nodes from the cluster's agent pools, as AKS names and labels them (one per VM scale set
 * instance), and the scheduler: new pods go round-robin over the nodes, pods on a removed node are
 * evicted (their controllers replace them), and pods that waited for a node start once a pool has
 * nodes again.
 */
import { isRecord } from "../../http.js";
import type { ClusterInfo, NodePoolShape } from "../../cluster-host.js";
import type { Kubelets } from "../kubelets.js";
import { metadataOf, shortHash, type KubeObject } from "../objects.js";
import type { ObjectStore } from "../store.js";
import type { ObjectWrites } from "../writes.js";

/**
 * A VM size's vCPUs, from its name: Azure names a size by family letters, then its vCPUs
 * (`Standard_D4s_v5` → 4, `Standard_B2s` → 2).
 *
 * NOTE: read from the name rather than from ARM's VM size catalog so that the Kubernetes side
 * does not depend on the ARM side; ARM only accepts sizes from its catalog, and a test checks that
 * every catalog name gives the catalog's vCPUs.
 */
export function vCpusOfVmSize(vmSize: string): number | undefined {
  const match = /^standard_[a-z]+(\d+)/i.exec(vmSize);
  return match === null ? undefined : Number(match[1]);
}

function nodeObject(info: ClusterInfo, name: string, pool: NodePoolShape): KubeObject {
  const vCpus = vCpusOfVmSize(pool.vmSize) ?? 2;
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        agentpool: pool.name,
        "kubernetes.azure.com/agentpool": pool.name,
        "kubernetes.azure.com/mode": pool.mode.toLowerCase(),
        "node.kubernetes.io/instance-type": pool.vmSize,
        "topology.kubernetes.io/region": info.region,
        "kubernetes.io/os": "linux",
        "kubernetes.io/hostname": name,
      },
    },
    spec: {
      providerID: `azure:///subscriptions/${info.subscriptionId}/resourceGroups/mc_${info.resourceGroup}_${info.name}_${info.region}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`,
    },
    status: {
      capacity: { cpu: String(vCpus), memory: `${vCpus * 4}Gi`, pods: "110" },
      allocatable: { cpu: `${vCpus * 1000 - 140}m`, memory: `${vCpus * 3}Gi`, pods: "110" },
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "kubelet is posting ready status",
          lastHeartbeatTime: new Date().toISOString(),
          lastTransitionTime: new Date().toISOString(),
        },
      ],
      nodeInfo: {
        kubeletVersion: `v${info.kubernetesVersion}`,
        osImage: "Ubuntu 22.04.5 LTS",
        containerRuntimeVersion: "containerd://1.7.27",
        architecture: "amd64",
        operatingSystem: "linux",
      },
    },
  };
}

export class NodeController {
  private nodeCursor = 0;

  constructor(
    private readonly info: ClusterInfo,
    private readonly store: ObjectStore,
    private readonly writes: ObjectWrites,
    private readonly kubelets: Kubelets,
  ) {}

  /** The nodes follow the pools: missing ones are added, surplus ones removed with their pods. */
  setNodePools(pools: NodePoolShape[]): void {
    const wanted = new Map<string, NodePoolShape>();
    for (const pool of pools) {
      const suffix = shortHash(`${this.info.key}/${pool.name}`, 8);
      for (let index = 0; index < pool.count; index++)
        wanted.set(`aks-${pool.name}-${suffix}-vmss${index.toString(36).padStart(6, "0")}`, pool);
    }
    for (const node of this.store.all("nodes")) {
      const name = String(metadataOf(node).name);
      if (wanted.has(name)) continue;
      this.store.remove("nodes", undefined, name);
      // Pods on a removed node are evicted; their controllers replace them elsewhere.
      for (const pod of this.store.all("pods")) {
        if (isRecord(pod.spec) && pod.spec.nodeName === name)
          this.store.remove("pods", metadataOf(pod).namespace as string, String(metadataOf(pod).name));
      }
    }
    for (const [name, pool] of wanted) {
      if (this.store.stored("nodes", undefined, name) === undefined)
        this.writes.systemCreate("nodes", nodeObject(this.info, name, pool));
    }
    this.scheduleWaitingPods();
  }

  /** The node for a new pod, round-robin over the nodes by name; undefined while there is none. */
  pickNode(): string | undefined {
    const nodes = this.store
      .all("nodes")
      .map((node) => String(metadataOf(node).name))
      .sort();
    if (nodes.length === 0) return undefined;
    return nodes[this.nodeCursor++ % nodes.length] ?? "";
  }

  /** Pods that waited for a node start on one once a pool has nodes again. */
  private scheduleWaitingPods(): void {
    for (const pod of this.store.all("pods")) {
      if (isRecord(pod.spec) && typeof pod.spec.nodeName === "string") continue;
      const node = this.pickNode();
      if (node === undefined) return;
      const namespace = metadataOf(pod).namespace as string;
      const name = String(metadataOf(pod).name);
      this.kubelets.stop(namespace, name);
      this.store.update("pods", namespace, name, (current) => ({
        ...current,
        spec: { ...(isRecord(current.spec) ? current.spec : {}), nodeName: node },
      }));
      const stored = this.store.stored("pods", namespace, name);
      if (stored !== undefined) this.kubelets.start(stored);
    }
  }
}
