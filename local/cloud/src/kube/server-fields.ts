/**
 * What the API server and the controllers that act at once on a write add to an object before it
 * is stored: a namespace's phase and name label, a Service's cluster IP, node ports and empty
 * LoadBalancer status, a claim bound to its volume, and a new pod's service account, node and
 * Pending status. Validation and defaults of the spec itself are in validate.ts.
 */
import { isRecord } from "../http.js";
import { asList, clone, metadataOf, type KubeObject } from "./objects.js";

/** What filling in needs from the rest of the cluster. */
export interface ServerAllocations {
  /** The next free Service cluster IP. */
  clusterIP(): string;
  /** The node a new pod is scheduled to; undefined while the cluster has none. */
  node(): string | undefined;
}

function fillNamespace(namespace: KubeObject): void {
  const metadata = metadataOf(namespace);
  namespace.status = { phase: "Active" };
  if (!isRecord(metadata.labels)) metadata.labels = {};
  (metadata.labels as KubeObject)["kubernetes.io/metadata.name"] = metadata.name;
}

function fillService(service: KubeObject, before: KubeObject | undefined, allocate: ServerAllocations): void {
  if (!isRecord(service.spec)) return;
  const spec = service.spec;
  if (spec.type !== "ExternalName" && spec.clusterIP === undefined) spec.clusterIP = allocate.clusterIP();
  if (typeof spec.clusterIP === "string") spec.clusterIPs = [spec.clusterIP];
  if (spec.type !== "ExternalName") {
    spec.ipFamilies = ["IPv4"];
    spec.ipFamilyPolicy = "SingleStack";
    spec.internalTrafficPolicy = spec.internalTrafficPolicy ?? "Cluster";
  }
  if (spec.type === "LoadBalancer" || spec.type === "NodePort") {
    spec.externalTrafficPolicy = spec.externalTrafficPolicy ?? "Cluster";
    // A node port, once given, stays with its service port across updates.
    const beforePorts = isRecord(before?.spec) ? asList(before.spec.ports) : [];
    for (const port of asList(spec.ports)) {
      if (port.nodePort === undefined)
        port.nodePort =
          beforePorts.find((candidate) => candidate.port === port.port)?.nodePort ??
          30000 + Math.floor(Math.random() * 2767);
    }
  }
  if (spec.type === "LoadBalancer") {
    if (spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
    service.status =
      isRecord(before?.status) && before.status.loadBalancer !== undefined
        ? clone(before.status)
        : { loadBalancer: {} };
  } else service.status = { loadBalancer: {} };
}

function fillClaim(claim: KubeObject): void {
  const spec = isRecord(claim.spec) ? claim.spec : {};
  if (spec.volumeName === undefined) spec.volumeName = `pvc-${String(metadataOf(claim).uid)}`;
  const requests = isRecord(spec.resources) && isRecord(spec.resources.requests) ? spec.resources.requests : {};
  claim.status = { phase: "Bound", accessModes: spec.accessModes, capacity: { storage: requests.storage } };
}

function fillNewPod(pod: KubeObject, allocate: ServerAllocations): void {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  if (spec.serviceAccountName === undefined) spec.serviceAccountName = "default";
  if (spec.nodeName === undefined) {
    const node = allocate.node();
    if (node !== undefined) spec.nodeName = node;
  }
  pod.status = { phase: "Pending", qosClass: "BestEffort" };
}

/** Fills in, in place, what the server adds to an object of that type on write (`before`: the stored object, on an update). */
export function fillServerFields(
  plural: string,
  object: KubeObject,
  before: KubeObject | undefined,
  allocate: ServerAllocations,
): void {
  switch (plural) {
    case "namespaces":
      fillNamespace(object);
      break;
    case "services":
      fillService(object, before, allocate);
      break;
    case "persistentvolumeclaims":
      fillClaim(object);
      break;
    case "pods":
      if (before === undefined) fillNewPod(object, allocate);
      break;
    default:
      break;
  }
}
