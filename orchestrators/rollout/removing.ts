/**
 * Phase 4c, removing: the nodes the spec no longer places (the change plan's removals). Each
 * validator of the set is voted out by the validators that stay, one at a time: every voter
 * proposes its removal each round until the latest block's validator set no longer lists it (a
 * vote passes once more than half of the set cast it), then every voter discards its vote, so
 * a stale vote cannot act later. Only when all are out do the removed nodes' pods stop (their
 * StatefulSets are deleted; data volumes are kept), then, under `deprovision: delete`, the
 * clusters of dropped regions are deleted (deprovisioning.ts), and only then does the record
 * forget the removed nodes — so a rollout that stops before, rolled out again, finishes the job.
 * A validator not voted out within admissionTimeoutMinutes fails the rollout, with every removed
 * node still up.
 */
import type { Task } from "durable-functions";
import { stopNodeWorkloads, voteOnRemoval } from "../../activities/change-contracts.js";
import type { NodeRemoval } from "../../lib/domain/changes/plan.js";
import type { NetworkRecord } from "../../lib/domain/network-record.js";
import { clusterName, namespaceName, nodePlan, planRollout, resourceGroupName } from "../../lib/domain/plan.js";
import { enterPhase } from "../../lib/domain/rollout-status.js";
import { activity, settleAll, sleepUnlessCanceled } from "../durable.js";
import { deprovisionDroppedClusters } from "./deprovisioning.js";
import { saveNetworkRecord } from "./genesis.js";
import { advance, networkOf, quietRetryScope, stopIfCanceled, stopWith, type Phase, type RolloutRun } from "./run.js";
import type { Placed } from "./wave.js";

/** One round of votes on `address` by every voter, per cluster at once; the validator sets they report. */
function* voteRound(
  run: RolloutRun,
  voters: readonly Placed[],
  address: string,
  remove: boolean,
): Generator<Task, string[][], unknown> {
  const groups = new Map<string, Placed[]>();
  for (const voter of voters) groups.set(voter.cluster.name, [...(groups.get(voter.cluster.name) ?? []), voter]);
  const outcomes = yield* settleAll(
    run.context,
    [...groups.values()].map((group) => {
      const { plan, cluster } = group[0] as Placed;
      return activity(
        run.context,
        voteOnRemoval,
        {
          cluster: { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region },
          namespace: cluster.namespace,
          nodes: group.map((voter) => voter.node),
          address,
          remove,
        },
        quietRetryScope(run),
      );
    }),
  );
  return outcomes.flatMap((outcome) =>
    outcome.ok ? outcome.value.reports.flatMap((report) => (report.validators ? [report.validators] : [])) : [],
  );
}

/** Votes one validator out; true once the latest block's set no longer lists it. */
function* voteOut(run: RolloutRun, voters: readonly Placed[], address: string): Generator<Task, boolean, unknown> {
  const { context, spec } = run;
  const deadline = context.df.currentUtcDateTime.getTime() + spec.rollout.admissionTimeoutMinutes * 60_000;
  let out = false;
  while (!out && !run.cancel.requested && context.df.currentUtcDateTime.getTime() < deadline) {
    const sets = yield* voteRound(run, voters, address, true);
    out = sets.some((validators) => !validators.includes(address));
    if (!out) yield* sleepUnlessCanceled(context, spec.rollout.pollIntervalSeconds, run.cancel);
  }
  yield* voteRound(run, voters, address, false);
  return out;
}

/** The removed nodes grouped by the cluster that runs them (names derive from business keys). */
function removedByCluster(network: string, removals: readonly NodeRemoval[]) {
  const groups = new Map<string, { region: string; clusterOrdinal: number; statefulSets: string[] }>();
  for (const removal of removals) {
    const key = `${removal.region}/${removal.clusterOrdinal}`;
    const group = groups.get(key) ?? {
      region: removal.region,
      clusterOrdinal: removal.clusterOrdinal,
      statefulSets: [],
    };
    group.statefulSets.push(nodePlan(removal.region, removal.role, removal.ordinal).statefulSetName);
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => ({
    cluster: {
      resourceGroup: resourceGroupName(network, group.region),
      clusterName: clusterName(network, group.region, group.clusterOrdinal),
      region: group.region,
    },
    namespace: namespaceName(network),
    statefulSets: group.statefulSets,
  }));
}

export const removing: Phase = function* (run, state) {
  const removals = state.changes?.removals ?? [];
  if (removals.length === 0) return state;
  state = advance(run, state, (status, at) => enterPhase(status, "removing", at));
  const network = networkOf(state);
  let record: NetworkRecord = network.record;
  const leaving = new Set(removals.map((removal) => removal.nodeId));
  const placed = new Map(
    planRollout(run.spec).flatMap((plan) =>
      plan.clusters.flatMap((cluster) => cluster.nodes.map((node) => [node.id, { plan, cluster, node }] as const)),
    ),
  );
  for (const removal of removals) {
    const address = removal.address;
    if (address === undefined || !record.validators.includes(address)) continue;
    const voters = record.members
      .filter((member) => record.validators.includes(member.address) && !leaving.has(member.nodeId))
      .flatMap((member) => placed.get(member.nodeId) ?? []);
    const out = yield* voteOut(run, voters, address);
    if (!out)
      return stopWith(
        stopIfCanceled(run, state),
        "removing",
        `${removal.nodeId} (${address}) was not voted out of the validator set within ${run.spec.rollout.admissionTimeoutMinutes} minutes; its pods and the other removed nodes keep running`,
      );
    record = { ...record, validators: record.validators.filter((validator) => validator !== address) };
    const unsaved = yield* saveNetworkRecord(run, { ...record, updatedBy: run.input.rolloutId }, "removing");
    if (unsaved) return stopWith(state, "removing", unsaved);
  }
  const stopped = yield* settleAll(
    run.context,
    removedByCluster(run.spec.network.name, removals).map((input) =>
      activity(run.context, stopNodeWorkloads, input, quietRetryScope(run)),
    ),
  );
  const failed = stopped.flatMap((outcome) => (outcome.ok ? [] : [outcome.cause]));
  if (failed.length > 0)
    return stopWith(
      state,
      "removing",
      `removed validators are out of the set, but pods still run: ${failed.join("; ")}`,
    );
  const deprovisioned = yield* deprovisionDroppedClusters(run, state);
  state = deprovisioned.state;
  if (run.cancel.requested) return stopIfCanceled(run, state);
  if (deprovisioned.failure !== undefined)
    return stopWith(
      state,
      "removing",
      `removed nodes are out and stopped, but ${deprovisioned.failure} (rolling the spec out again retries the delete)`,
    );
  record = {
    ...record,
    members: record.members.filter((member) => !leaving.has(member.nodeId)),
    nodes: (record.nodes ?? []).filter((node) => !leaving.has(node.nodeId)),
    updatedBy: run.input.rolloutId,
  };
  const unsaved = yield* saveNetworkRecord(run, record, "removing");
  state = { ...state, network: { ...network, record } };
  if (unsaved) return stopWith(state, "removing", unsaved);
  return stopIfCanceled(run, state);
};
