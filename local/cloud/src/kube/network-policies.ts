/**
 * Whether a cluster's NetworkPolicies let a connection into a pod, with the standard semantics
 * (networking.k8s.io/v1): a pod that no Ingress policy of its namespace selects takes any
 * connection; a selected pod takes only what some rule of some selecting policy allows — a rule
 * with no `ports` allows every port, and one with no `from` every source; a peer's `podSelector`
 * picks pods of the policy's namespace, its `namespaceSelector` the pods of the namespaces it
 * selects (both: pods matching the first in those namespaces), an `ipBlock` sources by address
 * (its `except` taken out). Ports match by number or by the destination container's port name,
 * with the protocol (TCP when not given) and `endPort` ranges.
 * What is modelled: Ingress only (Egress rules are stored, not enforced), for the API server's
 * service proxy (proxy.ts) and for connections between pods of one cluster (network.ts), taken as
 * TCP; connections through another cluster's LoadBalancer are not filtered.
 */
import { BlockList, isIPv4 } from "node:net";
import { isRecord } from "../http.js";
import { asList, metadataOf, type KubeObject } from "./objects.js";
import { matchesRequirements, type Requirement } from "./selectors.js";

/**
 * Where a connection comes from: a pod of the cluster (its namespace and labels, its address),
 * or, without a namespace, an address outside the cluster's pod network.
 */
export interface TrafficSource {
  namespace?: string;
  labels?: Readonly<Record<string, unknown>>;
  ip?: string;
}

/** A pod of a cluster as the source of a connection. */
export type PodSource = TrafficSource & { namespace: string };

/** The port a connection is for, on the destination pod. */
export interface TrafficPort {
  port: number;
  protocol: "TCP" | "UDP";
}

/**
 * Where the API server's service proxy enters a cluster's network: on AKS the API server runs
 * outside the cluster and reaches pods through the konnectivity agent pods in `kube-system`, so
 * policies see the proxy's connections coming from there: from an address of the pod network
 * that no simulated pod gets (kubelets.ts hands them out from 10.244.0.10).
 */
export const API_SERVER_PROXY_SOURCE: TrafficSource = {
  namespace: "kube-system",
  labels: { app: "konnectivity-agent" },
  ip: "10.244.0.2",
};

/** A LabelSelector object (matchLabels, matchExpressions) as requirements; `{}` selects everything. */
function selectorRequirements(selector: Record<string, unknown>): Requirement[] {
  const requirements: Requirement[] = [];
  if (isRecord(selector.matchLabels))
    for (const [key, value] of Object.entries(selector.matchLabels))
      requirements.push({ key, op: "=", value: String(value) });
  for (const expression of asList(selector.matchExpressions)) {
    const key = String(expression.key);
    const values = Array.isArray(expression.values) ? expression.values.map(String) : [];
    const operator = String(expression.operator);
    if (operator === "In") requirements.push({ key, op: "in", values });
    else if (operator === "NotIn") requirements.push({ key, op: "notin", values });
    else if (operator === "Exists") requirements.push({ key, op: "exists" });
    else requirements.push({ key, op: "!exists" });
  }
  return requirements;
}

const selects = (selector: unknown, labels: Readonly<Record<string, unknown>>): boolean =>
  isRecord(selector) && matchesRequirements(selectorRequirements(selector), labels);

const labelsOf = (object: KubeObject): Readonly<Record<string, unknown>> => {
  const labels = metadataOf(object).labels;
  return isRecord(labels) ? labels : {};
};

/** Whether a policy has Ingress rules to enforce (policyTypes, or Ingress by default). */
function isIngressPolicy(policy: KubeObject): boolean {
  const spec = isRecord(policy.spec) ? policy.spec : {};
  return Array.isArray(spec.policyTypes) ? spec.policyTypes.includes("Ingress") : true;
}

/** The names the destination pod gives its container ports, by number and protocol. */
function portNames(pod: KubeObject, port: TrafficPort): Set<string> {
  const containers = isRecord(pod.spec) ? asList(pod.spec.containers) : [];
  return new Set(
    containers
      .flatMap((container) => asList(container.ports))
      .filter((declared) => declared.containerPort === port.port && (declared.protocol ?? "TCP") === port.protocol)
      .flatMap((declared) => (typeof declared.name === "string" ? [declared.name] : [])),
  );
}

function portMatches(rulePort: Record<string, unknown>, pod: KubeObject, port: TrafficPort): boolean {
  if ((rulePort.protocol ?? "TCP") !== port.protocol) return false;
  if (rulePort.port === undefined) return true;
  if (typeof rulePort.port === "string") return portNames(pod, port).has(rulePort.port);
  const first = Number(rulePort.port);
  const last = typeof rulePort.endPort === "number" ? rulePort.endPort : first;
  return port.port >= first && port.port <= last;
}

function ipBlockMatches(block: Record<string, unknown>, ip: string | undefined): boolean {
  if (ip === undefined || !isIPv4(ip) || typeof block.cidr !== "string") return false;
  const inBlock = (cidr: string): boolean => {
    const [address = "", prefix = "32"] = cidr.split("/");
    if (!isIPv4(address)) return false;
    const list = new BlockList();
    list.addSubnet(address, Number(prefix), "ipv4");
    return list.check(ip, "ipv4");
  };
  const exceptions = Array.isArray(block.except) ? block.except.map(String) : [];
  return inBlock(block.cidr) && !exceptions.some(inBlock);
}

/** Whether one `from` peer of a policy in `policyNamespace` covers the source. */
function peerMatches(
  peer: Record<string, unknown>,
  policyNamespace: string,
  source: TrafficSource,
  namespaceLabels: (namespace: string) => Readonly<Record<string, unknown>> | undefined,
): boolean {
  if (isRecord(peer.ipBlock)) return ipBlockMatches(peer.ipBlock, source.ip);
  // Pod and namespace selectors pick pods of this cluster only.
  if (source.namespace === undefined) return false;
  const inNamespace =
    peer.namespaceSelector === undefined
      ? source.namespace === policyNamespace
      : selects(peer.namespaceSelector, namespaceLabels(source.namespace) ?? {});
  return inNamespace && (peer.podSelector === undefined || selects(peer.podSelector, source.labels ?? {}));
}

/**
 * Whether the policies (all of the cluster's) let a connection from `source` into `pod` on `port`.
 * `namespaceLabels` gives a namespace's labels (undefined when it does not exist).
 */
export function admitsIngress(
  policies: readonly KubeObject[],
  pod: KubeObject,
  port: TrafficPort,
  source: TrafficSource,
  namespaceLabels: (namespace: string) => Readonly<Record<string, unknown>> | undefined,
): boolean {
  const namespace = String(metadataOf(pod).namespace);
  const selecting = policies.filter(
    (policy) =>
      metadataOf(policy).namespace === namespace &&
      isIngressPolicy(policy) &&
      isRecord(policy.spec) &&
      selects(policy.spec.podSelector, labelsOf(pod)),
  );
  if (selecting.length === 0) return true;
  return selecting.some((policy) =>
    asList(isRecord(policy.spec) ? policy.spec.ingress : undefined).some((rule) => {
      const ports = Array.isArray(rule.ports) ? asList(rule.ports) : [];
      const from = Array.isArray(rule.from) ? asList(rule.from) : [];
      return (
        (ports.length === 0 || ports.some((rulePort) => portMatches(rulePort, pod, port))) &&
        (from.length === 0 || from.some((peer) => peerMatches(peer, namespace, source, namespaceLabels)))
      );
    }),
  );
}
