/**
 * How a node's key is born inside its cluster and how the control plane learns its public key
 * without ever being able to read the key. Per node, a Job runs Besu's own `public-key export`,
 * which generates a secp256k1 key in a scratch volume (or reads the key the node's Secret already
 * holds), and then kubectl, as the `besu-keygen` service account, stores a new key in the node's
 * Secret — `kubectl create`, which never replaces one — and publishes the public key in the
 * node's identity ConfigMap, the only thing the control plane reads. The keygen account may only
 * create Secrets and ConfigMaps; the control plane's own identity is given no rights on Secrets
 * at all (docs/keys.md).
 *
 * The same Job serves a network whose keys exist from before (created by an earlier version of
 * the control plane): the Secret is mounted (optional), so its key is copied and exported, not
 * replaced.
 */
import type { V1Job, V1Role, V1RoleBinding, V1ServiceAccount } from "@kubernetes/client-node" with {
  "resolution-mode": "import",
};
import { NODE_KEY_SECRET_ENTRY, type ClusterPlan, type NodePlan, type RegionPlan } from "../plan.js";
import { asManifest, baseLabels, namespaced, type KubernetesManifest } from "./objects.js";

/** Service account of the key Jobs: create Secrets and ConfigMaps in the namespace, nothing else. */
export const KEYGEN_SERVICE_ACCOUNT = "besu-keygen";
/** Entry of a node's identity ConfigMap holding its public key (0x + 128 hex, as Besu exports it). */
export const PUBLIC_KEY_ENTRY = "publicKey";

const KEYGEN_UID = 1000;
const SCRATCH = "/work";
const EXISTING = "/existing";

/** The Job that makes (or finds) a node's key. */
export function keyJobName(node: NodePlan): string {
  return `${node.statefulSetName}-keygen`;
}

/** The ConfigMap in which the key Job publishes a node's public key. */
export function identityConfigMapName(node: NodePlan): string {
  return `${node.statefulSetName}-identity`;
}

/** kubectl in the version of the cluster (kubectl supports one minor version of skew either way). */
function kubectlImage(cluster: ClusterPlan): string {
  return `bitnami/kubectl:${cluster.kubernetesVersion}`;
}

/** The keygen service account and its Role, applied with the cluster configuration (phase A). */
export function keygenRbac(plan: RegionPlan, cluster: ClusterPlan): KubernetesManifest[] {
  const objects: [V1ServiceAccount, V1Role, V1RoleBinding] = [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: namespaced(plan, cluster, KEYGEN_SERVICE_ACCOUNT),
      // kubectl in the key Job calls the API with this token.
      automountServiceAccountToken: true,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: namespaced(plan, cluster, KEYGEN_SERVICE_ACCOUNT),
      // `create` only: RBAC cannot narrow a create by name, and without get, list or watch the
      // account cannot read back any Secret, its own included.
      rules: [{ apiGroups: [""], resources: ["secrets", "configmaps"], verbs: ["create"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: namespaced(plan, cluster, KEYGEN_SERVICE_ACCOUNT),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: KEYGEN_SERVICE_ACCOUNT },
      subjects: [{ kind: "ServiceAccount", name: KEYGEN_SERVICE_ACCOUNT, namespace: cluster.namespace }],
    },
  ];
  return objects.map(asManifest);
}

/** The publishing script: a Secret only for a key that is new, then the public key. */
function publishScript(node: NodePlan): string {
  return [
    "set -e",
    `if [ ! -f ${EXISTING}/${NODE_KEY_SECRET_ENTRY} ]; then kubectl create secret generic ${node.keySecretName} --from-file=${NODE_KEY_SECRET_ENTRY}=${SCRATCH}/key; fi`,
    `kubectl create configmap ${identityConfigMapName(node)} --from-file=${PUBLIC_KEY_ENTRY}=${SCRATCH}/key.pub`,
  ].join("\n");
}

/**
 * The key Job of one node. Its template is fixed once applied (a Job's template is immutable),
 * so the control plane applies it only while the node has no identity ConfigMap.
 */
export function keyJob(plan: RegionPlan, cluster: ClusterPlan, node: NodePlan, besuImage: string): KubernetesManifest {
  const labels = {
    ...baseLabels(plan),
    // Not "besu": the node's Services and disruption budgets must never select this pod.
    "app.kubernetes.io/name": "besu-keygen",
    "app.kubernetes.io/instance": keyJobName(node),
  };
  const restricted = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
  };
  const scratch = { name: "work", mountPath: SCRATCH };
  const existing = { name: "existing", mountPath: EXISTING, readOnly: true };
  const job: V1Job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: namespaced(plan, cluster, keyJobName(node), labels),
    spec: {
      backoffLimit: 3,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          serviceAccountName: KEYGEN_SERVICE_ACCOUNT,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: KEYGEN_UID,
            runAsGroup: KEYGEN_UID,
            fsGroup: KEYGEN_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          volumes: [
            // Memory-backed: the key never touches a node's disk outside its Secret.
            { name: "work", emptyDir: { medium: "Memory" } },
            { name: "existing", secret: { secretName: node.keySecretName, optional: true } },
          ],
          initContainers: [
            {
              name: "existing-key",
              image: kubectlImage(cluster),
              command: [
                "/bin/sh",
                "-c",
                `if [ -f ${EXISTING}/${NODE_KEY_SECRET_ENTRY} ]; then cp ${EXISTING}/${NODE_KEY_SECRET_ENTRY} ${SCRATCH}/key; fi`,
              ],
              securityContext: restricted,
              volumeMounts: [scratch, existing],
            },
            {
              // Besu reads <data-path>/key, generating it when absent, and exports its public key.
              name: "besu-public-key",
              image: besuImage,
              args: [`--data-path=${SCRATCH}`, "public-key", "export", `--to=${SCRATCH}/key.pub`],
              securityContext: restricted,
              volumeMounts: [scratch],
            },
          ],
          containers: [
            {
              name: "publish",
              image: kubectlImage(cluster),
              command: ["/bin/sh", "-c", publishScript(node)],
              securityContext: restricted,
              volumeMounts: [scratch, existing],
            },
          ],
        },
      },
    },
  };
  return asManifest(job);
}
