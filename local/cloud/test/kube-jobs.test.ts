/**
 * Jobs on a simulated cluster, through the real @kubernetes/client-node: a Job runs its pod to
 * completion; failed pods count against `backoffLimit` (container restarts do under
 * `restartPolicy: OnFailure`); the status and conditions are the fields Kubernetes' job
 * controller writes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { KubeConfig, V1Job, V1JobCondition } from "@kubernetes/client-node" with { "resolution-mode": "import" };
import { eventually, loadKubeClient, startClusterWithNamespace, type TestCloud } from "./helpers.js";

type KubeClient = Awaited<ReturnType<typeof loadKubeClient>>;

const NAMESPACE = "jobs";

/** A Job whose one container runs `script` (the kubectl image's shell; an exit code is all it does). */
function job(name: string, script: string, restartPolicy: "Never" | "OnFailure", backoffLimit?: number): V1Job {
  return {
    metadata: { name },
    spec: {
      ...(backoffLimit === undefined ? {} : { backoffLimit }),
      template: {
        spec: {
          restartPolicy,
          containers: [{ name: "work", image: "bitnami/kubectl:1.32", command: ["/bin/sh", "-c", script] }],
        },
      },
    },
  };
}

describe("Jobs on a simulated cluster", () => {
  let test: TestCloud;
  let k8s: KubeClient;
  let admin: KubeConfig;

  before(async () => {
    k8s = await loadKubeClient();
    ({ test, admin } = await startClusterWithNamespace([], {
      resourceGroup: "rg-jobs",
      cluster: "aks-jobs",
      location: "westeurope",
      namespace: NAMESPACE,
    }));
  });

  after(async () => {
    await test.close();
  });

  /** Creates the Job and waits for its terminal condition (Complete or Failed). */
  const runToEnd = async (body: V1Job): Promise<V1Job> => {
    const batch = admin.makeApiClient(k8s.BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body });
    const name = String(body.metadata?.name);
    return eventually(`Job ${name} to end`, async () => {
      const current = await batch.readNamespacedJob({ namespace: NAMESPACE, name });
      const ended = current.status?.conditions?.some(
        (condition) => (condition.type === "Complete" || condition.type === "Failed") && condition.status === "True",
      );
      return ended ? current : undefined;
    });
  };
  const podsOf = async (name: string) =>
    (
      await admin
        .makeApiClient(k8s.CoreV1Api)
        .listNamespacedPod({ namespace: NAMESPACE, labelSelector: `batch.kubernetes.io/job-name=${name}` })
    ).items;
  /** The conditions as type, status, reason and message, after checking both timestamps are set. */
  const conditionsOf = (finished: V1Job): Partial<V1JobCondition>[] =>
    (finished.status?.conditions ?? []).map((condition) => {
      assert.ok(condition.lastProbeTime instanceof Date, `${condition.type} has lastProbeTime`);
      assert.ok(condition.lastTransitionTime instanceof Date, `${condition.type} has lastTransitionTime`);
      return { type: condition.type, status: condition.status, reason: condition.reason, message: condition.message };
    });

  it("runs its pod to completion: Complete after SuccessCriteriaMet, succeeded 1, completionTime", async () => {
    const finished = await runToEnd(job("once", "exit 0", "Never"));
    const reached = {
      status: "True",
      reason: "CompletionsReached",
      message: "Reached expected number of succeeded pods",
    };
    assert.deepEqual(conditionsOf(finished), [
      { type: "SuccessCriteriaMet", ...reached },
      { type: "Complete", ...reached },
    ]);
    const status = finished.status;
    assert.equal(status?.succeeded, 1);
    assert.equal(status?.active, undefined, "no pod runs any more (a count of 0 is left out)");
    assert.equal(status?.failed, undefined);
    assert.equal(status?.ready, 0);
    assert.equal(status?.terminating, 0);
    assert.ok(status?.startTime instanceof Date && status.completionTime instanceof Date);
    assert.ok(status.completionTime >= status.startTime);

    const [pod, ...others] = await podsOf("once");
    assert.equal(others.length, 0);
    assert.equal(pod?.status?.phase, "Succeeded");
    assert.equal(pod?.status?.containerStatuses?.[0]?.state?.terminated?.reason, "Completed");
    assert.equal(pod?.metadata?.labels?.["job-name"], "once");
    assert.equal(pod?.metadata?.labels?.["batch.kubernetes.io/controller-uid"], finished.metadata?.uid);
    assert.deepEqual(
      pod?.metadata?.ownerReferences?.map((owner) => [owner.kind, owner.name, owner.controller]),
      [["Job", "once", true]],
    );
  });

  it("counts failed pods against backoffLimit, then fails with BackoffLimitExceeded", async () => {
    const finished = await runToEnd(job("flaky", "exit 3", "Never", 2));
    const exceeded = {
      status: "True",
      reason: "BackoffLimitExceeded",
      message: "Job has reached the specified backoff limit",
    };
    assert.deepEqual(conditionsOf(finished), [
      { type: "FailureTarget", ...exceeded },
      { type: "Failed", ...exceeded },
    ]);
    assert.equal(finished.status?.failed, 3, "backoffLimit 2: the third failure ends the Job");
    assert.equal(finished.status?.succeeded, undefined);
    assert.equal(finished.status?.active, undefined);
    assert.equal(finished.status?.completionTime, undefined, "only a Job that succeeded has a completion time");
    const pods = await podsOf("flaky");
    assert.equal(pods.length, 3, "one pod per attempt, none after the Job failed");
    for (const pod of pods) {
      assert.equal(pod.status?.phase, "Failed");
      assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
    }

    const once = await runToEnd(job("no-retry", "exit 1", "Never", 0));
    assert.equal(once.status?.failed, 1, "backoffLimit 0: the first failure ends the Job");
    assert.equal((await podsOf("no-retry")).length, 1);
  });

  it("under OnFailure counts container restarts, then deletes the pod and counts it as failed", async () => {
    const finished = await runToEnd(job("restarting", "exit 1", "OnFailure", 2));
    assert.deepEqual(
      conditionsOf(finished).map((condition) => [condition.type, condition.reason]),
      [
        ["FailureTarget", "BackoffLimitExceeded"],
        ["Failed", "BackoffLimitExceeded"],
      ],
    );
    assert.equal(finished.status?.failed, 1);
    assert.equal(finished.status?.active, undefined);
    await eventually("the pod to be gone", async () => ((await podsOf("restarting")).length === 0 ? true : undefined));
  });
});
