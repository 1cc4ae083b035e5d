/**
 * Phase 4b, admitting: this rollout's validators that the chain does not have yet are voted into
 * the formed network, once their nodes run and are ready. Rounds of votes, a poll interval apart:
 * every validator of the current set — the ones voted in during this admission included —
 * proposes the joining validators that are not in yet and discards its votes on the ones that
 * are; the round's answers tell which made it (each one added raises the quorum). When all are in,
 * or the time is up, or a cancel arrives, a last round discards every vote still pending, so a
 * stale vote cannot admit a validator later.
 */
import type { Task } from "durable-functions";
import { voteValidators, type ClusterRef } from "../../activities/contracts.js";
import {
  admissionProblem,
  assessAdmissionRound,
  type AdmissionRound,
  type VoterReport,
} from "../../lib/domain/admission.js";
import { withAdmittedValidators } from "../../lib/domain/network-record.js";
import { planRollout, type ClusterPlan, type NodePlan, type RegionPlan } from "../../lib/domain/plan.js";
import { enterPhase, failRegion, startRegionPhase } from "../../lib/domain/rollout-status.js";
import { activity, settleAll, sleepUnlessCanceled } from "../durable.js";
import { saveNetworkRecord } from "./genesis.js";
import { advance, networkOf, quietRetryScope, stopIfCanceled, stopWith, type Phase, type RolloutRun } from "./run.js";

/** Where a node runs, from the spec's plan. */
interface NodeLocation {
  plan: RegionPlan;
  cluster: ClusterPlan;
  node: NodePlan;
}

/** One round: each cluster that hosts voters gets one activity call; a failed call counts its voters as unreachable. */
function* voteRound(
  run: RolloutRun,
  voters: readonly NodeLocation[],
  propose: readonly string[],
  discard: readonly string[],
): Generator<Task, VoterReport[], unknown> {
  const byCluster = new Map<string, NodeLocation[]>();
  for (const voter of voters) byCluster.set(voter.cluster.name, [...(byCluster.get(voter.cluster.name) ?? []), voter]);
  const groups = [...byCluster.values()];
  const outcomes = yield* settleAll(
    run.context,
    groups.map((group) => {
      const { plan, cluster } = group[0] as NodeLocation;
      const ref: ClusterRef = { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region };
      return activity(
        run.context,
        voteValidators,
        {
          cluster: ref,
          namespace: cluster.namespace,
          nodes: group.map((voter) => voter.node),
          propose: [...propose],
          discard: [...discard],
        },
        quietRetryScope(run),
      );
    }),
  );
  return groups.flatMap((group, index) => {
    const outcome = outcomes[index];
    if (outcome?.ok) return outcome.value.reports;
    const error = outcome?.cause ?? "no result";
    return group.map((voter) => ({ nodeId: voter.node.id, ok: false, error }));
  });
}

/** Votes `joining` in; returns the ones that made it and, if some did not, why. */
function* admit(
  run: RolloutRun,
  validators: readonly string[],
  joining: readonly string[],
  locate: (address: string) => NodeLocation | undefined,
): Generator<Task, { admitted: string[]; problem?: string }, unknown> {
  const { context, spec, cancel } = run;
  const deadline = context.df.currentUtcDateTime.getTime() + spec.rollout.admissionTimeoutMinutes * 60_000;
  let round: AdmissionRound = assessAdmissionRound({ validatorsBefore: validators, joining, reports: [] });
  for (;;) {
    const voters = round.validators.flatMap((address) => locate(address) ?? []);
    const reports = yield* voteRound(run, voters, round.pending, round.admitted);
    // Validators of the set that the spec no longer places cannot be asked: they count as not voting.
    const unplaced = round.validators
      .filter((address) => !locate(address))
      .map((address): VoterReport => ({ nodeId: address, ok: false, error: "not placed by the spec" }));
    round = assessAdmissionRound({ validatorsBefore: round.validators, joining, reports: [...reports, ...unplaced] });
    const timedOut = context.df.currentUtcDateTime.getTime() >= deadline;
    if (round.pending.length === 0 || timedOut || cancel.requested) {
      const everyVoter = round.validators.flatMap((address) => locate(address) ?? []);
      yield* voteRound(run, everyVoter, [], joining);
      if (round.pending.length === 0) return { admitted: round.admitted };
      const problem = cancel.requested
        ? "the rollout was canceled during admission"
        : admissionProblem(round, spec.rollout.admissionTimeoutMinutes);
      return { admitted: round.admitted, problem };
    }
    yield* sleepUnlessCanceled(context, spec.rollout.pollIntervalSeconds, cancel);
  }
}

export const admitting: Phase = function* (run, state) {
  const network = networkOf(state);
  const joining = network.joining.filter((identity) => state.regions.some((plan) => plan.region === identity.region));
  if (joining.length === 0) return state;
  state = advance(run, state, (status, at) => enterPhase(status, "admitting", at));
  for (const region of new Set(joining.map((identity) => identity.region)))
    state = advance(run, state, (status, at) => startRegionPhase(status, region, "admitting", at));

  const locations = new Map(
    planRollout(run.spec).flatMap((plan) =>
      plan.clusters.flatMap((cluster) => cluster.nodes.map((node) => [node.id, { plan, cluster, node }] as const)),
    ),
  );
  const nodeIdOf = new Map(network.record.members.map((member) => [member.address, member.nodeId]));
  const admission = yield* admit(
    run,
    network.record.validators,
    joining.map((identity) => identity.address),
    (address) => locations.get(nodeIdOf.get(address) ?? ""),
  );

  const record = withAdmittedValidators(network.record, admission.admitted, run.input.rolloutId);
  const notAdmitted = joining.filter((identity) => !admission.admitted.includes(identity.address));
  for (const region of new Set(notAdmitted.map((identity) => identity.region))) {
    const nodes = notAdmitted
      .filter((identity) => identity.region === region)
      .map((identity) => identity.nodeId)
      .join(", ");
    state = advance(run, state, (status, at) =>
      failRegion(
        status,
        region,
        { step: "validator-vote", cause: `${nodes}: ${admission.problem ?? "not admitted"}`, kind: "transient" },
        at,
      ),
    );
  }
  state = {
    ...state,
    network: { ...network, record },
    regions: state.regions.filter((plan) => !notAdmitted.some((identity) => identity.region === plan.region)),
  };
  const unsaved = yield* saveNetworkRecord(run, record, "admitting");
  if (unsaved) return stopWith(state, "admitting", unsaved);
  return stopIfCanceled(run, state);
};
