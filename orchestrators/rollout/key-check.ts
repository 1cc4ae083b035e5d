/**
 * The phase between provisioning and genesis that keeps one live copy per validator key
 * (lib/domain/key-copies.ts). The keys of this rollout's validators are known now (their clusters
 * published them) and nothing runs with them yet. For a network that formed before, every node of
 * the record and every validator of this rollout is observed — whether it answers and whom it is
 * peered with — and a region whose validator would be a second live copy of a key fails here,
 * before the genesis phase records its identities and before any of its pods runs. A new network
 * has nothing live to observe: only two validators of the rollout with one key are refused.
 *
 * NOTE: a node in a region no longer in the spec cannot be located, so it is not observed; the
 * record still names it, and a candidate with its address is refused only once it is seen live
 * through its peers.
 */
import type { Task } from "durable-functions";
import { loadNetworkRecord } from "../../activities/contracts.js";
import { refuseLiveCopies, type NodeLiveness } from "../../lib/domain/key-copies.js";
import type { NetworkRecord } from "../../lib/domain/network-record.js";
import { planRollout } from "../../lib/domain/plan.js";
import { enterPhase, failRegion } from "../../lib/domain/rollout-status.js";
import { call } from "../durable.js";
import { observeClusters } from "./observation.js";
import {
  advance,
  quietRetryScope,
  stopIfCanceled,
  stopWith,
  type Phase,
  type RolloutRun,
  type RolloutState,
} from "./run.js";

/**
 * Liveness of the given nodes, wherever the spec places them. NOTE: when a cluster cannot be
 * asked, its nodes count the cautious way: a validator of this rollout as not running (so it is
 * checked), any other node as live (so a copy of its key is refused).
 */
function* liveness(
  run: RolloutRun,
  state: { current: RolloutState },
  nodeIds: ReadonlySet<string>,
  candidates: ReadonlySet<string>,
): Generator<Task, NodeLiveness[], unknown> {
  const observed = yield* observeClusters(run, state, planRollout(run.spec), "full", (node) => nodeIds.has(node.id));
  return observed.flatMap(({ nodes, outcome }) => {
    if (outcome?.ok)
      return outcome.value.observations.map((observation) => ({
        nodeId: observation.nodeId,
        reachable: observation.reachable,
        peerPublicKeys: observation.peerPublicKeys ?? [],
      }));
    return nodes.map((node) => ({ nodeId: node.id, reachable: !candidates.has(node.id), peerPublicKeys: [] }));
  });
}

export const checkingKeys: Phase = function* (run, state) {
  const candidates = state.identities.filter((identity) => identity.role === "validator");
  if (candidates.length === 0) return state;
  const loaded = yield* call(run.context, loadNetworkRecord, { network: run.spec.network.name }, quietRetryScope(run));
  if (!loaded.ok) return stopWith(state, "key-check", `the network record could not be read: ${loaded.cause}`);
  const record: NetworkRecord | undefined = loaded.value.record ?? undefined;
  const tracked = { current: state };
  if (record !== undefined) {
    tracked.current = advance(run, tracked.current, (status, at) => enterPhase(status, "key-check", at));
    const candidateIds = new Set(candidates.map((candidate) => candidate.nodeId));
    const nodeIds = new Set([...record.members.map((member) => member.nodeId), ...candidateIds]);
    const observed = yield* liveness(run, tracked, nodeIds, candidateIds);
    tracked.current = stopIfCanceled(run, tracked.current);
    if (tracked.current.stop) return tracked.current;
    return refuse(run, tracked.current, refuseLiveCopies(state.identities, record, observed));
  }
  return refuse(run, tracked.current, refuseLiveCopies(state.identities, undefined, []));
};

/** Fails the regions of refused validators and drops them (and their identities) from the rollout. */
function refuse(run: RolloutRun, state: RolloutState, refused: ReturnType<typeof refuseLiveCopies>): RolloutState {
  const regions = new Set(refused.map((entry) => entry.region));
  for (const region of regions) {
    const cause = refused
      .filter((entry) => entry.region === region)
      .map((entry) => entry.reason)
      .join("; ");
    state = advance(run, state, (status, at) =>
      failRegion(status, region, { step: "key-check", cause, kind: "permanent" }, at),
    );
  }
  return {
    ...state,
    regions: state.regions.filter((plan) => !regions.has(plan.region)),
    identities: state.identities.filter((identity) => !regions.has(identity.region)),
  };
}
