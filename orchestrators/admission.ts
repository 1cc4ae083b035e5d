/**
 * Voting validators into a network that already formed (called by the rollout after phase B).
 * Rounds of votes, a poll interval apart: every validator of the current set — the ones voted in
 * during this admission included — proposes the joining validators that are not in yet and
 * discards its votes on the ones that are; the round's answers tell which made it. When all are
 * in, or the time is up, or a cancel arrives, a last round discards every vote still pending.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { voteValidators, type ClusterRef } from "../activities/contracts.js";
import { admissionProblem, assessAdmissionRound, type AdmissionRound, type VoterReport } from "../lib/domain/admission.js";
import type { NetworkRecord } from "../lib/domain/network-record.js";
import type { ClusterPlan, NodePlan, RegionPlan } from "../lib/domain/plan.js";
import type { DesiredState } from "../lib/domain/spec.js";
import { callActivity, settleAll, sleep, type Cancellation } from "./tasks.js";

/** Where a node runs, from the spec's plan. */
export interface NodeLocation {
  plan: RegionPlan;
  cluster: ClusterPlan;
  node: NodePlan;
}

export interface AdmissionResult {
  /** Joining validators now in the chain's validator set. */
  admitted: string[];
  /** Why the others are not, when some are not. */
  problem?: string;
}

type VoteOutcome = { ok: true; reports: VoterReport[] } | { ok: false; code: string; message: string };

/** One round: each cluster that hosts voters gets one activity call; a failed call counts its voters as unreachable. */
function* voteRound(
  context: OrchestrationContext,
  spec: DesiredState,
  voters: readonly NodeLocation[],
  propose: readonly string[],
  discard: readonly string[],
): Generator<Task, VoterReport[], unknown> {
  const byCluster = new Map<string, NodeLocation[]>();
  for (const voter of voters) byCluster.set(voter.cluster.name, [...(byCluster.get(voter.cluster.name) ?? []), voter]);
  const groups = [...byCluster.values()];
  const outcomes = yield* settleAll<VoteOutcome>(context, groups.map((group) => {
    const { plan, cluster } = group[0] as NodeLocation;
    const ref: ClusterRef = { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region };
    return callActivity(context, voteValidators, { cluster: ref, namespace: cluster.namespace, nodes: group.map((voter) => voter.node), propose: [...propose], discard: [...discard] }, spec.rollout.retry);
  }));
  return groups.flatMap((group, index) => {
    const outcome = outcomes[index];
    if (outcome?.ok && outcome.value.ok) return outcome.value.reports;
    const error = !outcome ? "no result" : !outcome.ok ? `${outcome.error} (retries exhausted)` : outcome.value.ok ? "" : `${outcome.value.code}: ${outcome.value.message}`;
    return group.map((voter) => ({ nodeId: voter.node.id, ok: false, error }));
  });
}

export function* admitJoiningValidators(
  context: OrchestrationContext,
  input: { spec: DesiredState; record: NetworkRecord; joining: readonly string[]; locate: (address: string) => NodeLocation | undefined; cancel: Cancellation },
): Generator<Task, AdmissionResult, unknown> {
  const { spec, record, joining, locate, cancel } = input;
  const startedAt = context.df.currentUtcDateTime.getTime();
  const deadline = startedAt + spec.rollout.admissionTimeoutMinutes * 60_000;
  let round: AdmissionRound = assessAdmissionRound({ validatorsBefore: record.validators, joining, reports: [] });
  for (;;) {
    const voters = round.validators.flatMap((address) => locate(address) ?? []);
    const reports = yield* voteRound(context, spec, voters, round.pending, round.admitted);
    // Validators of the set that the spec no longer places cannot be asked: they count as not voting.
    const unplaced = round.validators.filter((address) => !locate(address)).map((address): VoterReport => ({ nodeId: address, ok: false, error: "not placed by the spec" }));
    round = assessAdmissionRound({ validatorsBefore: round.validators, joining, reports: [...reports, ...unplaced] });
    const timedOut = context.df.currentUtcDateTime.getTime() >= deadline;
    if (round.pending.length === 0 || timedOut || cancel.requested) {
      const everyVoter = round.validators.flatMap((address) => locate(address) ?? []);
      yield* voteRound(context, spec, everyVoter, [], joining);
      if (round.pending.length === 0) return { admitted: round.admitted };
      const problem = cancel.requested ? "the rollout was canceled during admission" : admissionProblem(round, spec.rollout.admissionTimeoutMinutes);
      return { admitted: round.admitted, problem };
    }
    const woke = (yield context.df.Task.any([sleep(context, spec.rollout.pollIntervalSeconds), cancel.task])) as Task;
    if (woke === cancel.task) cancel.requested = true;
  }
}
