/**
 * Phase 4a, updating: the change plan's waves on the live network (lib/domain/changes/). The
 * StatefulSets were applied OnDelete in the deploying phase, so no running node restarted yet;
 * here the waves run one after another (wave.ts): each restarts its nodes and waits until every
 * one rejoined before the next may start. A wave not back within readinessTimeoutMinutes ends the
 * waves with the network live: its regions fail with the cause, naming the nodes the waves not
 * run leave on their old template (a new rollout of the spec restarts them); the other regions
 * go on. Every decision is in the durable history, so a host killed mid-wave replays to the same
 * wave and never starts the next one early. At the end the network record keeps what each node
 * of a deployed region runs with now.
 */
import { appliedNodes } from "../../lib/domain/changes/plan.js";
import { setValidatorMembers, type NetworkRecord } from "../../lib/domain/network-record.js";
import { planRollout } from "../../lib/domain/plan.js";
import { enterPhase, failRegion, startRegionPhase } from "../../lib/domain/rollout-status.js";
import { saveNetworkRecord } from "./genesis.js";
import { advance, networkOf, retryScope, stopIfCanceled, stopWith, type Phase, type RolloutState } from "./run.js";
import { placedNodes, runWave, type Placed } from "./wave.js";

export const updating: Phase = function* (run, initial) {
  const network = networkOf(initial);
  const { record } = network;
  const placed = placedNodes(planRollout(run.spec));
  const deployed = new Set(initial.regions.map((plan) => plan.region));
  const inDeployedRegion = (nodeId: string): Placed[] => {
    const found = placed.get(nodeId);
    return found !== undefined && deployed.has(found.plan.region) ? [found] : [];
  };
  const waves = (initial.changes?.waves ?? [])
    .map((wave) => ({ wave, nodes: wave.nodes.flatMap(inDeployedRegion) }))
    .filter((entry) => entry.nodes.length > 0);
  const setValidators = setValidatorMembers(record);
  let state: RolloutState = initial;
  const notUpdated = new Set<string>();
  if (waves.length > 0) state = advance(run, state, (status, at) => enterPhase(status, "updating", at));
  for (const [position, { wave, nodes }] of waves.entries()) {
    if (run.cancel.requested) break;
    const regions = [...new Set(nodes.map((entry) => entry.plan.region))];
    for (const region of regions)
      state = advance(run, state, (status, at) => startRegionPhase(status, region, "updating", at));
    const others = setValidators
      .filter((member) => !wave.nodes.includes(member.nodeId))
      .flatMap((member) => placed.get(member.nodeId) ?? []);
    const scope = retryScope(run, regions, (change) => (state = advance(run, state, change)));
    const result = yield* runWave(run, record, scope, wave, nodes, others);
    if (result.ok) continue;
    // Never a next wave on a degraded network.
    const left = waves.slice(position + 1).flatMap((entry) => entry.nodes.map((later) => later.node.id));
    for (const nodeId of [...nodes.map((entry) => entry.node.id), ...left]) notUpdated.add(nodeId);
    const cause =
      left.length === 0
        ? result.cause
        : `${result.cause}; waves after ${wave.index} not run, so ${left.join(", ")} still run the old template`;
    for (const region of regions)
      state = advance(run, state, (status, at) =>
        failRegion(status, region, { step: `wave-${wave.index}`, cause, kind: "transient" }, at),
      );
    state = { ...state, regions: state.regions.filter((plan) => !regions.includes(plan.region)) };
    break;
  }
  // What each node of a deployed region runs with now; the rest keep their recorded entry.
  const fresh = appliedNodes(run.spec, record).filter(
    (node) => state.regions.some((plan) => plan.region === node.region) && !notUpdated.has(node.nodeId),
  );
  const freshIds = new Set(fresh.map((node) => node.nodeId));
  const updated: NetworkRecord = {
    ...record,
    nodes: [...(record.nodes ?? []).filter((node) => !freshIds.has(node.nodeId)), ...fresh],
  };
  const unsaved = yield* saveNetworkRecord(run, updated, "updating");
  state = { ...state, network: { ...network, record: updated } };
  if (unsaved) return stopWith(state, "updating", unsaved);
  return stopIfCanceled(run, state);
};
