/** The resource types every simulated cluster serves, as API discovery lists them. */

export interface ResourceType {
  group: string;
  version: string;
  /** Plural resource name used in URLs, e.g. `configmaps`. */
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Has a `status` subresource: writes to the main resource leave status alone. */
  hasStatus: boolean;
}

function type(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  hasStatus: boolean,
  shortNames?: string[],
): ResourceType {
  return {
    group,
    version,
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    hasStatus,
    ...(shortNames === undefined ? {} : { shortNames }),
  };
}

export const resourceTypes: readonly ResourceType[] = [
  type("", "v1", "namespaces", "Namespace", false, true, ["ns"]),
  type("", "v1", "nodes", "Node", false, true, ["no"]),
  type("", "v1", "pods", "Pod", true, true, ["po"]),
  type("", "v1", "services", "Service", true, true, ["svc"]),
  type("", "v1", "endpoints", "Endpoints", true, false, ["ep"]),
  type("", "v1", "configmaps", "ConfigMap", true, false, ["cm"]),
  type("", "v1", "secrets", "Secret", true, false),
  type("", "v1", "serviceaccounts", "ServiceAccount", true, false, ["sa"]),
  type("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, true, ["pvc"]),
  type("", "v1", "events", "Event", true, false, ["ev"]),
  type("apps", "v1", "deployments", "Deployment", true, true, ["deploy"]),
  type("apps", "v1", "statefulsets", "StatefulSet", true, true, ["sts"]),
  type("batch", "v1", "jobs", "Job", true, true),
  type("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, false, ["sc"]),
  type("rbac.authorization.k8s.io", "v1", "roles", "Role", true, false),
  type("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, false),
  type("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, false),
  type("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, false),
  type("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, false, ["netpol"]),
  type("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, true, ["pdb"]),
];

export function groupVersion(resourceType: ResourceType): string {
  return resourceType.group === "" ? resourceType.version : `${resourceType.group}/${resourceType.version}`;
}

export function findByPlural(group: string, version: string, plural: string): ResourceType | undefined {
  return resourceTypes.find(
    (candidate) => candidate.group === group && candidate.version === version && candidate.plural === plural,
  );
}

/** Plural names are unique across the served groups, so a plural alone names a type. */
export function findByPluralInAnyGroup(plural: string): ResourceType | undefined {
  return resourceTypes.find((candidate) => candidate.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return resourceTypes.find((candidate) => groupVersion(candidate) === apiVersion && candidate.kind === kind);
}

/** `configmaps` → `ConfigMap`-style group-qualified name used in Status messages (`deployments.apps`). */
export function qualifiedName(resourceType: ResourceType): string {
  return resourceType.group === "" ? resourceType.plural : `${resourceType.plural}.${resourceType.group}`;
}

const subresources: Readonly<Record<string, readonly string[]>> = {
  pods: ["status", "log", "proxy"],
  services: ["status", "proxy"],
  serviceaccounts: ["token"],
  deployments: ["status", "scale"],
  statefulsets: ["status", "scale"],
  jobs: ["status"],
  persistentvolumeclaims: ["status"],
  namespaces: ["status"],
  nodes: ["status"],
  poddisruptionbudgets: ["status"],
};

export function servesSubresource(resourceType: ResourceType, subresource: string): boolean {
  return subresources[resourceType.plural]?.includes(subresource) === true;
}

/** What discovery says of a subresource whose kind is not its resource's: its group, version, kind and verbs. */
const subresourceShapes: Readonly<Record<string, Record<string, unknown>>> = {
  scale: { group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] },
  token: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest", verbs: ["create"] },
  log: { verbs: ["get"] },
  proxy: { verbs: ["create", "delete", "get", "patch", "update"] },
  status: { verbs: ["get", "patch", "update"] },
};

const allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/** `/api/v1` or `/apis/<group>/<version>` discovery document. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const types = resourceTypes.filter((candidate) => candidate.group === group && candidate.version === version);
  if (types.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const resourceType of types) {
    resources.push({
      name: resourceType.plural,
      singularName: resourceType.singular,
      namespaced: resourceType.namespaced,
      kind: resourceType.kind,
      // Namespaces are deleted one by one (their contents go with them): no deletecollection.
      verbs: resourceType.plural === "namespaces" ? allVerbs.filter((verb) => verb !== "deletecollection") : allVerbs,
      ...(resourceType.shortNames === undefined ? {} : { shortNames: resourceType.shortNames }),
    });
    for (const subresource of subresources[resourceType.plural] ?? []) {
      resources.push({
        name: `${resourceType.plural}/${subresource}`,
        singularName: "",
        namespaced: resourceType.namespaced,
        kind: resourceType.kind,
        ...subresourceShapes[subresource],
      });
    }
  }
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group === "" ? version : `${group}/${version}`,
    resources,
  };
}

export function apiGroupList(): Record<string, unknown> {
  const groups = [
    ...new Set(resourceTypes.filter((candidate) => candidate.group !== "").map((candidate) => candidate.group)),
  ];
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: groups.map((name) => {
      const version = resourceTypes.find((candidate) => candidate.group === name)?.version ?? "v1";
      const preferred = { groupVersion: `${name}/${version}`, version };
      return { name, versions: [preferred], preferredVersion: preferred };
    }),
  };
}
