/**
 * The Deployment controller, with the ReplicaSet level folded in: pods labelled with the hash of
 * the pod template they were made from, a rolling update bounded by maxSurge and maxUnavailable
 * (or Recreate), and the Deployment's status with its Available and Progressing conditions.
 */
import { randomBytes } from "node:crypto";
import { isRecord } from "../../http.js";
import { asList, metadataOf, shortHash, type KubeObject } from "../objects.js";
import { createOwnedPod, ownedPods, writeWorkloadStatus, type WorkloadControl } from "./workloads.js";

/** What one pass works towards. */
interface Rollout {
  deployment: KubeObject;
  desired: number;
  templateHash: string;
  maxSurge: number;
  maxUnavailable: number;
  isNew(pod: KubeObject): boolean;
}

/** `maxSurge`/`maxUnavailable`: a number, or a percentage of the desired replicas. */
function percentOf(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const match = /^(\d+)%$/.exec(String(value ?? ""));
  if (match === null) return 0;
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

function rolloutOf(deployment: KubeObject): Rollout {
  const spec = isRecord(deployment.spec) ? deployment.spec : {};
  const desired = Number(spec.replicas ?? 1);
  const templateHash = shortHash(spec.template);
  const strategy = isRecord(spec.strategy) ? spec.strategy : {};
  const rolling = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
  const maxSurge = percentOf(rolling.maxSurge ?? "25%", desired, true);
  let maxUnavailable = percentOf(rolling.maxUnavailable ?? "25%", desired, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  const isNew = (pod: KubeObject): boolean =>
    isRecord(metadataOf(pod).labels) && (metadataOf(pod).labels as KubeObject)["pod-template-hash"] === templateHash;
  return { deployment, desired, templateHash, maxSurge, maxUnavailable, isNew };
}

function createPod(control: WorkloadControl, rollout: Rollout): void {
  const name = `${String(metadataOf(rollout.deployment).name)}-${rollout.templateHash}-${randomBytes(3).toString("hex").slice(0, 5)}`;
  createOwnedPod(control, rollout.deployment, "Deployment", name, { "pod-template-hash": rollout.templateHash }, {});
}

function deletePod(control: WorkloadControl, pod: KubeObject): void {
  control.store.remove("pods", metadataOf(pod).namespace as string, String(metadataOf(pod).name));
}

/** Recreate: every old pod goes before the first new one comes. */
function recreate(control: WorkloadControl, rollout: Rollout, newPods: KubeObject[], oldPods: KubeObject[]): void {
  if (oldPods.length > 0) for (const pod of oldPods) deletePod(control, pod);
  else for (let index = newPods.length; index < rollout.desired; index++) createPod(control, rollout);
}

/** RollingUpdate: new pods up to the surge, surplus new pods away, old pods away while enough stay ready. */
function rollingUpdate(
  control: WorkloadControl,
  rollout: Rollout,
  pods: KubeObject[],
  newPods: KubeObject[],
  oldPods: KubeObject[],
): void {
  const { desired } = rollout;
  const isReady = (pod: KubeObject): boolean => control.kubelets.isReady(pod);
  const byReadiness = (list: KubeObject[]): KubeObject[] =>
    [...list].sort((left, right) => Number(isReady(left)) - Number(isReady(right)));
  let total = pods.length;
  let created = newPods.length;
  while (created < desired && total < desired + rollout.maxSurge) {
    createPod(control, rollout);
    created++;
    total++;
  }
  for (const pod of byReadiness(newPods).slice(0, Math.max(0, newPods.length - desired))) deletePod(control, pod);
  let ready = pods.filter(isReady).length;
  const minAvailable = desired - rollout.maxUnavailable;
  for (const pod of byReadiness(oldPods)) {
    const podIsReady = isReady(pod);
    if (podIsReady && ready - 1 < minAvailable) break;
    deletePod(control, pod);
    if (podIsReady) ready--;
  }
}

function deploymentStatus(control: WorkloadControl, rollout: Rollout): KubeObject {
  const { deployment, desired, templateHash } = rollout;
  const metadata = metadataOf(deployment);
  const current = ownedPods(control.store, deployment);
  const readyCount = current.filter((pod) => control.kubelets.isReady(pod)).length;
  const updated = current.filter(rollout.isNew).length;
  const now = new Date().toISOString();
  const available = readyCount >= desired - rollout.maxUnavailable;
  const complete = updated === desired && current.length === desired && readyCount === desired;
  const previous = isRecord(deployment.status) ? asList(deployment.status.conditions) : [];
  // A condition keeps its times while its status and reason stay the same.
  const condition = (type: string, status: boolean, reason: string, message: string): KubeObject => {
    const before = previous.find((candidate) => candidate.type === type);
    const same = before !== undefined && before.status === (status ? "True" : "False") && before.reason === reason;
    return {
      type,
      status: status ? "True" : "False",
      lastUpdateTime: same ? before.lastUpdateTime : now,
      lastTransitionTime: same ? before.lastTransitionTime : now,
      reason,
      message,
    };
  };
  const replicaSet = `${String(metadata.name)}-${templateHash}`;
  return {
    observedGeneration: metadata.generation,
    replicas: current.length,
    updatedReplicas: updated,
    readyReplicas: readyCount,
    availableReplicas: readyCount,
    ...(desired - readyCount > 0 ? { unavailableReplicas: desired - readyCount } : {}),
    conditions: [
      condition(
        "Available",
        available,
        available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
        available ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
      ),
      condition(
        "Progressing",
        true,
        complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
        complete
          ? `ReplicaSet "${replicaSet}" has successfully progressed.`
          : `ReplicaSet "${replicaSet}" is progressing.`,
      ),
    ],
  };
}

export function reconcileDeployment(control: WorkloadControl, deployment: KubeObject): void {
  const rollout = rolloutOf(deployment);
  const pods = ownedPods(control.store, deployment);
  const newPods = pods.filter(rollout.isNew);
  const oldPods = pods.filter((pod) => !rollout.isNew(pod));
  const spec = isRecord(deployment.spec) ? deployment.spec : {};
  const strategy = isRecord(spec.strategy) ? spec.strategy : {};
  if (strategy.type === "Recreate") recreate(control, rollout, newPods, oldPods);
  else rollingUpdate(control, rollout, pods, newPods, oldPods);
  writeWorkloadStatus(control.store, "deployments", deployment, deploymentStatus(control, rollout));
}
