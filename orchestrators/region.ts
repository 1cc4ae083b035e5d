/**
 * Per-region sub-orchestrations. Each returns a result and never throws: a region's failure is a
 * value the rollout records (with its step and cause), so one region never blocks the others.
 *
 * - regionProvision (phase A): resource group → AKS clusters (long-running operations started by
 *   one activity, polled here with durable timers) → Kubernetes configuration → node keys created
 *   in the cluster → public identities only.
 * - regionDeploy (phase B): Besu validators and sentries → readiness.
 */
import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import { z } from "zod";
import {
  beginCluster,
  checkReadiness,
  configureCluster,
  deployBesu,
  ensureNodeKeys,
  ensureResourceGroup,
  getClusterState,
  MAX_ACTIVITY_WAIT_SECONDS,
  type ClusterRef,
  type PermanentFailure,
} from "../activities/contracts.js";
import { nodePublicIdentitySchema, type NodePublicIdentity } from "../lib/domain/genesis.js";
import { regionPlanSchema, type ClusterPlan, type RegionPlan } from "../lib/domain/plan.js";
import { desiredStateSchema, type DesiredState } from "../lib/domain/spec.js";
import { callActivity, failureMessage, settleAll, sleep, type Settled } from "./tasks.js";

export const REGION_PROVISION = "regionProvision";
export const REGION_DEPLOY = "regionDeploy";

export const regionFailureSchema = z.object({
  ok: z.literal(false),
  step: z.string(),
  cause: z.string(),
  kind: z.enum(["transient", "permanent"]),
});
export type RegionFailure = z.infer<typeof regionFailureSchema>;

export const provisionInputSchema = z.object({ spec: desiredStateSchema, plan: regionPlanSchema });
export type ProvisionInput = z.input<typeof provisionInputSchema>;
export const provisionResultSchema = z.union([z.object({ ok: z.literal(true), identities: z.array(nodePublicIdentitySchema) }), regionFailureSchema]);
export type ProvisionResult = z.infer<typeof provisionResultSchema>;

export const deployInputSchema = z.object({
  spec: desiredStateSchema,
  plan: regionPlanSchema,
  genesisJson: z.string(),
  staticNodesJson: z.string(),
  p2pHosts: z.record(z.string(), z.string()),
});
export type DeployInput = z.input<typeof deployInputSchema>;
export const deployResultSchema = z.union([z.object({ ok: z.literal(true) }), regionFailureSchema]);
export type DeployResult = z.infer<typeof deployResultSchema>;

type Outcome<T> = ({ ok: true } & T) | PermanentFailure;
export type StepResult<T> = { ok: true; value: { ok: true } & T } | RegionFailure;

/** An activity's outcome, or its exhausted retries, as the named step's result. */
function stepResult<T>(name: string, outcome: Settled<Outcome<T>>): StepResult<T> {
  if (!outcome.ok) return { ok: false, step: name, cause: `${outcome.error} (retries exhausted)`, kind: "transient" };
  if (!outcome.value.ok) return { ok: false, step: name, cause: `${outcome.value.code}: ${outcome.value.message}`, kind: "permanent" };
  return { ok: true, value: outcome.value };
}

/** Runs one activity as a named step: a permanent result or exhausted retries become a RegionFailure. */
export function* step<T>(name: string, task: Task): Generator<Task, StepResult<T>, unknown> {
  try {
    return stepResult<T>(name, { ok: true, value: (yield task) as Outcome<T> });
  } catch {
    return stepResult<T>(name, { ok: false, error: failureMessage(task) });
  }
}

/**
 * Waits for a condition on every cluster of a region at once: each round asks every cluster not
 * done yet (one activity each, in parallel), until all are done, a step fails, or the deadline
 * (readinessTimeoutMinutes) passes. `waiting` lists what a cluster's answer still waits for.
 */
function* untilEveryCluster<T extends object>(
  context: OrchestrationContext,
  spec: DesiredState,
  clusters: readonly ClusterPlan[],
  name: string,
  ask: (cluster: ClusterPlan) => Task,
  waiting: (answer: { ok: true } & T) => string[],
  timedOut: (waitingFor: string[]) => RegionFailure,
): Generator<Task, { ok: true; answers: ({ ok: true } & T)[] } | RegionFailure, unknown> {
  const deadline = context.df.currentUtcDateTime.getTime() + spec.rollout.readinessTimeoutMinutes * 60_000;
  const done = new Map<ClusterPlan, { ok: true } & T>();
  for (;;) {
    const asked = clusters.filter((cluster) => !done.has(cluster));
    const outcomes = yield* settleAll<Outcome<T>>(context, asked.map(ask));
    const waitingFor: string[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      const result = stepResult<T>(name, outcome);
      if (!result.ok) return result;
      const rest = waiting(result.value);
      if (rest.length === 0) done.set(asked[index] as ClusterPlan, result.value);
      else waitingFor.push(...rest);
    }
    if (done.size === clusters.length) return { ok: true, answers: clusters.map((cluster) => done.get(cluster) as { ok: true } & T) };
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
const activityWait = (spec: DesiredState): number => Math.min(spec.rollout.pollIntervalSeconds, MAX_ACTIVITY_WAIT_SECONDS);

function* restOfPollInterval(context: OrchestrationContext, spec: DesiredState): Generator<Task, void, unknown> {
  const rest = spec.rollout.pollIntervalSeconds - activityWait(spec);
  if (rest > 0) yield sleep(context, rest);
}

const clusterRef = (plan: RegionPlan, cluster: ClusterPlan): ClusterRef => ({ resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region });

function* waitForCluster(context: OrchestrationContext, spec: DesiredState, ref: ClusterRef): Generator<Task, RegionFailure | undefined, unknown> {
  const deadline = context.df.currentUtcDateTime.getTime() + spec.rollout.clusterTimeoutMinutes * 60_000;
  for (;;) {
    const polled = yield* step<{ provisioningState: string; failureMessage?: string }>("aks-cluster", callActivity(context, getClusterState, { cluster: ref }, spec.rollout.retry));
    if (!polled.ok) return polled;
    const state = polled.value.provisioningState;
    if (state === "Succeeded") return undefined;
    if (state === "Failed" || state === "Canceled") {
      return { ok: false, step: "aks-cluster", cause: `cluster ${ref.clusterName} provisioning ${state}: ${polled.value.failureMessage ?? "no detail from Azure"}`, kind: "permanent" };
    }
    if (context.df.currentUtcDateTime.getTime() >= deadline) {
      return { ok: false, step: "aks-cluster", cause: `cluster ${ref.clusterName} still ${state} after ${spec.rollout.clusterTimeoutMinutes} minutes`, kind: "transient" };
    }
    yield sleep(context, spec.rollout.pollIntervalSeconds);
  }
}

df.app.orchestration(REGION_PROVISION, function* regionProvision(context: OrchestrationContext): Generator<Task, ProvisionResult, unknown> {
  const { spec, plan } = provisionInputSchema.parse(context.df.getInput());
  const retry = spec.rollout.retry;

  const group = yield* step("resource-group", callActivity(context, ensureResourceGroup, { resourceGroup: plan.resourceGroup, region: plan.region, network: plan.network }, retry));
  if (!group.ok) return group;

  // Start every cluster's long-running create first, then poll them: they provision in parallel.
  for (const cluster of plan.clusters) {
    const begun = yield* step("aks-cluster", callActivity(context, beginCluster, { cluster: clusterRef(plan, cluster), plan: cluster, network: plan.network }, retry));
    if (!begun.ok) return begun;
  }
  for (const cluster of plan.clusters) {
    const failure = yield* waitForCluster(context, spec, clusterRef(plan, cluster));
    if (failure) return failure;
  }

  // Configure every cluster first, then wait for their LoadBalancer IPs: the waits overlap.
  for (const cluster of plan.clusters) {
    const configured = yield* step("kubernetes-config", callActivity(context, configureCluster, { cluster: clusterRef(plan, cluster), regionPlan: plan, clusterOrdinal: cluster.ordinal, spec }, retry));
    if (!configured.ok) return configured;
  }
  // LoadBalancer IPs take a while; keys are created on the first call and reused after.
  const keys = yield* untilEveryCluster<{ identities: NodePublicIdentity[]; pending: string[] }>(context, spec, plan.clusters, "node-keys",
    (cluster) => callActivity(context, ensureNodeKeys, { cluster: clusterRef(plan, cluster), namespace: cluster.namespace, nodes: cluster.nodes, waitSeconds: activityWait(spec) }, retry),
    (answer) => answer.pending,
    (pending) => ({ ok: false, step: "p2p-addresses", cause: `no LoadBalancer IP after ${spec.rollout.readinessTimeoutMinutes} minutes for ${pending.join(", ")}`, kind: "transient" }));
  if (!keys.ok) return keys;
  return { ok: true, identities: keys.answers.flatMap((answer) => answer.identities) };
});

df.app.orchestration(REGION_DEPLOY, function* regionDeploy(context: OrchestrationContext): Generator<Task, DeployResult, unknown> {
  const input = deployInputSchema.parse(context.df.getInput());
  const { spec, plan } = input;
  const retry = spec.rollout.retry;
  for (const cluster of plan.clusters) {
    const deployed = yield* step("besu-deploy", callActivity(context, deployBesu, {
      cluster: clusterRef(plan, cluster),
      regionPlan: plan,
      clusterOrdinal: cluster.ordinal,
      spec,
      genesisJson: input.genesisJson,
      staticNodesJson: input.staticNodesJson,
      p2pHosts: input.p2pHosts,
    }, retry));
    if (!deployed.ok) return deployed;
  }
  const readiness = yield* untilEveryCluster<{ ready: string[]; notReady: { nodeId: string; reason: string }[] }>(context, spec, plan.clusters, "besu-ready",
    (cluster) => callActivity(context, checkReadiness, { cluster: clusterRef(plan, cluster), namespace: cluster.namespace, nodes: cluster.nodes, waitSeconds: activityWait(spec) }, retry),
    (answer) => answer.notReady.map((node) => `${node.nodeId}: ${node.reason}`),
    (reasons) => ({ ok: false, step: "besu-ready", cause: `not ready after ${spec.rollout.readinessTimeoutMinutes} minutes — ${reasons.join("; ")}`, kind: "transient" }));
  return readiness.ok ? { ok: true } : readiness;
});
