/**
 * Phase 4a, updating: the change plan's waves on the live network (lib/domain/changes/). The
 * StatefulSets were applied OnDelete in the deploying phase, so no running node restarted yet;
 * here each wave restarts its nodes (only those still on an older template), waits until every
 * one is Ready, not syncing, past the height the wave began at, peered with a quorum of
 * validators and — a validator — proposing again, and only then starts the next wave. A wave
 * not back within readinessTimeoutMinutes ends the waves with the network live: its regions and
 * those of the waves not run fail (a retry restarts what is left), the rest go on. Every decision
 * is in the durable history, so a host killed mid-wave replays to the same wave and never starts
 * the next one early. At the end the network record keeps what each node now runs with.
 */
import type { Task } from "durable-functions";
import { checkNodesRejoined, restartStaleNodes } from "../../activities/change-contracts.js";
import type { ClusterRef } from "../../activities/contracts.js";
import { quorumSize } from "@besu-fleet/qbft";
import { appliedNodes } from "../../lib/domain/changes/plan.js";
import type { Wave } from "../../lib/domain/changes/waves.js";
import { validatorPublicKeys, type NetworkRecord } from "../../lib/domain/network-record.js";
import type { ClusterPlan, NodePlan, RegionPlan } from "../../lib/domain/plan.js";
import { enterPhase, failRegion, startRegionPhase } from "../../lib/domain/rollout-status.js";
import { activity, settleAll, sleepUnlessCanceled } from "../durable.js";
import { saveNetworkRecord } from "./genesis.js";
import {
  advance,
  networkOf,
  retryScope,
  stopIfCanceled,
  stopWith,
  type Phase,
  type RolloutRun,
  type RolloutState,
} from "./run.js";

/** A node of a wave where it runs. */
interface Placed {
  plan: RegionPlan;
  cluster: ClusterPlan;
  node: NodePlan;
}

type WaveResult = { ok: true } | { ok: false; cause: string };

const refOf = ({ plan, cluster }: Placed): ClusterRef => ({
  resourceGroup: plan.resourceGroup,
  clusterName: cluster.name,
  region: plan.region,
});

/** The nodes grouped by cluster, in first-seen order: one activity call per cluster. */
function byCluster(nodes: readonly Placed[]): Placed[][] {
  const groups = new Map<string, Placed[]>();
  for (const placed of nodes) groups.set(placed.cluster.name, [...(groups.get(placed.cluster.name) ?? []), placed]);
  return [...groups.values()];
}

/** Restarts the wave's stale pods; returns the highest head seen before the restarts. */
function* restart(run: RolloutRun, state: { current: RolloutState }, nodes: readonly Placed[], deadline: number) {
  let left = [...nodes];
  let sinceBlock = 0;
  for (;;) {
    const groups = byCluster(left);
    const regions = [...new Set(left.map((placed) => placed.plan.region))];
    const scope = retryScope(run, regions, (change) => (state.current = advance(run, state.current, change)));
    const outcomes = yield* settleAll(
      run.context,
      groups.map((group) =>
        activity(
          run.context,
          restartStaleNodes,
          {
            cluster: refOf(group[0] as Placed),
            namespace: (group[0] as Placed).cluster.namespace,
            nodes: group.map((placed) => placed.node),
          },
          scope,
        ),
      ),
    );
    const notObserved = new Set<string>();
    for (const outcome of outcomes) {
      if (!outcome.ok) return { ok: false as const, cause: `restart: ${outcome.cause}` };
      for (const head of Object.values(outcome.value.heads)) sinceBlock = Math.max(sinceBlock, head);
      for (const nodeId of outcome.value.notObserved) notObserved.add(nodeId);
    }
    left = left.filter((placed) => notObserved.has(placed.node.id));
    if (left.length === 0) return { ok: true as const, sinceBlock };
    if (run.context.df.currentUtcDateTime.getTime() >= deadline)
      return {
        ok: false as const,
        cause: `the StatefulSets of ${[...notObserved].join(", ")} never observed their new template`,
      };
    yield* sleepUnlessCanceled(run.context, run.spec.rollout.pollIntervalSeconds, run.cancel);
  }
}

/** Runs one wave to its end: restarted, and every node rejoined, or the reason it did not. */
function* runWave(
  run: RolloutRun,
  state: { current: RolloutState },
  wave: Wave,
  nodes: readonly Placed[],
  record: NetworkRecord,
): Generator<Task, WaveResult, unknown> {
  const { context, spec } = run;
  const deadline = context.df.currentUtcDateTime.getTime() + spec.rollout.readinessTimeoutMinutes * 60_000;
  const restarted = yield* restart(run, state, nodes, deadline);
  if (!restarted.ok) return restarted;
  const sealers = new Map(
    record.members
      .filter((member) => member.role === "validator" && record.validators.includes(member.address))
      .map((member) => [member.nodeId, member.address]),
  );
  const publicKeys = validatorPublicKeys(record, record.validators);
  const minValidatorPeers = wave.kind === "validators" ? quorumSize(record.validators.length) - 1 : 1;
  let waiting = [...nodes];
  for (;;) {
    const groups = byCluster(waiting);
    const outcomes = yield* settleAll(
      context,
      groups.map((group) =>
        activity(
          context,
          checkNodesRejoined,
          {
            cluster: refOf(group[0] as Placed),
            namespace: (group[0] as Placed).cluster.namespace,
            nodes: group.map(({ node }) => {
              const sealer = sealers.get(node.id);
              return sealer === undefined ? { node } : { node, sealer };
            }),
            validatorPublicKeys: publicKeys,
            minValidatorPeers,
            sinceBlock: restarted.sinceBlock,
            waitSeconds: Math.min(spec.rollout.pollIntervalSeconds, 30),
          },
          { policy: spec.rollout.retry },
        ),
      ),
    );
    const reasons: string[] = [];
    const still = new Set<string>();
    for (const outcome of outcomes) {
      if (!outcome.ok) return { ok: false, cause: `health check: ${outcome.cause}` };
      for (const entry of outcome.value.waiting) {
        still.add(entry.nodeId);
        reasons.push(`${entry.nodeId}: ${entry.reason}`);
      }
    }
    waiting = waiting.filter((placed) => still.has(placed.node.id));
    if (waiting.length === 0) return { ok: true };
    if (run.cancel.requested) return { ok: false, cause: "the rollout was canceled during the wave" };
    if (context.df.currentUtcDateTime.getTime() >= deadline)
      return {
        ok: false,
        cause: `wave ${wave.index} not back after ${spec.rollout.readinessTimeoutMinutes} minutes — ${reasons.join("; ")}`,
      };
    const rest = spec.rollout.pollIntervalSeconds - Math.min(spec.rollout.pollIntervalSeconds, 30);
    if (rest > 0) yield* sleepUnlessCanceled(context, rest, run.cancel);
  }
}

export const updating: Phase = function* (run, initial) {
  const network = networkOf(initial);
  const deployed = new Map(initial.regions.map((plan) => [plan.region, plan]));
  const placedOf = (nodeId: string): Placed[] => {
    const plan = deployed.get(nodeId.split("/")[0] ?? "");
    const cluster = plan?.clusters.find((candidate) => candidate.nodes.some((node) => node.id === nodeId));
    const node = cluster?.nodes.find((candidate) => candidate.id === nodeId);
    return plan && cluster && node ? [{ plan, cluster, node }] : [];
  };
  const waves = (initial.changes?.waves ?? [])
    .map((wave) => ({ wave, nodes: wave.nodes.flatMap(placedOf) }))
    .filter((entry) => entry.nodes.length > 0);
  const state = { current: initial };
  const notUpdated = new Set<string>();
  if (waves.length > 0) state.current = advance(run, state.current, (status, at) => enterPhase(status, "updating", at));
  for (const [position, { wave, nodes }] of waves.entries()) {
    if (run.cancel.requested) break;
    for (const region of new Set(nodes.map((placed) => placed.plan.region)))
      state.current = advance(run, state.current, (status, at) => startRegionPhase(status, region, "updating", at));
    const result = yield* runWave(run, state, wave, nodes, network.record);
    if (result.ok) continue;
    // Never a next wave on a degraded network: this wave's regions and those still to restart fail.
    const failed = new Map<string, string>();
    for (const placed of nodes) failed.set(placed.plan.region, result.cause);
    for (const later of waves.slice(position + 1))
      for (const placed of later.nodes) {
        notUpdated.add(placed.node.id);
        if (!failed.has(placed.plan.region))
          failed.set(placed.plan.region, `not restarted: wave ${wave.index} did not come back (${result.cause})`);
      }
    for (const placed of nodes) notUpdated.add(placed.node.id);
    for (const [region, cause] of failed)
      state.current = advance(run, state.current, (status, at) =>
        failRegion(status, region, { step: `wave-${wave.index}`, cause, kind: "transient" }, at),
      );
    state.current = { ...state.current, regions: state.current.regions.filter((plan) => !failed.has(plan.region)) };
    break;
  }
  // The record learns what each node of a deployed region runs with now; the rest keep their entry.
  const fresh = appliedNodes(run.spec, network.record).filter(
    (node) => state.current.regions.some((plan) => plan.region === node.region) && !notUpdated.has(node.nodeId),
  );
  const freshIds = new Set(fresh.map((node) => node.nodeId));
  const record: NetworkRecord = {
    ...network.record,
    nodes: [...(network.record.nodes ?? []).filter((node) => !freshIds.has(node.nodeId)), ...fresh],
  };
  const unsaved = yield* saveNetworkRecord(run, record, "updating");
  const next = { ...state.current, network: { ...network, record } };
  if (unsaved) return stopWith(next, "updating", unsaved);
  return stopIfCanceled(run, next);
};
