/**
 * RBAC, decided the way Kubernetes' RBAC authorizer decides it: a request is allowed when the
 * caller is in `system:masters`, or when a RoleBinding in the request's namespace or a
 * ClusterRoleBinding names the caller (a User, one of its Groups, or a ServiceAccount) and the
 * Role or ClusterRole it refers to has a rule matching the API group, the resource (a subresource
 * as `statefulsets/scale`, `pods/log`, `services/proxy`), the verb and, when the rule lists
 * resourceNames, the object's name (which a `create`, `list`, `watch` or `deletecollection` never
 * matches). A denial is the API server's 403 Forbidden Status. Every Secret request is recorded in
 * an audit log, allowed or not, so that a test can show who read which Secret.
 *
 * NOTE: whom RBAC decides for is the cluster's (cluster.ts): every request of a service account
 * token, and Secret requests of the kubeconfig users. Any other request of a kubeconfig user is
 * allowed, as if AKS's Entra ID / Azure RBAC set-up gave it a role for everything else: the one
 * question asked of those users is that the control plane does not read node keys.
 */
import { isRecord } from "../http.js";
import { KubeError } from "./errors.js";
import { asList, metadataOf, type KubeObject } from "./objects.js";

/** An authenticated caller, as the API server's authenticator describes it. */
export interface UserInfo {
  username: string;
  groups: readonly string[];
}

/** The caller of the admin kubeconfig (`listClusterAdminCredential`): AKS binds it to cluster-admin. */
export const CLUSTER_ADMIN: UserInfo = { username: "clusterAdmin", groups: ["system:masters", "system:authenticated"] };
/** The caller of the user kubeconfig (`listClusterUserCredential`): the control plane's identity. */
export const CLUSTER_USER: UserInfo = { username: "clusterUser", groups: ["system:authenticated"] };

/** The identity of a pod's service account token. */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
  };
}

/** What the authorizer is asked: Kubernetes' request attributes. */
export interface RequestAttributes {
  verb: string;
  group: string;
  resource: string;
  /** `scale`, `log`, `proxy`, `status`, `token`: rules name it as `<resource>/<subresource>`. */
  subresource?: string;
  namespace: string | undefined;
  /** Absent for list, watch and create. */
  name: string | undefined;
}

/** One recorded Secret request. */
export interface SecretAuditEntry {
  time: string;
  /** The cluster's key (`<subscription>/<resourceGroup>/<cluster>`, lower case) and its region. */
  cluster: string;
  region: string;
  user: string;
  verb: string;
  namespace: string;
  name: string | null;
  allowed: boolean;
}

/** Where the cluster finds the RBAC objects. */
export interface RbacObjects {
  all(plural: string): KubeObject[];
  read(plural: string, namespace: string | undefined, name: string): KubeObject | undefined;
}

function listed(values: unknown, wanted: string): boolean {
  return Array.isArray(values) && values.some((value) => value === "*" || value === wanted);
}

/** The resource as rules and denials name it: `pods`, or `pods/log` for a subresource. */
function ruleResource(request: RequestAttributes): string {
  return request.subresource === undefined ? request.resource : `${request.resource}/${request.subresource}`;
}

/** Whether the caller authenticated with a service account token. */
export function isServiceAccount(user: UserInfo): boolean {
  return user.username.startsWith("system:serviceaccount:");
}

function ruleAllows(rule: KubeObject, request: RequestAttributes): boolean {
  if (!listed(rule.apiGroups, request.group) || !listed(rule.resources, ruleResource(request))) return false;
  if (!listed(rule.verbs, request.verb)) return false;
  const names = Array.isArray(rule.resourceNames) ? rule.resourceNames : [];
  return names.length === 0 || (request.name !== undefined && names.includes(request.name));
}

function names(user: UserInfo, subject: KubeObject, bindingNamespace: string | undefined): boolean {
  if (subject.kind === "User") return subject.name === user.username;
  if (subject.kind === "Group") return user.groups.includes(String(subject.name));
  if (subject.kind === "ServiceAccount") {
    const namespace = typeof subject.namespace === "string" ? subject.namespace : bindingNamespace;
    return user.username === `system:serviceaccount:${namespace}:${String(subject.name)}`;
  }
  return false;
}

function roleOf(objects: RbacObjects, binding: KubeObject, namespace: string | undefined): KubeObject | undefined {
  const roleRef = isRecord(binding.roleRef) ? binding.roleRef : {};
  const name = String(roleRef.name);
  return roleRef.kind === "ClusterRole"
    ? objects.read("clusterroles", undefined, name)
    : objects.read("roles", namespace, name);
}

/** Whether RBAC allows the request (Kubernetes' RBAC authorizer over the stored objects). */
export function rbacAllows(objects: RbacObjects, user: UserInfo, request: RequestAttributes): boolean {
  if (user.groups.includes("system:masters")) return true;
  const bindings = [
    ...objects
      .all("rolebindings")
      .filter((binding) => request.namespace !== undefined && metadataOf(binding).namespace === request.namespace),
    ...objects.all("clusterrolebindings"),
  ];
  return bindings.some((binding) => {
    const namespace = metadataOf(binding).namespace as string | undefined;
    if (!asList(binding.subjects).some((subject) => names(user, subject, namespace))) return false;
    const role = roleOf(objects, binding, namespace);
    return role !== undefined && asList(role.rules).some((rule) => ruleAllows(rule, request));
  });
}

/**
 * The 403 the API server answers when RBAC denies a request: the denied resource qualified by its
 * group (`statefulsets.apps "web" is forbidden`), then what the user cannot do, naming a
 * subresource as rules name it.
 */
export function forbidden(user: UserInfo, request: RequestAttributes): KubeError {
  const qualified = request.group === "" ? request.resource : `${request.resource}.${request.group}`;
  const what = request.name === undefined ? qualified : `${qualified} "${request.name}"`;
  const where = request.namespace === undefined ? "at the cluster scope" : `in the namespace "${request.namespace}"`;
  return new KubeError(
    403,
    "Forbidden",
    `${what} is forbidden: User "${user.username}" cannot ${request.verb} resource "${ruleResource(request)}" in API group "${request.group}" ${where}`,
    {
      ...(request.name === undefined ? {} : { name: request.name }),
      ...(request.group === "" ? {} : { group: request.group }),
      kind: request.resource,
    },
  );
}

/** Secret requests of every cluster, oldest first, bounded. */
export class SecretAuditLog {
  private readonly entries: SecretAuditEntry[] = [];

  constructor(private readonly limit = 10_000) {}

  record(entry: SecretAuditEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  list(): SecretAuditEntry[] {
    return [...this.entries];
  }
}
