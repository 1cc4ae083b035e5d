/**
 * The Job controller for Jobs that need one successful pod (the default `completions: 1`,
 * `parallelism: 1`), as Kubernetes' job controller (1.31+) writes them: it makes a pod from the
 * template while none is active, counts the pods that succeeded and failed, and ends the Job
 * `Complete` after a success, or `Failed` once more pods failed than `backoffLimit` allows — or,
 * under `restartPolicy: OnFailure`, once the active pod's containers restarted `backoffLimit`
 * times (any restart when it is 0), when the active pod is deleted and counted as failed. Each
 * terminal condition follows its interim one (`SuccessCriteriaMet`, `FailureTarget`). A finished
 * Job is left alone.
 *
 * NOTE: the real controller waits 10 s, doubling, before replacing a failed pod; here the next
 * pod comes on the next pass, and a test that needs the wait does not exist yet.
 */
import { randomBytes } from "node:crypto";
import { isRecord } from "../../http.js";
import { asList, metadataOf, type KubeObject } from "../objects.js";
import { createOwnedPod, ownedPods, writeWorkloadStatus, type WorkloadControl } from "./workloads.js";

const DEFAULT_BACKOFF_LIMIT = 6;
const COMPLETIONS_REACHED = { reason: "CompletionsReached", message: "Reached expected number of succeeded pods" };
const BACKOFF_LIMIT_EXCEEDED = {
  reason: "BackoffLimitExceeded",
  message: "Job has reached the specified backoff limit",
};

const statusOf = (object: KubeObject): KubeObject => (isRecord(object.status) ? object.status : {});

function finished(job: KubeObject): boolean {
  return asList(statusOf(job).conditions).some(
    (condition) => (condition.type === "Complete" || condition.type === "Failed") && condition.status === "True",
  );
}

/** Container restarts of the active pods, which count against `backoffLimit` under OnFailure. */
function restarts(pods: KubeObject[]): number {
  let total = 0;
  for (const pod of pods)
    for (const container of [
      ...asList(statusOf(pod).initContainerStatuses),
      ...asList(statusOf(pod).containerStatuses),
    ])
      total += typeof container.restartCount === "number" ? container.restartCount : 0;
  return total;
}

export function reconcileJob(control: WorkloadControl, job: KubeObject): void {
  if (finished(job)) return;
  const metadata = metadataOf(job);
  const name = String(metadata.name);
  const spec = isRecord(job.spec) ? job.spec : {};
  const template = isRecord(spec.template) && isRecord(spec.template.spec) ? spec.template.spec : {};
  const backoffLimit = typeof spec.backoffLimit === "number" ? spec.backoffLimit : DEFAULT_BACKOFF_LIMIT;
  const pods = ownedPods(control.store, job);
  const phase = (pod: KubeObject): unknown => statusOf(pod).phase;
  const succeeded = pods.filter((pod) => phase(pod) === "Succeeded").length;
  let failed = pods.filter((pod) => phase(pod) === "Failed").length;
  let active = pods.filter((pod) => phase(pod) !== "Succeeded" && phase(pod) !== "Failed");
  const restarted = template.restartPolicy === "OnFailure" ? restarts(active) : 0;
  const pastBackoffLimit = failed > backoffLimit || (backoffLimit === 0 ? restarted > 0 : restarted >= backoffLimit);

  const now = new Date().toISOString();
  const previous = statusOf(job);
  const condition = (type: string, why: { reason: string; message: string }): KubeObject => ({
    type,
    status: "True",
    lastProbeTime: now,
    lastTransitionTime: now,
    ...why,
  });
  let conditions: KubeObject[] | undefined;
  if (succeeded > 0) {
    conditions = [condition("SuccessCriteriaMet", COMPLETIONS_REACHED), condition("Complete", COMPLETIONS_REACHED)];
  } else if (pastBackoffLimit) {
    conditions = [condition("FailureTarget", BACKOFF_LIMIT_EXCEEDED), condition("Failed", BACKOFF_LIMIT_EXCEEDED)];
    // The controller terminates what still runs and counts it as failed.
    for (const pod of active) control.store.remove("pods", String(metadata.namespace), String(metadataOf(pod).name));
    failed += active.length;
    active = [];
  } else if (active.length === 0) {
    const uid = String(metadata.uid);
    const labels = {
      "batch.kubernetes.io/controller-uid": uid,
      "batch.kubernetes.io/job-name": name,
      "controller-uid": uid,
      "job-name": name,
    };
    createOwnedPod(control, job, "Job", `${name}-${randomBytes(3).toString("hex").slice(0, 5)}`, labels, {});
    active = ownedPods(control.store, job).filter((pod) => phase(pod) !== "Succeeded" && phase(pod) !== "Failed");
  }
  // As the API serializes JobStatus: counts of 0 are left out, `ready` and `terminating` are not.
  writeWorkloadStatus(control.store, "jobs", job, {
    ...(conditions && { conditions }),
    startTime: typeof previous.startTime === "string" ? previous.startTime : now,
    ...(succeeded > 0 && {
      completionTime: typeof previous.completionTime === "string" ? previous.completionTime : now,
    }),
    ...(active.length > 0 && { active: active.length }),
    ...(succeeded > 0 && { succeeded }),
    ...(failed > 0 && { failed }),
    ready: active.filter((pod) => control.kubelets.isReady(pod)).length,
    terminating: 0,
    uncountedTerminatedPods: {},
  });
}
