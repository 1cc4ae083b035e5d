/**
 * The rollout orchestration: preflight (fan-out) → phase A per region (bounded window of
 * sub-orchestrations) → genesis (fan-in; the network's recorded genesis if it formed before) →
 * phase B per region → admission of joining validators by vote → network verification (fan-in)
 * → report. The contracts and CCIP phases come later; their places are marked below.
 *
 * Progress is the custom status: a RolloutStatus (lib/domain/rollout-status.ts) updated before
 * every wait, so the status endpoint shows each region's phase and last error live. It contains
 * no secret: only names, states, public identities' counts and check results.
 */
import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import { z } from "zod";
import { loadNetworkRecord, observeNodes, preflightRegion, saveDocument, type NodeObservation } from "../activities/contracts.js";
import type { ObservationScope } from "../lib/besu/observe.js";
import type { NodePublicIdentity } from "../lib/domain/genesis.js";
import { decideMembership, networkRecordName, validatorPublicKeys, withAdmittedValidators, type NetworkRecord } from "../lib/domain/network-record.js";
import { planRollout, type RegionPlan } from "../lib/domain/plan.js";
import {
  createRolloutStatus,
  enterPhase,
  failRegion,
  finishRollout,
  recordVerification,
  regionStatusSchema,
  requestCancel,
  startRegionPhase,
  succeedRegion,
  type RolloutStatus,
} from "../lib/domain/rollout-status.js";
import { desiredStateSchema, type DesiredState } from "../lib/domain/spec.js";
import { verifyNetwork, type ObservedNode } from "../lib/domain/verification.js";
import { admitJoiningValidators } from "./admission.js";
import { REGION_DEPLOY, REGION_PROVISION, step, type DeployResult, type ProvisionResult, type RegionFailure } from "./region.js";
import { callActivity, cancellation, now, runBounded, settleAll, sleep, type Settled } from "./tasks.js";

export const ROLLOUT_ORCHESTRATOR = "rollout";

export const rolloutInputSchema = z.object({
  rolloutId: z.string().min(1),
  spec: desiredStateSchema,
  /** The regions this rollout works on (all of the spec's, or those of a retry). */
  regions: z.array(z.string()).min(1),
  /** A retry: the regions' status in the rollout it retries (attempts and last errors carry over). */
  earlierRegions: z.array(regionStatusSchema).optional(),
});
export type RolloutInput = z.input<typeof rolloutInputSchema>;

/** Largest head spread between nodes that verification accepts. */
const MAX_HEAD_SPREAD = 3;

function regionFailureOf(outcome: Settled<ProvisionResult | DeployResult> | undefined, step: string): RegionFailure | undefined {
  if (outcome === undefined) return undefined;
  if (!outcome.ok) return { ok: false, step, cause: outcome.error, kind: "transient" };
  return outcome.value.ok ? undefined : outcome.value;
}

df.app.orchestration(ROLLOUT_ORCHESTRATOR, function* rollout(context: OrchestrationContext): Generator<Task, RolloutStatus, unknown> {
  const input = rolloutInputSchema.parse(context.df.getInput());
  const spec: DesiredState = input.spec;
  const retry = spec.rollout.retry;
  const subId = (phase: string, region: string): string => `${context.df.instanceId}:${input.rolloutId}:${phase}:${region}`;
  let status = createRolloutStatus({ rolloutId: input.rolloutId, network: spec.network.name, regions: input.regions, at: now(context), earlier: input.earlierRegions });
  const publish = (): void => context.df.setCustomStatus(status);
  const cancel = cancellation(context);
  const plans = planRollout(spec).filter((plan) => input.regions.includes(plan.region));

  const finish = function* (failure?: { phase: RolloutStatus["phase"]; reason: string }): Generator<Task, RolloutStatus, unknown> {
    if (cancel.requested) status = requestCancel(status, now(context));
    status = enterPhase(status, "report", now(context));
    publish();
    const report = { rolloutId: input.rolloutId, spec, status: finishRollout(status, now(context), failure) };
    // The report is saved before the final status is published: a crash here repeats the save.
    yield* settleAll(context, [callActivity(context, saveDocument, { name: `rollouts/${input.rolloutId}/report.json`, document: report }, retry)]);
    status = report.status;
    publish();
    return status;
  };

  // 1. Preflight, every region at once: a region that fails is marked and skipped.
  for (const plan of plans) status = startRegionPhase(status, plan.region, "preflight", now(context));
  publish();
  const preflight = yield* settleAll<{ ok: true } | { ok: false; code: string; message: string }>(context, plans.map((plan) => callActivity(context, preflightRegion, { plan }, retry)));
  const ready: RegionPlan[] = [];
  plans.forEach((plan, index) => {
    const outcome = preflight[index];
    if (outcome?.ok && outcome.value.ok) ready.push(plan);
    else {
      const cause = !outcome ? "no result" : !outcome.ok ? `${outcome.error} (retries exhausted)` : outcome.value.ok ? "" : `${outcome.value.code}: ${outcome.value.message}`;
      status = failRegion(status, plan.region, { step: "preflight", cause, kind: outcome?.ok ? "permanent" : "transient" }, now(context));
    }
  });

  // 2. Phase A: infrastructure per region, at most maxParallelRegions at a time.
  status = enterPhase(status, "provisioning", now(context));
  publish();
  const identities: NodePublicIdentity[] = [];
  const provisioned: RegionPlan[] = [];
  yield* runBounded<RegionPlan, ProvisionResult>(context, ready, spec.rollout.maxParallelRegions, (plan) => {
    status = startRegionPhase(status, plan.region, "provisioning", now(context));
    publish();
    return context.df.callSubOrchestrator(REGION_PROVISION, { spec, plan }, subId("provision", plan.region));
  }, cancel, (plan, outcome) => {
    const failure = regionFailureOf(outcome, "provisioning");
    if (failure) status = failRegion(status, plan.region, { step: failure.step, cause: failure.cause, kind: failure.kind }, now(context));
    else if (outcome?.ok && outcome.value.ok) {
      identities.push(...outcome.value.identities);
      provisioned.push(plan);
    }
    publish();
  });
  if (cancel.requested) return yield* finish();

  // 3. Genesis: the network's own if it formed before (a chain's genesis never changes), else one
  //    from the validators that made it. Recorded before any node runs with it.
  status = enterPhase(status, "genesis", now(context));
  publish();
  const loaded = yield* step<{ record: NetworkRecord | null }>("network-record", callActivity(context, loadNetworkRecord, { network: spec.network.name }, retry));
  if (!loaded.ok) return yield* finish({ phase: "genesis", reason: `the network record could not be read: ${loaded.cause}` });
  const membership = decideMembership({ rolloutId: input.rolloutId, network: spec.network, minValidators: spec.rollout.minValidators, identities, record: loaded.value.record ?? undefined });
  if (!membership.ok) return yield* finish({ phase: "genesis", reason: membership.reason });
  let record = membership.record;
  const saveRecord = function* (phase: RolloutStatus["phase"]): Generator<Task, string | undefined, unknown> {
    const saved = yield* step("network-record", callActivity(context, saveDocument, { name: networkRecordName(spec.network.name), document: record }, retry));
    return saved.ok ? undefined : `the network record could not be saved (${phase}): ${saved.cause}`;
  };
  const unsaved = yield* saveRecord("genesis");
  if (unsaved) return yield* finish({ phase: "genesis", reason: unsaved });

  // 4. Phase B: Besu per region.
  status = enterPhase(status, "deploying", now(context));
  publish();
  let deployed: RegionPlan[] = [];
  yield* runBounded<RegionPlan, DeployResult>(context, provisioned, spec.rollout.maxParallelRegions, (plan) => {
    status = startRegionPhase(status, plan.region, "deploying", now(context));
    publish();
    return context.df.callSubOrchestrator(REGION_DEPLOY, {
      spec,
      plan,
      genesisJson: membership.genesisJson,
      staticNodesJson: membership.staticNodesJson,
      p2pHosts: membership.p2pHosts,
    }, subId("deploy", plan.region));
  }, cancel, (plan, outcome) => {
    const failure = regionFailureOf(outcome, "deploying");
    if (failure) status = failRegion(status, plan.region, { step: failure.step, cause: failure.cause, kind: failure.kind }, now(context));
    else deployed.push(plan);
    publish();
  });
  if (cancel.requested) return yield* finish();

  // 4b. Admission: this rollout's validators that the chain does not have yet are voted in, once
  //     their nodes run and are ready (each one added raises the quorum).
  const joining = membership.joining.filter((identity) => deployed.some((plan) => plan.region === identity.region));
  if (joining.length > 0) {
    status = enterPhase(status, "admitting", now(context));
    const joiningRegions = [...new Set(joining.map((identity) => identity.region))];
    for (const region of joiningRegions) status = startRegionPhase(status, region, "admitting", now(context));
    publish();
    const locations = new Map(planRollout(spec).flatMap((plan) => plan.clusters.flatMap((cluster) => cluster.nodes.map((node) => [node.id, { plan, cluster, node }] as const))));
    const nodeIdOf = new Map(record.members.map((member) => [member.address, member.nodeId]));
    const admission = yield* admitJoiningValidators(context, {
      spec,
      record,
      joining: joining.map((identity) => identity.address),
      locate: (address) => locations.get(nodeIdOf.get(address) ?? ""),
      cancel,
    });
    record = withAdmittedValidators(record, admission.admitted, input.rolloutId);
    const notAdmitted = joining.filter((identity) => !admission.admitted.includes(identity.address));
    for (const region of new Set(notAdmitted.map((identity) => identity.region))) {
      const nodes = notAdmitted.filter((identity) => identity.region === region).map((identity) => identity.nodeId).join(", ");
      status = failRegion(status, region, { step: "validator-vote", cause: `${nodes}: ${admission.problem ?? "not admitted"}`, kind: "transient" }, now(context));
    }
    deployed = deployed.filter((plan) => !notAdmitted.some((identity) => identity.region === plan.region));
    publish();
    const unrecorded = yield* saveRecord("admitting");
    if (unrecorded) return yield* finish({ phase: "admitting", reason: unrecorded });
    if (cancel.requested) return yield* finish();
  }

  // 5. Verification of the whole network: two samples, at least one block period apart. Nothing
  //    to verify when no region got this far.
  if (deployed.length === 0) return yield* finish();
  status = enterPhase(status, "verifying", now(context));
  for (const plan of deployed) status = startRegionPhase(status, plan.region, "verifying", now(context));
  publish();
  const observe = function* (scope: ObservationScope): Generator<Task, ObservedNode[], unknown> {
    const clusters = deployed.flatMap((plan) => plan.clusters.map((cluster) => ({ plan, cluster })));
    const results = yield* settleAll<{ ok: true; observations: NodeObservation[] } | { ok: false; message: string }>(context, clusters.map(({ plan, cluster }) =>
      callActivity(context, observeNodes, { cluster: { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region }, namespace: cluster.namespace, nodes: cluster.nodes, scope }, retry)));
    const byId = new Map(identities.map((identity) => [identity.nodeId, identity]));
    return clusters.flatMap(({ plan, cluster }, index) => {
      const result = results[index];
      const observations = result?.ok && result.value.ok ? result.value.observations : [];
      const error = !result ? "no result" : !result.ok ? result.error : result.value.ok ? undefined : result.value.message;
      return cluster.nodes.map((node): ObservedNode => {
        const observed = observations.find((entry) => entry.nodeId === node.id);
        const identity = byId.get(node.id);
        return {
          ...(observed ?? { reachable: false, error: error ?? "not observed" }),
          nodeId: node.id,
          region: plan.region,
          role: node.role,
          publicKey: identity?.publicKey ?? "",
        };
      });
    });
  };
  // The first sample only needs each node's head (for "advancing" and the chain's rate).
  const first = yield* observe("heads");
  yield sleep(context, Math.max(spec.network.qbft.blockperiodseconds * 2, spec.rollout.pollIntervalSeconds));
  const second = yield* observe("full");
  const verification = verifyNetwork({
    at: now(context),
    chainIdHex: `0x${spec.network.chainId.toString(16)}`,
    genesisHash: record.genesisHash,
    validators: record.validators,
    validatorPublicKeys: validatorPublicKeys(record, record.validators),
    first,
    second,
    maxHeadSpread: MAX_HEAD_SPREAD,
  });
  status = recordVerification(status, verification, now(context));
  for (const plan of deployed) {
    const failed = verification.regions.find((entry) => entry.region === plan.region)?.checks.filter((result) => !result.ok) ?? [];
    status = failed.length === 0
      ? succeedRegion(status, plan.region, now(context))
      : failRegion(status, plan.region, { step: "verification", cause: failed.map((result) => `${result.check}: ${result.detail}`).join("; "), kind: "permanent" }, now(context));
  }
  publish();

  // 6–7. Contracts (mainnet and Chain 138 in parallel) and CCIP (sequential) come here.
  return yield* finish();
});
