/**
 * The Job controller for Jobs that need one successful pod (the default `completions: 1`,
 * `parallelism: 1`): it makes a pod from the template while none is active, counts the pods that
 * succeeded and failed, and ends the Job `Complete` after a success or `Failed` once more pods
 * failed than `backoffLimit` allows. A finished Job is left alone.
 *
 * NOTE: the real controller waits 10 s, doubling, before replacing a failed pod; here the next
 * pod comes on the next pass, and a test that needs the wait does not exist yet.
 */
import { randomBytes } from "node:crypto";
import { isRecord } from "../../http.js";
import { asList, metadataOf, type KubeObject } from "../objects.js";
import { createOwnedPod, ownedPods, writeWorkloadStatus, type WorkloadControl } from "./workloads.js";

const phaseOf = (pod: KubeObject): unknown => (isRecord(pod.status) ? pod.status.phase : undefined);

function finished(job: KubeObject): boolean {
  const conditions = asList(isRecord(job.status) ? job.status.conditions : []);
  return conditions.some(
    (condition) => (condition.type === "Complete" || condition.type === "Failed") && condition.status === "True",
  );
}

export function reconcileJob(control: WorkloadControl, job: KubeObject): void {
  if (finished(job)) return;
  const metadata = metadataOf(job);
  const name = String(metadata.name);
  const spec = isRecord(job.spec) ? job.spec : {};
  const backoffLimit = typeof spec.backoffLimit === "number" ? spec.backoffLimit : 6;
  const pods = ownedPods(control.store, job);
  const succeeded = pods.filter((pod) => phaseOf(pod) === "Succeeded").length;
  const failed = pods.filter((pod) => phaseOf(pod) === "Failed").length;
  let active = pods.length - succeeded - failed;
  const now = new Date().toISOString();
  const previous = isRecord(job.status) ? job.status : {};
  const startTime = typeof previous.startTime === "string" ? previous.startTime : now;
  const condition = (type: string, reason?: string, message?: string): KubeObject => ({
    type,
    status: "True",
    lastProbeTime: now,
    lastTransitionTime: now,
    ...(reason === undefined ? {} : { reason }),
    ...(message === undefined ? {} : { message }),
  });
  let conditions: KubeObject[] = [];
  if (succeeded > 0) conditions = [condition("SuccessCriteriaMet", "CompletionsReached"), condition("Complete")];
  else if (failed > backoffLimit)
    conditions = [condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")];
  else if (active === 0) {
    const labels = { "batch.kubernetes.io/job-name": name, "job-name": name, "controller-uid": String(metadata.uid) };
    createOwnedPod(control, job, "Job", `${name}-${randomBytes(3).toString("hex").slice(0, 5)}`, labels, {});
    active = 1;
  }
  writeWorkloadStatus(control.store, "jobs", job, {
    startTime,
    active: conditions.length > 0 ? 0 : active,
    succeeded,
    failed,
    ...(succeeded > 0
      ? { completionTime: typeof previous.completionTime === "string" ? previous.completionTime : now }
      : {}),
    ...(conditions.length > 0 ? { conditions } : {}),
  });
}
