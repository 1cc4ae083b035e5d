/**
 * Phase 3, genesis (fan-in): the network's own genesis if it formed before — a chain's genesis
 * never changes — else a new one from the validators provisioned in phase A. The network record is
 * saved before any node runs with that genesis, so a crash here cannot produce two genesis files;
 * then the rollout's network document (genesis, static nodes, p2p addresses), which every region's
 * deployment reads by name.
 */
import { loadNetworkRecord, saveDocument, type RolloutNetwork } from "../../activities/contracts.js";
import { planChanges } from "../../lib/domain/changes/plan.js";
import { decideMembership, networkRecordName, type NetworkRecord } from "../../lib/domain/network-record.js";
import { enterPhase, type RolloutPhase } from "../../lib/domain/rollout-status.js";
import { call } from "../durable.js";
import { advance, networkDocumentName, quietRetryScope, stopWith, type Phase, type RolloutRun } from "./run.js";
import type { Task } from "durable-functions";

/** Saves the network record; returns why it could not be saved, if it could not. */
export function* saveNetworkRecord(
  run: RolloutRun,
  record: NetworkRecord,
  phase: RolloutPhase,
): Generator<Task, string | undefined, unknown> {
  const saved = yield* call(
    run.context,
    saveDocument,
    { name: networkRecordName(run.spec.network.name), document: record },
    quietRetryScope(run),
  );
  return saved.ok ? undefined : `the network record could not be saved (${phase}): ${saved.cause}`;
}

export const genesis: Phase = function* (run, state) {
  state = advance(run, state, (status, at) => enterPhase(status, "genesis", at));
  const { spec } = run;
  const loaded = yield* call(run.context, loadNetworkRecord, { network: spec.network.name }, quietRetryScope(run));
  if (!loaded.ok) return stopWith(state, "genesis", `the network record could not be read: ${loaded.cause}`);
  const changes = planChanges(spec, loaded.value.record ?? undefined);
  if (!changes.ok) return stopWith(state, "genesis", changes.problems.map((problem) => problem.message).join("; "));
  const membership = decideMembership({
    rolloutId: run.input.rolloutId,
    network: spec.network,
    minValidators: spec.rollout.minValidators,
    identities: state.identities,
    record: loaded.value.record ?? undefined,
  });
  if (!membership.ok) return stopWith(state, "genesis", membership.reason);
  const unsaved = yield* saveNetworkRecord(run, membership.record, "genesis");
  if (unsaved) return stopWith(state, "genesis", unsaved);
  const deployment: RolloutNetwork = {
    genesisJson: membership.genesisJson,
    staticNodesJson: membership.staticNodesJson,
    p2pHosts: membership.p2pHosts,
  };
  const saved = yield* call(
    run.context,
    saveDocument,
    { name: networkDocumentName(run), document: deployment },
    quietRetryScope(run),
  );
  if (!saved.ok) return stopWith(state, "genesis", `the rollout's network document could not be saved: ${saved.cause}`);
  return { ...state, network: membership, changes: changes.plan };
};
