/**
 * Per-region sub-orchestrations. Each returns a result and never throws: a region's failure is a
 * value the rollout records (with its step and cause), so one region never blocks the others.
 *
 * - regionProvision (phase A): resource group → AKS clusters (long-running operations started by
 *   one activity, polled here with durable timers) → Kubernetes configuration → node keys created
 *   in the cluster → public identities only.
 * - regionDeploy (phase B): Besu validators and sentries → readiness.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import {
  beginCluster,
  checkReadiness,
  configureCluster,
  deployBesu,
  ensureNodeKeys,
  ensureResourceGroup,
  getClusterState,
  MAX_ACTIVITY_WAIT_SECONDS,
  type ActivityContract,
  type ActivityInput,
  type ActivitySuccess,
  type ClusterRef,
} from "../activities/contracts.js";
import type { ClusterPlan, RegionPlan } from "../lib/domain/plan.js";
import type { DesiredState } from "../lib/domain/spec.js";
import {
  orchestration,
  regionDeployOrchestration,
  regionProvisionOrchestration,
  type RegionFailure,
} from "./contracts.js";
import { activity, call, settleAll, sleep, type Outcome, type Pending } from "./durable.js";

/** An outcome as a named step of a region: its value, or the region's failure at that step. */
function stepOf<T>(name: string, outcome: Outcome<T>): { ok: true; value: T } | RegionFailure {
  return outcome.ok ? outcome : { ok: false, step: name, cause: outcome.cause, kind: outcome.kind };
}

/** Runs one activity as a named step of a region. */
function* step<C extends ActivityContract>(
  context: OrchestrationContext,
  name: string,
  contract: C,
  input: ActivityInput<C>,
  spec: DesiredState,
): Generator<Task, { ok: true; value: ActivitySuccess<C> } | RegionFailure, unknown> {
  return stepOf(name, yield* call(context, contract, input, spec.rollout.retry));
}

/**
 * Waits for a condition on every cluster of a region at once: each round asks every cluster not
 * done yet (one activity each, in parallel), until all are done, a step fails, or the deadline
 * (readinessTimeoutMinutes) passes. `waiting` lists what a cluster's answer still waits for.
 */
function* untilEveryCluster<T>(
  context: OrchestrationContext,
  spec: DesiredState,
  clusters: readonly ClusterPlan[],
  name: string,
  ask: (cluster: ClusterPlan) => Pending<T>,
  waiting: (answer: T) => string[],
  timedOut: (waitingFor: string[]) => RegionFailure,
): Generator<Task, { ok: true; answers: T[] } | RegionFailure, unknown> {
  const deadline = context.df.currentUtcDateTime.getTime() + spec.rollout.readinessTimeoutMinutes * 60_000;
  const done = new Map<ClusterPlan, T>();
  for (;;) {
    const asked = clusters.filter((cluster) => !done.has(cluster));
    const outcomes = yield* settleAll(context, asked.map(ask));
    const waitingFor: string[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      const result = stepOf(name, outcome);
      if (!result.ok) return result;
      const rest = waiting(result.value);
      if (rest.length === 0) done.set(asked[index] as ClusterPlan, result.value);
      else waitingFor.push(...rest);
    }
    const answers = clusters.flatMap((cluster) => {
      const answer = done.get(cluster);
      return answer === undefined ? [] : [answer];
    });
    if (answers.length === clusters.length) return { ok: true, answers };
    if (context.df.currentUtcDateTime.getTime() >= deadline) return timedOut(waitingFor);
    yield* restOfPollInterval(context, spec);
  }
}

/**
 * Kubernetes-side waits (LoadBalancer IPs, pod readiness) are re-checked inside the activity for
 * up to one poll interval, so a change is seen within a fraction of a second; the orchestrator
 * sleeps only for what is left of the interval. ARM waits are not: their reads count against the
 * subscription's throttling budget.
 */
const activityWait = (spec: DesiredState): number =>
  Math.min(spec.rollout.pollIntervalSeconds, MAX_ACTIVITY_WAIT_SECONDS);

function* restOfPollInterval(context: OrchestrationContext, spec: DesiredState): Generator<Task, void, unknown> {
  const rest = spec.rollout.pollIntervalSeconds - activityWait(spec);
  if (rest > 0) yield sleep(context, rest);
}

const clusterRef = (plan: RegionPlan, cluster: ClusterPlan): ClusterRef => ({
  resourceGroup: plan.resourceGroup,
  clusterName: cluster.name,
  region: plan.region,
});

function* waitForCluster(
  context: OrchestrationContext,
  spec: DesiredState,
  ref: ClusterRef,
): Generator<Task, RegionFailure | undefined, unknown> {
  const deadline = context.df.currentUtcDateTime.getTime() + spec.rollout.clusterTimeoutMinutes * 60_000;
  for (;;) {
    const polled = yield* step(context, "aks-cluster", getClusterState, { cluster: ref }, spec);
    if (!polled.ok) return polled;
    const state = polled.value.provisioningState;
    if (state === "Succeeded") return undefined;
    if (state === "Failed" || state === "Canceled") {
      return {
        ok: false,
        step: "aks-cluster",
        cause: `cluster ${ref.clusterName} provisioning ${state}: ${polled.value.failureMessage ?? "no detail from Azure"}`,
        kind: "permanent",
      };
    }
    if (context.df.currentUtcDateTime.getTime() >= deadline) {
      return {
        ok: false,
        step: "aks-cluster",
        cause: `cluster ${ref.clusterName} still ${state} after ${spec.rollout.clusterTimeoutMinutes} minutes`,
        kind: "transient",
      };
    }
    yield sleep(context, spec.rollout.pollIntervalSeconds);
  }
}

export const regionProvisionOrchestrator = orchestration(
  regionProvisionOrchestration,
  function* (context, { spec, plan }) {
    const group = yield* step(
      context,
      "resource-group",
      ensureResourceGroup,
      { resourceGroup: plan.resourceGroup, region: plan.region, network: plan.network },
      spec,
    );
    if (!group.ok) return group;

    // Start every cluster's long-running create first, then poll them: they provision in parallel.
    for (const cluster of plan.clusters) {
      const begun = yield* step(
        context,
        "aks-cluster",
        beginCluster,
        { cluster: clusterRef(plan, cluster), plan: cluster, network: plan.network },
        spec,
      );
      if (!begun.ok) return begun;
    }
    for (const cluster of plan.clusters) {
      const failure = yield* waitForCluster(context, spec, clusterRef(plan, cluster));
      if (failure) return failure;
    }

    // Configure every cluster first, then wait for their LoadBalancer IPs: the waits overlap.
    for (const cluster of plan.clusters) {
      const configured = yield* step(
        context,
        "kubernetes-config",
        configureCluster,
        { cluster: clusterRef(plan, cluster), regionPlan: plan, clusterOrdinal: cluster.ordinal, spec },
        spec,
      );
      if (!configured.ok) return configured;
    }
    // LoadBalancer IPs take a while; keys are created on the first call and reused after.
    const keys = yield* untilEveryCluster(
      context,
      spec,
      plan.clusters,
      "node-keys",
      (cluster) =>
        activity(
          context,
          ensureNodeKeys,
          {
            cluster: clusterRef(plan, cluster),
            namespace: cluster.namespace,
            nodes: cluster.nodes,
            waitSeconds: activityWait(spec),
          },
          spec.rollout.retry,
        ),
      (answer) => answer.pending,
      (pending) => ({
        ok: false,
        step: "p2p-addresses",
        cause: `no LoadBalancer IP after ${spec.rollout.readinessTimeoutMinutes} minutes for ${pending.join(", ")}`,
        kind: "transient",
      }),
    );
    if (!keys.ok) return keys;
    return { ok: true as const, identities: keys.answers.flatMap((answer) => answer.identities) };
  },
);

export const regionDeployOrchestrator = orchestration(regionDeployOrchestration, function* (context, input) {
  const { spec, plan } = input;
  for (const cluster of plan.clusters) {
    const deployed = yield* step(
      context,
      "besu-deploy",
      deployBesu,
      {
        cluster: clusterRef(plan, cluster),
        regionPlan: plan,
        clusterOrdinal: cluster.ordinal,
        spec,
        genesisJson: input.genesisJson,
        staticNodesJson: input.staticNodesJson,
        p2pHosts: input.p2pHosts,
      },
      spec,
    );
    if (!deployed.ok) return deployed;
  }
  const readiness = yield* untilEveryCluster(
    context,
    spec,
    plan.clusters,
    "besu-ready",
    (cluster) =>
      activity(
        context,
        checkReadiness,
        {
          cluster: clusterRef(plan, cluster),
          namespace: cluster.namespace,
          nodes: cluster.nodes,
          waitSeconds: activityWait(spec),
        },
        spec.rollout.retry,
      ),
    (answer) => answer.notReady.map((node) => `${node.nodeId}: ${node.reason}`),
    (reasons) => ({
      ok: false,
      step: "besu-ready",
      cause: `not ready after ${spec.rollout.readinessTimeoutMinutes} minutes — ${reasons.join("; ")}`,
      kind: "transient",
    }),
  );
  return readiness.ok ? { ok: true as const } : readiness;
});
