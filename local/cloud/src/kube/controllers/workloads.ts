/**
 * What the Deployment, StatefulSet and Job controllers share: the pods (and claims) a workload owns, a
 * pod made from the workload's template, and the workload's status written only when it changed.
 */
import { isRecord } from "../../http.js";
import { findByPlural } from "../catalog.js";
import type { Kubelets } from "../kubelets.js";
import { clone, deepEqual, isOwnedBy, metadataOf, type KubeObject } from "../objects.js";
import type { ObjectStore } from "../store.js";
import type { ObjectWrites } from "../writes.js";

/** What a workload controller works with. */
export interface WorkloadControl {
  store: ObjectStore;
  writes: ObjectWrites;
  kubelets: Kubelets;
  /** Logs a line of this cluster. */
  log(line: string): void;
}

export function ownedPods(store: ObjectStore, owner: KubeObject): KubeObject[] {
  const uid = metadataOf(owner).uid;
  return store.all("pods").filter((pod) => isOwnedBy(pod, uid));
}

/**
 * Creates an object of the core group as the workload's controller, through the API's checks; a
 * refused create is logged (a real controller records an event) and tried again on the next pass.
 */
export function createForWorkload(
  control: WorkloadControl,
  owner: string,
  plural: "pods" | "persistentvolumeclaims",
  object: KubeObject,
  fieldManager: string,
): void {
  const resourceType = findByPlural("", "v1", plural);
  if (resourceType === undefined) return;
  try {
    control.writes.createAs(fieldManager, resourceType, object);
  } catch (error) {
    const what = plural === "pods" ? "pod" : "claim";
    control.log(
      `${owner}: ${what} ${String(metadataOf(object).name)} could not be created: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** A pod from the workload's template, with the controller's labels and spec fields, owned by the workload. */
export function createOwnedPod(
  control: WorkloadControl,
  owner: KubeObject,
  kind: "Deployment" | "StatefulSet" | "Job",
  name: string,
  labels: KubeObject,
  extraSpec: KubeObject,
): void {
  const ownerMeta = metadataOf(owner);
  const spec = isRecord(owner.spec) ? owner.spec : {};
  const template = isRecord(spec.template) ? clone(spec.template) : {};
  const templateMeta = isRecord(template.metadata) ? template.metadata : {};
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...templateMeta,
      name,
      namespace: ownerMeta.namespace,
      labels: { ...(isRecord(templateMeta.labels) ? templateMeta.labels : {}), ...labels },
      ownerReferences: [
        {
          apiVersion: kind === "Job" ? "batch/v1" : "apps/v1",
          kind,
          name: ownerMeta.name,
          uid: ownerMeta.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { ...(isRecord(template.spec) ? template.spec : {}), ...extraSpec },
  };
  createForWorkload(control, `${kind} ${String(ownerMeta.name)}`, "pods", pod, `${kind.toLowerCase()}-controller`);
}

/** Writes the workload's status when it differs from the stored one. */
export function writeWorkloadStatus(
  store: ObjectStore,
  plural: "deployments" | "statefulsets" | "jobs",
  workload: KubeObject,
  status: KubeObject,
): void {
  const metadata = metadataOf(workload);
  if (deepEqual(workload.status, status)) return;
  store.update(plural, metadata.namespace as string, String(metadata.name), (current) => ({ ...current, status }));
}
