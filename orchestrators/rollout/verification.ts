/**
 * Phase 5, verifying (fan-in): the whole network is observed twice, at least one block period
 * apart — one activity per cluster, all in parallel — and checked against the network record
 * (same genesis, heads advancing and close, validator set, validator peering, readiness). A region
 * passes when every check of its nodes passes. Nothing to verify when no region got this far.
 *
 * A node that did not answer is asked again, a pair of samples at a time, for up to
 * `verificationWindowSeconds`: a transient fault never fails a node. Only a node that answered and
 * was wrong, or stayed silent for the whole window, fails — and the report says which.
 */
import type { Task } from "durable-functions";
import type { ObservationScope } from "../../lib/besu/observe.js";
import { validatorPublicKeys } from "../../lib/domain/network-record.js";
import type { RegionPlan } from "../../lib/domain/plan.js";
import {
  enterPhase,
  failRegion,
  recordVerification,
  startRegionPhase,
  succeedRegion,
} from "../../lib/domain/rollout-status.js";
import {
  unansweredNodes,
  unreachableThroughout,
  verifyNetwork,
  withResample,
  type ObservedNode,
  type SamplePair,
} from "../../lib/domain/verification.js";
import { now, sleepUnlessCanceled } from "../durable.js";
import { observeClusters } from "./observation.js";
import { advance, networkOf, stopIfCanceled, type Phase, type RolloutRun, type RolloutState } from "./run.js";

/** Largest head spread between nodes that verification accepts. */
const MAX_HEAD_SPREAD = 3;

/**
 * One sample of the given nodes (all of the regions' by default); a node whose cluster could not
 * be asked counts as not answering, with the cause.
 */
function* observe(
  run: RolloutRun,
  state: { current: RolloutState },
  regions: readonly RegionPlan[],
  scope: ObservationScope,
  only?: ReadonlySet<string>,
): Generator<Task, ObservedNode[], unknown> {
  const observed = yield* observeClusters(run, state, regions, scope, (node) => only?.has(node.id) ?? true);
  const publicKeyOf = new Map(state.current.identities.map((identity) => [identity.nodeId, identity.publicKey]));
  return observed.flatMap(({ plan, nodes, outcome }) => {
    const observations = outcome?.ok ? outcome.value.observations : [];
    const error = outcome && !outcome.ok ? outcome.cause : "not observed";
    return nodes.map((node): ObservedNode => ({
      ...(observations.find((entry) => entry.nodeId === node.id) ?? { reachable: false, error }),
      nodeId: node.id,
      region: plan.region,
      role: node.role,
      publicKey: publicKeyOf.get(node.id) ?? "",
    }));
  });
}

/** Two samples a block period or more apart; undefined when a cancel request ended the wait. */
function* samplePair(
  run: RolloutRun,
  state: { current: RolloutState },
  only?: ReadonlySet<string>,
): Generator<Task, SamplePair | undefined, unknown> {
  const { spec, context } = run;
  // The first sample only needs each node's head (for "advancing" and the chain's rate).
  const first = yield* observe(run, state, state.current.regions, "heads", only);
  yield* sleepUnlessCanceled(
    context,
    Math.max(spec.network.qbft.blockperiodseconds * 2, spec.rollout.pollIntervalSeconds),
    run.cancel,
  );
  if (run.cancel.requested) return undefined;
  const second = yield* observe(run, state, state.current.regions, "full", only);
  return { first, second };
}

/** The samples, with the nodes that did not answer asked again until they do or the window ends. */
function* sampleUntilAnswered(
  run: RolloutRun,
  state: { current: RolloutState },
): Generator<Task, SamplePair | undefined, unknown> {
  const { context, spec } = run;
  const window = spec.rollout.verificationWindowSeconds;
  const deadline = context.df.currentUtcDateTime.getTime() + window * 1000;
  let samples = yield* samplePair(run, state);
  let tries = 1;
  for (;;) {
    if (samples === undefined) return undefined;
    const silent = unansweredNodes(samples);
    if (silent.length === 0) return samples;
    if (context.df.currentUtcDateTime.getTime() >= deadline)
      return unreachableThroughout(samples, silent, { seconds: window, tries });
    yield* sleepUnlessCanceled(context, spec.rollout.pollIntervalSeconds, run.cancel);
    if (run.cancel.requested) return undefined;
    const resample = yield* samplePair(run, state, new Set(silent));
    if (resample === undefined) return undefined;
    samples = withResample(samples, resample);
    tries += 1;
  }
}

export const verifying: Phase = function* (run, initial) {
  if (initial.regions.length === 0) return initial;
  const { record } = networkOf(initial);
  const { spec, context } = run;
  // The retries of observations are folded into the state as they happen.
  const state = { current: advance(run, initial, (status, at) => enterPhase(status, "verifying", at)) };
  for (const plan of state.current.regions)
    state.current = advance(run, state.current, (status, at) => startRegionPhase(status, plan.region, "verifying", at));
  const samples = yield* sampleUntilAnswered(run, state);
  if (samples === undefined) return stopIfCanceled(run, state.current);
  const verification = verifyNetwork({
    at: now(context),
    chainIdHex: `0x${spec.network.chainId.toString(16)}`,
    genesisHash: record.genesisHash,
    validators: record.validators,
    validatorPublicKeys: validatorPublicKeys(record, record.validators),
    first: samples.first,
    second: samples.second,
    maxHeadSpread: MAX_HEAD_SPREAD,
  });
  let current = advance(run, state.current, (status, at) => recordVerification(status, verification, at));
  const failedChecks = (plan: RegionPlan) =>
    verification.regions.find((entry) => entry.region === plan.region)?.checks.filter((result) => !result.ok) ?? [];
  for (const plan of current.regions) {
    const failed = failedChecks(plan);
    current = advance(run, current, (status, at) =>
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
  return { ...current, regions: current.regions.filter((plan) => failedChecks(plan).length === 0) };
};
