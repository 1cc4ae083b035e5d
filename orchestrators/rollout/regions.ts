/**
 * Phases 2 and 4, provisioning and deploying: one sub-orchestration per region, at most
 * `maxParallelRegions` at a time, the next starting as soon as one finishes. A region's failure is
 * recorded with its step and cause and never stops the others; after a cancel request no new
 * region starts.
 */
import type { Task } from "durable-functions";
import type { z } from "zod";
import type { RegionPlan } from "../../lib/domain/plan.js";
import { enterPhase, failRegion, startRegionPhase, type RegionPhase } from "../../lib/domain/rollout-status.js";
import {
  regionDeployOrchestration,
  regionProvisionOrchestration,
  type OrchestrationContract,
  type RegionFailure,
} from "../contracts.js";
import { runBounded, subOrchestration, type Outcome } from "../durable.js";
import {
  advance,
  networkOf,
  stopIfCanceled,
  subInstanceId,
  type Phase,
  type RolloutRun,
  type RolloutState,
} from "./run.js";

type RegionResult = { ok: true } | RegionFailure;

/** Runs one sub-orchestration per region of the state; `onSuccess` folds a region's successful result into the state. */
function* perRegion<I extends z.ZodType, R extends z.ZodType<RegionResult>>(
  run: RolloutRun,
  state: RolloutState,
  phase: RegionPhase & ("provisioning" | "deploying"),
  contract: OrchestrationContract<I, R>,
  inputOf: (plan: RegionPlan) => z.input<I>,
  onSuccess: (state: RolloutState, result: z.output<R>) => RolloutState,
): Generator<Task, RolloutState, unknown> {
  const regions = state.regions;
  state = { ...advance(run, state, (status, at) => enterPhase(status, phase, at)), regions: [] };
  const failureOf = (outcome: Outcome<z.output<R>>): Omit<RegionFailure, "ok"> | undefined => {
    if (!outcome.ok) return { step: phase, cause: outcome.cause, kind: outcome.kind };
    const result: RegionResult = outcome.value;
    return result.ok ? undefined : result;
  };
  yield* runBounded(
    run.context,
    regions,
    run.spec.rollout.maxParallelRegions,
    (plan) => {
      state = advance(run, state, (status, at) => startRegionPhase(status, plan.region, phase, at));
      return subOrchestration(
        run.context,
        contract,
        inputOf(plan),
        subInstanceId(run, phase === "provisioning" ? "provision" : "deploy", plan.region),
      );
    },
    run.cancel,
    (plan, outcome) => {
      const failure = failureOf(outcome);
      if (failure)
        state = advance(run, state, (status, at) =>
          failRegion(status, plan.region, { step: failure.step, cause: failure.cause, kind: failure.kind }, at),
        );
      else if (outcome.ok) state = { ...onSuccess(state, outcome.value), regions: [...state.regions, plan] };
    },
  );
  return stopIfCanceled(run, state);
}

export const provisioning: Phase = (run, state) =>
  perRegion(
    run,
    state,
    "provisioning",
    regionProvisionOrchestration,
    (plan) => ({ spec: run.spec, plan }),
    (current, result) =>
      result.ok ? { ...current, identities: [...current.identities, ...result.identities] } : current,
  );

export const deploying: Phase = (run, state) => {
  const network = networkOf(state);
  return perRegion(
    run,
    state,
    "deploying",
    regionDeployOrchestration,
    (plan) => ({
      spec: run.spec,
      plan,
      genesisJson: network.genesisJson,
      staticNodesJson: network.staticNodesJson,
      p2pHosts: network.p2pHosts,
    }),
    (current) => current,
  );
};
