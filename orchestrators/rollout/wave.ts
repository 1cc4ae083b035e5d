/**
 * One wave of a change (lib/domain/changes/waves.ts) on the live network, as the updating phase
 * runs it: first the gate — the validators outside the wave must be healthy enough that the
 * wave's own restarts keep the validators down within rollout.maxUnavailableValidators — then the
 * restarts (only pods still on an older template), then the wait until every restarted node
 * rejoined (lib/besu/rejoin.ts). Each step ends by readinessTimeoutMinutes; no I/O here, only
 * activities and durable timers, so a replay after a crash resumes at the same step. Drift healing
 * (orchestrators/drift/heal.ts) runs its waves here too, restoring deleted StatefulSets first.
 */
import type { Task } from "durable-functions";
import { quorumSize } from "@besu-fleet/qbft";
import { checkNodesRejoined, restartStaleNodes } from "../../activities/change-contracts.js";
import type { ClusterRef } from "../../activities/contracts.js";
import type { Wave } from "../../lib/domain/changes/waves.js";
import { setValidatorMembers, validatorPublicKeys, type NetworkRecord } from "../../lib/domain/network-record.js";
import type { ClusterPlan, NodePlan, RegionPlan } from "../../lib/domain/plan.js";
import { activity, settleAll, sleep, sleepUnlessCanceled, type Cancellation, type RetryScope } from "../durable.js";
import type { RolloutRun } from "./run.js";

/** A node where it runs. */
export interface Placed {
  plan: RegionPlan;
  cluster: ClusterPlan;
  node: NodePlan;
}

/** Every node of the plans by id, where it runs. */
export function placedNodes(plans: readonly RegionPlan[]): Map<string, Placed> {
  return new Map(
    plans.flatMap((plan) =>
      plan.clusters.flatMap((cluster) => cluster.nodes.map((node) => [node.id, { plan, cluster, node }] as const)),
    ),
  );
}

export type WaveResult = { ok: true } | { ok: false; cause: string };

/** Who runs the waves: a rollout (which may be canceled) or a drift check's healing (which may not). */
export type WaveDriver = Pick<RolloutRun, "context" | "spec"> & { cancel?: Cancellation };

const canceled = (run: WaveDriver): boolean => run.cancel?.requested ?? false;

function* wait(run: WaveDriver, seconds: number): Generator<Task, void, unknown> {
  if (run.cancel === undefined) yield sleep(run.context, seconds);
  else yield* sleepUnlessCanceled(run.context, seconds, run.cancel);
}

/** What a wave needs besides its nodes: the driver, the record, the retry scope of its regions, its deadline. */
interface WaveRun {
  run: WaveDriver;
  record: NetworkRecord;
  scope: RetryScope;
  deadline: number;
}

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

const timeLeft = (wave: WaveRun): boolean => wave.run.context.df.currentUtcDateTime.getTime() < wave.deadline;

/** One check of the nodes, per cluster at once: the reasons of those not healthy, by node id, and the highest head of the others. */
function* notRejoined(
  wave: WaveRun,
  nodes: readonly Placed[],
  criteria: { minValidatorPeers: number; anyPeers: boolean; sinceBlock: number; sealing: boolean },
): Generator<Task, { ok: true; waiting: Map<string, string>; head: number } | { ok: false; cause: string }, unknown> {
  const { run, record } = wave;
  const sealers = new Map(setValidatorMembers(record).map((member) => [member.nodeId, member.address]));
  const waitSeconds = Math.min(run.spec.rollout.pollIntervalSeconds, 30);
  const outcomes = yield* settleAll(
    run.context,
    byCluster(nodes).map((group) =>
      activity(
        run.context,
        checkNodesRejoined,
        {
          cluster: refOf(group[0] as Placed),
          namespace: (group[0] as Placed).cluster.namespace,
          nodes: group.map(({ node }) => {
            const sealer = criteria.sealing ? sealers.get(node.id) : undefined;
            return sealer === undefined ? { node } : { node, sealer };
          }),
          validatorPublicKeys: validatorPublicKeys(record, record.validators),
          minValidatorPeers: criteria.minValidatorPeers,
          anyPeers: criteria.anyPeers,
          sinceBlock: criteria.sinceBlock,
          waitSeconds,
        },
        wave.scope,
      ),
    ),
  );
  const waiting = new Map<string, string>();
  let head = 0;
  for (const outcome of outcomes) {
    if (!outcome.ok) return { ok: false, cause: `health check: ${outcome.cause}` };
    for (const entry of outcome.value.waiting) waiting.set(entry.nodeId, entry.reason);
    for (const entry of outcome.value.rejoined) head = Math.max(head, entry.head);
  }
  return { ok: true, waiting, head };
}

/** Sleeps what is left of a poll interval after an activity that waited up to 30 s itself. */
function* pause(run: WaveDriver): Generator<Task, void, unknown> {
  const rest = run.spec.rollout.pollIntervalSeconds - Math.min(run.spec.rollout.pollIntervalSeconds, 30);
  if (rest > 0) yield* wait(run, rest);
}

/**
 * Waits until the validators outside the wave that are down leave room for the wave's; returns the
 * network's head then (the highest of theirs), which the wave's nodes must pass: a node that did
 * not answer before its restart (one restored by drift healing) gives no head of its own.
 */
function* gate(
  wave: WaveRun,
  planned: Wave,
  others: readonly Placed[],
): Generator<Task, { ok: true; head: number } | { ok: false; cause: string }, unknown> {
  const limit = wave.run.spec.rollout.maxUnavailableValidators;
  const minValidatorPeers = quorumSize(wave.record.validators.length) - 1;
  for (;;) {
    const checked = yield* notRejoined(wave, others, {
      minValidatorPeers,
      anyPeers: false,
      sinceBlock: 0,
      sealing: false,
    });
    if (!checked.ok) return checked;
    if (checked.waiting.size + planned.validatorsDown.length <= limit) return { ok: true, head: checked.head };
    const down = [...checked.waiting].map(([nodeId, reason]) => `${nodeId}: ${reason}`).join("; ");
    if (!timeLeft(wave) || canceled(wave.run))
      return { ok: false, cause: `not started: validators outside the wave are down (${down})` };
    yield* pause(wave.run);
  }
}

/** Restarts the wave's stale pods; returns the highest head the nodes had before. */
function* restart(
  wave: WaveRun,
  nodes: readonly Placed[],
): Generator<Task, { ok: true; sinceBlock: number } | { ok: false; cause: string }, unknown> {
  const { run } = wave;
  let left = [...nodes];
  let sinceBlock = 0;
  for (;;) {
    const outcomes = yield* settleAll(
      run.context,
      byCluster(left).map((group) =>
        activity(
          run.context,
          restartStaleNodes,
          {
            cluster: refOf(group[0] as Placed),
            namespace: (group[0] as Placed).cluster.namespace,
            nodes: group.map((placed) => placed.node),
          },
          wave.scope,
        ),
      ),
    );
    const notObserved = new Set<string>();
    for (const outcome of outcomes) {
      if (!outcome.ok) return { ok: false, cause: `restart: ${outcome.cause}` };
      for (const head of Object.values(outcome.value.heads)) sinceBlock = Math.max(sinceBlock, head);
      for (const nodeId of outcome.value.notObserved) notObserved.add(nodeId);
    }
    left = left.filter((placed) => notObserved.has(placed.node.id));
    if (left.length === 0) return { ok: true, sinceBlock };
    if (!timeLeft(wave))
      return { ok: false, cause: `the StatefulSets of ${[...notObserved].join(", ")} never observed their template` };
    yield* wait(run, run.spec.rollout.pollIntervalSeconds);
  }
}

/**
 * Runs one wave to its end: gated, restarted, and every node rejoined — or the reason it did not.
 * `others` are the validators of the set outside the wave, where they run. `restore`, once the
 * gate opened and before the restarts, puts back what the wave's nodes need to start (drift
 * healing: their deleted StatefulSets).
 */
export function* runWave(
  run: WaveDriver,
  record: NetworkRecord,
  scope: RetryScope,
  planned: Wave,
  nodes: readonly Placed[],
  others: readonly Placed[],
  restore?: () => Generator<Task, WaveResult, unknown>,
): Generator<Task, WaveResult, unknown> {
  const wave: WaveRun = {
    run,
    record,
    scope,
    deadline: run.context.df.currentUtcDateTime.getTime() + run.spec.rollout.readinessTimeoutMinutes * 60_000,
  };
  const gated = yield* gate(wave, planned, others);
  if (!gated.ok) return gated;
  if (restore !== undefined) {
    const restored = yield* restore();
    if (!restored.ok) return restored;
  }
  const restarted = yield* restart(wave, nodes);
  if (!restarted.ok) return restarted;
  const criteria = {
    minValidatorPeers: planned.kind === "validators" ? quorumSize(record.validators.length) - 1 : 1,
    anyPeers: planned.kind === "sentries",
    sinceBlock: Math.max(gated.head, restarted.sinceBlock),
    sealing: true,
  };
  let waiting = [...nodes];
  for (;;) {
    const checked = yield* notRejoined(wave, waiting, criteria);
    if (!checked.ok) return checked;
    waiting = waiting.filter((placed) => checked.waiting.has(placed.node.id));
    if (waiting.length === 0) return { ok: true };
    if (canceled(run)) return { ok: false, cause: "the rollout was canceled during the wave" };
    if (!timeLeft(wave)) {
      const reasons = [...checked.waiting].map(([nodeId, reason]) => `${nodeId}: ${reason}`).join("; ");
      return {
        ok: false,
        cause: `wave ${planned.index} not back after ${run.spec.rollout.readinessTimeoutMinutes} minutes — ${reasons}`,
      };
    }
    yield* pause(run);
  }
}
