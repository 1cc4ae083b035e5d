/**
 * Safe healing (`drift.remediate: safe`): the Kubernetes configuration of each cluster with
 * Kubernetes findings is applied again through the rollout's own activities (`configureCluster`,
 * `deployBesu`), from the baseline rollout's documents, which restores edited and deleted objects.
 * Regions are healed one at a time, each waited for until its nodes are ready again, so that a
 * StatefulSet put back never restarts the validators of more than one region at once.
 * NOTE: that is stricter than QBFT needs; it stands in for the QBFT-safe waves of the rollout
 * (issue 10), which healing should use once they exist. ARM and Besu findings are never healed:
 * clusters are not recreated and validators not voted in or out by a drift check.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { checkReadiness, configureCluster, deployBesu, MAX_ACTIVITY_WAIT_SECONDS } from "../../activities/contracts.js";
import type { DriftBaseline } from "../../activities/drift-contracts.js";
import type { DriftAction, DriftFinding } from "../../lib/domain/drift/report.js";
import type { ClusterPlan, RegionPlan } from "../../lib/domain/plan.js";
import { call, sleep, type RetryScope } from "../durable.js";

/** The clusters a finding of kind `kubernetes` points at (by region: a region's clusters share the plan). */
function clustersToHeal(plans: readonly RegionPlan[], findings: readonly DriftFinding[]) {
  const regions = new Set(findings.filter((finding) => finding.kind === "kubernetes").map((finding) => finding.region));
  return plans.filter((plan) => regions.has(plan.region));
}

function* readyAgain(
  context: OrchestrationContext,
  plan: RegionPlan,
  cluster: ClusterPlan,
  baseline: DriftBaseline,
  retry: RetryScope,
): Generator<Task, DriftAction, unknown> {
  const { rollout } = baseline.spec;
  const deadline = context.df.currentUtcDateTime.getTime() + rollout.readinessTimeoutMinutes * 60_000;
  for (;;) {
    const answer = yield* call(
      context,
      checkReadiness,
      {
        cluster: { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region },
        namespace: cluster.namespace,
        nodes: cluster.nodes,
        waitSeconds: MAX_ACTIVITY_WAIT_SECONDS,
      },
      retry,
    );
    const notReady = answer.ok ? answer.value.notReady.map((node) => `${node.nodeId}: ${node.reason}`) : [answer.cause];
    if (notReady.length === 0 || context.df.currentUtcDateTime.getTime() >= deadline)
      return {
        region: plan.region,
        resource: cluster.name,
        action: "wait for readiness",
        ok: notReady.length === 0,
        detail: notReady.length === 0 ? "every node ready" : `not ready: ${notReady.join("; ")}`,
      };
    yield sleep(context, rollout.pollIntervalSeconds);
  }
}

/** Heals region after region; returns what was done, each step with its outcome. */
export function* healKubernetes(
  context: OrchestrationContext,
  baseline: DriftBaseline,
  plans: readonly RegionPlan[],
  findings: readonly DriftFinding[],
  retry: RetryScope,
): Generator<Task, DriftAction[], unknown> {
  const actions: DriftAction[] = [];
  for (const plan of clustersToHeal(plans, findings)) {
    for (const cluster of plan.clusters) {
      const ref = { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region };
      const input = {
        cluster: ref,
        regionPlan: plan,
        clusterOrdinal: cluster.ordinal,
        specDocument: baseline.specDocument,
      };
      const configured = yield* call(context, configureCluster, input, retry);
      actions.push({
        region: plan.region,
        resource: cluster.name,
        action: "re-apply cluster configuration",
        ok: configured.ok,
        detail: configured.ok ? `${configured.value.applied} objects applied` : configured.cause,
      });
      const deployed = yield* call(context, deployBesu, { ...input, networkDocument: baseline.networkDocument }, retry);
      actions.push({
        region: plan.region,
        resource: cluster.name,
        action: "re-apply Besu workloads",
        ok: deployed.ok,
        detail: deployed.ok ? `${deployed.value.applied} objects applied` : deployed.cause,
      });
      if (!configured.ok || !deployed.ok) continue;
      actions.push(yield* readyAgain(context, plan, cluster, baseline, retry));
    }
  }
  return actions;
}
