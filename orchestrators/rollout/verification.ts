/**
 * Phase 5, verifying (fan-in): the whole network is observed twice, at least one block period
 * apart — one activity per cluster, all in parallel — and checked against the network record
 * (same genesis, heads advancing and close, validator set, validator peering, readiness). A region
 * passes when every check of its nodes passes. Nothing to verify when no region got this far.
 */
import type { Task } from "durable-functions";
import { observeNodes } from "../../activities/contracts.js";
import type { ObservationScope } from "../../lib/besu/observe.js";
import { validatorPublicKeys } from "../../lib/domain/network-record.js";
import {
  enterPhase,
  failRegion,
  recordVerification,
  startRegionPhase,
  succeedRegion,
} from "../../lib/domain/rollout-status.js";
import { verifyNetwork, type ObservedNode } from "../../lib/domain/verification.js";
import { activity, now, settleAll, sleep } from "../durable.js";
import { advance, networkOf, type Phase, type RolloutRun, type RolloutState } from "./run.js";

/** Largest head spread between nodes that verification accepts. */
const MAX_HEAD_SPREAD = 3;

/** One sample of every node of the state's regions; a node whose cluster could not be asked is unreachable. */
function* observe(
  run: RolloutRun,
  state: RolloutState,
  scope: ObservationScope,
): Generator<Task, ObservedNode[], unknown> {
  const clusters = state.regions.flatMap((plan) => plan.clusters.map((cluster) => ({ plan, cluster })));
  const outcomes = yield* settleAll(
    run.context,
    clusters.map(({ plan, cluster }) =>
      activity(
        run.context,
        observeNodes,
        {
          cluster: { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region },
          namespace: cluster.namespace,
          nodes: cluster.nodes,
          scope,
        },
        run.spec.rollout.retry,
      ),
    ),
  );
  const publicKeyOf = new Map(state.identities.map((identity) => [identity.nodeId, identity.publicKey]));
  return clusters.flatMap(({ plan, cluster }, index) => {
    const outcome = outcomes[index];
    const observations = outcome?.ok ? outcome.value.observations : [];
    const error = outcome && !outcome.ok ? outcome.cause : "not observed";
    return cluster.nodes.map((node): ObservedNode => ({
      ...(observations.find((entry) => entry.nodeId === node.id) ?? { reachable: false, error }),
      nodeId: node.id,
      region: plan.region,
      role: node.role,
      publicKey: publicKeyOf.get(node.id) ?? "",
    }));
  });
}

export const verifying: Phase = function* (run, state) {
  if (state.regions.length === 0) return state;
  const { record } = networkOf(state);
  const { spec, context } = run;
  state = advance(run, state, (status, at) => enterPhase(status, "verifying", at));
  for (const plan of state.regions)
    state = advance(run, state, (status, at) => startRegionPhase(status, plan.region, "verifying", at));
  // The first sample only needs each node's head (for "advancing" and the chain's rate).
  const first = yield* observe(run, state, "heads");
  yield sleep(context, Math.max(spec.network.qbft.blockperiodseconds * 2, spec.rollout.pollIntervalSeconds));
  const second = yield* observe(run, state, "full");
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
  state = advance(run, state, (status, at) => recordVerification(status, verification, at));
  const verified = state.regions.filter(
    (plan) =>
      verification.regions.find((entry) => entry.region === plan.region)?.checks.every((result) => result.ok) ?? true,
  );
  for (const plan of state.regions) {
    const failed =
      verification.regions.find((entry) => entry.region === plan.region)?.checks.filter((result) => !result.ok) ?? [];
    state = advance(run, state, (status, at) =>
      failed.length === 0
        ? succeedRegion(status, plan.region, at)
        : failRegion(
            status,
            plan.region,
            {
              step: "verification",
              cause: failed.map((result) => `${result.check}: ${result.detail}`).join("; "),
              kind: "permanent",
            },
            at,
          ),
    );
  }
  return { ...state, regions: verified };
};
