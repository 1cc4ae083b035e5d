/**
 * Per-region sub-orchestrations. Each returns a result and never throws: a region's failure is a
 * value the rollout records (with its step and cause), so one region never blocks the others.
 *
 * - regionProvision (phase A): resource group → AKS clusters (long-running operations started by
 *   one activity, polled here with durable timers) → Kubernetes configuration → node keys created
 *   by a Job in the cluster → public identities only.
 * - regionDeploy (phase B): Besu validators and sentries → readiness.
 *
 * A cancel request reaches a region as its own "Cancel" event (the HTTP API raises it to the
 * rollout and to its regions): no new step starts after it, and the polling waits end at once.
 * Transient faults are retried inside each step (orchestrators/durable.ts); every retry is counted
 * in the region's result and shown live in this sub-orchestration's custom status.
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
import type { RegionPhase, RegionRetries } from "../lib/domain/rollout-status.js";
import type { RolloutPolicy } from "../lib/domain/spec.js";
import {
  CANCEL_EVENT,
  orchestration,
  regionDeployOrchestration,
  regionProvisionOrchestration,
  type RegionCanceled,
  type RegionFailure,
} from "./contracts.js";
import {
  activity,
  cancellation,
  now,
  outcomeOf,
  settleAll,
  sleepUnlessCanceled,
  type Cancellation,
  type Outcome,
  type Pending,
  type RetryScope,
} from "./durable.js";

/** What a region's steps share: the durable context, the policy, the plan, the cancel request, the retries so far. */
interface RegionRun {
  context: OrchestrationContext;
  policy: RolloutPolicy;
  plan: RegionPlan;
  cancel: Cancellation;
  retries: RegionRetries;
  scope: RetryScope;
}

function beginRegion(
  context: OrchestrationContext,
  policy: RolloutPolicy,
  plan: RegionPlan,
  phase: RegionPhase,
): RegionRun {
  const run: RegionRun = {
    context,
    policy,
    plan,
    cancel: cancellation(context, CANCEL_EVENT),
    retries: { count: 0, waitedSeconds: 0 },
    scope: { policy: policy.retry, phase },
  };
  run.scope.onRetry = (notice) => {
    run.retries = {
      count: run.retries.count + 1,
      waitedSeconds: run.retries.waitedSeconds + notice.waitSeconds,
      last: { ...notice, at: now(context) },
    };
    context.df.setCustomStatus({ region: plan.region, retries: run.retries });
  };
  return run;
}

type Stopped = RegionFailure | RegionCanceled;

/** An outcome as a named step of a region: its value, or the region's failure at that step. */
function stepOf<T>(name: string, outcome: Outcome<T>): { ok: true; value: T } | RegionFailure {
  return outcome.ok ? outcome : { ok: false, step: name, cause: outcome.cause, kind: outcome.kind };
}

/** Runs one activity as a named step of a region, unless a cancel request came first. */
function* step<C extends ActivityContract>(
  run: RegionRun,
  name: string,
  contract: C,
  input: ActivityInput<C>,
): Generator<Task, { ok: true; value: ActivitySuccess<C> } | Stopped, unknown> {
  if (run.cancel.requested) return { ok: false, canceled: true, step: name };
  return stepOf(name, yield* outcomeOf(activity(run.context, contract, input, run.scope)));
}

/** Sleeps for a poll; false when a cancel request ended the sleep (or had arrived before it). */
function* poll(run: RegionRun, seconds: number): Generator<Task, boolean, unknown> {
  yield* sleepUnlessCanceled(run.context, seconds, run.cancel);
  return !run.cancel.requested;
}

/**
 * Kubernetes-side waits (LoadBalancer IPs, pod readiness) are re-checked inside the activity for
 * up to one poll interval, so a change is seen within a fraction of a second; the orchestrator
 * sleeps only for what is left of the interval. ARM waits are not: their reads count against the
 * subscription's throttling budget.
 */
const activityWait = (policy: RolloutPolicy): number => Math.min(policy.pollIntervalSeconds, MAX_ACTIVITY_WAIT_SECONDS);

/**
 * Waits for a condition on every cluster of a region at once: each round asks every cluster not
 * done yet (one activity each, in parallel), until all are done, a step fails, the deadline
 * (readinessTimeoutMinutes) passes or a cancel arrives. `waiting` lists what an answer still waits for.
 */
function* untilEveryCluster<T>(
  run: RegionRun,
  name: string,
  ask: (cluster: ClusterPlan) => Pending<T>,
  waiting: (answer: T) => string[],
  timedOut: (waitingFor: string[]) => RegionFailure,
): Generator<Task, { ok: true; answers: T[] } | Stopped, unknown> {
  const { context, policy, plan } = run;
  const deadline = context.df.currentUtcDateTime.getTime() + policy.readinessTimeoutMinutes * 60_000;
  const done = new Map<ClusterPlan, T>();
  for (;;) {
    if (run.cancel.requested) return { ok: false, canceled: true, step: name };
    const asked = plan.clusters.filter((cluster) => !done.has(cluster));
    const outcomes = yield* settleAll(context, asked.map(ask));
    const waitingFor: string[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      const result = stepOf(name, outcome);
      if (!result.ok) return result;
      const rest = waiting(result.value);
      if (rest.length === 0) done.set(asked[index] as ClusterPlan, result.value);
      else waitingFor.push(...rest);
    }
    const answers = plan.clusters.flatMap((cluster) => {
      const answer = done.get(cluster);
      return answer === undefined ? [] : [answer];
    });
    if (answers.length === plan.clusters.length) return { ok: true, answers };
    if (context.df.currentUtcDateTime.getTime() >= deadline) return timedOut(waitingFor);
    const rest = policy.pollIntervalSeconds - activityWait(policy);
    if (rest > 0 && !(yield* poll(run, rest))) return { ok: false, canceled: true, step: name };
  }
}

const clusterRef = (plan: RegionPlan, cluster: ClusterPlan): ClusterRef => ({
  resourceGroup: plan.resourceGroup,
  clusterName: cluster.name,
  region: plan.region,
});

function* waitForCluster(run: RegionRun, ref: ClusterRef): Generator<Task, Stopped | undefined, unknown> {
  const { context, policy } = run;
  const deadline = context.df.currentUtcDateTime.getTime() + policy.clusterTimeoutMinutes * 60_000;
  for (;;) {
    const polled = yield* step(run, "aks-cluster", getClusterState, { cluster: ref });
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
        cause: `cluster ${ref.clusterName} still ${state} after ${policy.clusterTimeoutMinutes} minutes`,
        kind: "transient",
      };
    }
    if (!(yield* poll(run, policy.pollIntervalSeconds))) return { ok: false, canceled: true, step: "aks-cluster" };
  }
}

function* provision(run: RegionRun, specDocument: string) {
  const { plan, policy, context } = run;
  const group = yield* step(run, "resource-group", ensureResourceGroup, {
    resourceGroup: plan.resourceGroup,
    region: plan.region,
    network: plan.network,
  });
  if (!group.ok) return group;

  // Start every cluster's long-running create first, then poll them: they provision in parallel.
  for (const cluster of plan.clusters) {
    const begun = yield* step(run, "aks-cluster", beginCluster, {
      cluster: clusterRef(plan, cluster),
      plan: cluster,
      network: plan.network,
    });
    if (!begun.ok) return begun;
  }
  for (const cluster of plan.clusters) {
    const stopped = yield* waitForCluster(run, clusterRef(plan, cluster));
    if (stopped) return stopped;
  }

  // Configure every cluster first, then wait for their LoadBalancer IPs: the waits overlap.
  for (const cluster of plan.clusters) {
    const configured = yield* step(run, "kubernetes-config", configureCluster, {
      cluster: clusterRef(plan, cluster),
      regionPlan: plan,
      clusterOrdinal: cluster.ordinal,
      specDocument,
    });
    if (!configured.ok) return configured;
  }
  // Key Jobs and LoadBalancer IPs take a while; a key Job starts on the first call and its
  // published public key is read on every later one.
  const keys = yield* untilEveryCluster(
    run,
    "node-keys",
    (cluster) =>
      activity(
        context,
        ensureNodeKeys,
        {
          cluster: clusterRef(plan, cluster),
          regionPlan: plan,
          clusterOrdinal: cluster.ordinal,
          specDocument,
          waitSeconds: activityWait(policy),
        },
        run.scope,
      ),
    (answer) => answer.pending,
    (pending) => ({
      ok: false,
      step: "node-keys",
      cause: `no public key or LoadBalancer IP after ${policy.readinessTimeoutMinutes} minutes — ${pending.join("; ")}`,
      kind: "transient",
    }),
  );
  if (!keys.ok) return keys;
  return { ok: true as const, identities: keys.answers.flatMap((answer) => answer.identities) };
}

export const regionProvisionOrchestrator = orchestration(regionProvisionOrchestration, function* (context, input) {
  const run = beginRegion(context, input.policy, input.plan, "provisioning");
  const result = yield* provision(run, input.specDocument);
  return { ...result, retries: run.retries };
});

function* deploy(run: RegionRun, specDocument: string, networkDocument: string) {
  const { plan, policy, context } = run;
  for (const cluster of plan.clusters) {
    const deployed = yield* step(run, "besu-deploy", deployBesu, {
      cluster: clusterRef(plan, cluster),
      regionPlan: plan,
      clusterOrdinal: cluster.ordinal,
      specDocument,
      networkDocument,
    });
    if (!deployed.ok) return deployed;
  }
  const readiness = yield* untilEveryCluster(
    run,
    "besu-ready",
    (cluster) =>
      activity(
        context,
        checkReadiness,
        {
          cluster: clusterRef(plan, cluster),
          namespace: cluster.namespace,
          nodes: cluster.nodes,
          waitSeconds: activityWait(policy),
        },
        run.scope,
      ),
    (answer) => answer.notReady.map((node) => `${node.nodeId}: ${node.reason}`),
    (reasons) => ({
      ok: false,
      step: "besu-ready",
      cause: `not ready after ${policy.readinessTimeoutMinutes} minutes — ${reasons.join("; ")}`,
      kind: "transient",
    }),
  );
  return readiness.ok ? { ok: true as const } : readiness;
}

export const regionDeployOrchestrator = orchestration(regionDeployOrchestration, function* (context, input) {
  const run = beginRegion(context, input.policy, input.plan, "deploying");
  const result = yield* deploy(run, input.specDocument, input.networkDocument);
  return { ...result, retries: run.retries };
});
