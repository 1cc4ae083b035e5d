/**
 * The StatefulSet controller: pods with stable names (`<set>-<ordinal>`) and a claim per volume
 * claim template, created in order one at a time (OrderedReady) or all at once (Parallel),
 * removed from the highest ordinal, replaced highest ordinal first on a rolling update (above the
 * partition, only while every pod is ready), and the StatefulSet's status with its revisions.
 */
import { isRecord } from "../../http.js";
import { asList, clone, metadataOf, shortHash, type KubeObject } from "../objects.js";
import {
  createForWorkload,
  createOwnedPod,
  ownedPods,
  writeWorkloadStatus,
  type WorkloadControl,
} from "./workloads.js";

/** One StatefulSet as a pass reads it. */
interface OrderedSet {
  statefulSet: KubeObject;
  name: string;
  namespace: string;
  spec: KubeObject;
  desired: number;
  /** The revision of the current pod template: pods of another revision are stale. */
  revision: string;
  parallel: boolean;
  claims: KubeObject[];
  ordinalOf(pod: KubeObject): number;
}

function revisionOf(pod: KubeObject): unknown {
  return isRecord(metadataOf(pod).labels)
    ? (metadataOf(pod).labels as KubeObject)["controller-revision-hash"]
    : undefined;
}

function claimTemplateName(claim: KubeObject): string {
  return String(isRecord(claim.metadata) ? claim.metadata.name : "data");
}

function orderedSetOf(statefulSet: KubeObject): OrderedSet {
  const metadata = metadataOf(statefulSet);
  const name = String(metadata.name);
  const spec = isRecord(statefulSet.spec) ? statefulSet.spec : {};
  return {
    statefulSet,
    name,
    namespace: String(metadata.namespace),
    spec,
    desired: Number(spec.replicas ?? 1),
    revision: `${name}-${shortHash(spec.template)}`,
    parallel: spec.podManagementPolicy === "Parallel",
    claims: asList(spec.volumeClaimTemplates),
    ordinalOf: (pod) => Number(String(metadataOf(pod).name).slice(name.length + 1)),
  };
}

/** The claims of one pod, each made once from its template and kept when the pod goes. */
function createClaims(control: WorkloadControl, set: OrderedSet, podName: string): void {
  for (const claim of set.claims) {
    const claimName = `${claimTemplateName(claim)}-${podName}`;
    if (control.store.stored("persistentvolumeclaims", set.namespace, claimName) !== undefined) continue;
    const labels =
      isRecord(set.spec.selector) && isRecord(set.spec.selector.matchLabels) ? set.spec.selector.matchLabels : {};
    const object = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: claimName, namespace: set.namespace, labels },
      spec: clone(claim.spec),
    };
    createForWorkload(control, `StatefulSet ${set.name}`, "persistentvolumeclaims", object, "statefulset-controller");
  }
}

function createPod(control: WorkloadControl, set: OrderedSet, ordinal: number): void {
  const podName = `${set.name}-${ordinal}`;
  createClaims(control, set, podName);
  const template = isRecord(set.spec.template) ? set.spec.template : {};
  const templateSpec = isRecord(template.spec) ? template.spec : {};
  const volumes = [
    ...(Array.isArray(templateSpec.volumes) ? templateSpec.volumes : []),
    ...set.claims.map((claim) => ({
      name: claimTemplateName(claim),
      persistentVolumeClaim: { claimName: `${claimTemplateName(claim)}-${podName}` },
    })),
  ];
  createOwnedPod(
    control,
    set.statefulSet,
    "StatefulSet",
    podName,
    {
      "controller-revision-hash": set.revision,
      "statefulset.kubernetes.io/pod-name": podName,
      "apps.kubernetes.io/pod-index": String(ordinal),
    },
    {
      hostname: podName,
      ...(typeof set.spec.serviceName === "string" ? { subdomain: set.spec.serviceName } : {}),
      ...(volumes.length > 0 ? { volumes } : {}),
    },
  );
}

/** Scale up in ordinal order; OrderedReady waits for each pod to be ready before the next. */
function scaleUp(control: WorkloadControl, set: OrderedSet): void {
  for (let ordinal = 0; ordinal < set.desired; ordinal++) {
    const pod = control.store.stored("pods", set.namespace, `${set.name}-${ordinal}`);
    if (pod !== undefined) {
      if (!set.parallel && !control.kubelets.isReady(pod)) break;
      continue;
    }
    createPod(control, set, ordinal);
    if (!set.parallel) break;
  }
}

/** Scale down from the highest ordinal (one at a time unless Parallel); returns how many pods were beyond the desired count. */
function scaleDown(control: WorkloadControl, set: OrderedSet): number {
  const extra = ownedPods(control.store, set.statefulSet)
    .filter((pod) => set.ordinalOf(pod) >= set.desired)
    .sort((left, right) => set.ordinalOf(right) - set.ordinalOf(left));
  for (const pod of set.parallel ? extra : extra.slice(0, 1))
    control.store.remove("pods", set.namespace, String(metadataOf(pod).name));
  return extra.length;
}

/** Rolling update: the stale pod with the highest ordinal at or above the partition goes, once every pod is ready. */
function replaceOneStalePod(control: WorkloadControl, set: OrderedSet): void {
  const strategy = isRecord(set.spec.updateStrategy) ? set.spec.updateStrategy : {};
  if (strategy.type === "OnDelete") return;
  const partition = isRecord(strategy.rollingUpdate) ? Number(strategy.rollingUpdate.partition ?? 0) : 0;
  const current = ownedPods(control.store, set.statefulSet);
  const allReady = current.length === set.desired && current.every((pod) => control.kubelets.isReady(pod));
  if (!allReady) return;
  const stale = current
    .filter((pod) => revisionOf(pod) !== set.revision && set.ordinalOf(pod) >= partition)
    .sort((left, right) => set.ordinalOf(right) - set.ordinalOf(left))[0];
  if (stale !== undefined) control.store.remove("pods", set.namespace, String(metadataOf(stale).name));
}

function statefulSetStatus(control: WorkloadControl, set: OrderedSet): KubeObject {
  const pods = ownedPods(control.store, set.statefulSet);
  const readyCount = pods.filter((pod) => control.kubelets.isReady(pod)).length;
  const updated = pods.filter((pod) => revisionOf(pod) === set.revision).length;
  const previous = isRecord(set.statefulSet.status) ? set.statefulSet.status : {};
  const currentRevision =
    updated === set.desired && pods.length === set.desired
      ? set.revision
      : String(previous.currentRevision ?? set.revision);
  return {
    observedGeneration: metadataOf(set.statefulSet).generation,
    replicas: pods.length,
    readyReplicas: readyCount,
    currentReplicas: pods.filter((pod) => revisionOf(pod) === currentRevision).length,
    updatedReplicas: updated,
    availableReplicas: readyCount,
    currentRevision,
    updateRevision: set.revision,
    collisionCount: 0,
  };
}

export function reconcileStatefulSet(control: WorkloadControl, statefulSet: KubeObject): void {
  const set = orderedSetOf(statefulSet);
  scaleUp(control, set);
  const extra = scaleDown(control, set);
  if (extra === 0) replaceOneStalePod(control, set);
  writeWorkloadStatus(control.store, "statefulsets", statefulSet, statefulSetStatus(control, set));
}
