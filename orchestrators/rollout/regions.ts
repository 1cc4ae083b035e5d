/**
 * Phases 2 and 4, provisioning and deploying: one sub-orchestration per region, at most
 * `maxParallelRegions` at a time, the next starting as soon as one finishes. A region's failure is
 * recorded with its step and cause and never stops the others; the transient faults a region
 * retried are added to its status. A cancel request shows in the status at once (regions not
 * started become Canceled); no region starts after it, and the ones in flight stop at their next
 * step (the HTTP API raises the cancel to them too) and end as Canceled.
 */
import type { Task } from "durable-functions";
import type { z } from "zod";
import type { RegionPlan } from "../../lib/domain/plan.js";
import {
  enterPhase,
  failRegion,
  recordRetries,
  requestCancel,
  startRegionPhase,
  type RegionPhase,
  type RegionRetries,
} from "../../lib/domain/rollout-status.js";
import {
  regionDeployOrchestration,
  regionProvisionOrchestration,
  type OrchestrationContract,
  type RegionCanceled,
  type RegionFailure,
} from "../contracts.js";
import { runBounded, subOrchestration, type Outcome } from "../durable.js";
import {
  advance,
  networkDocumentName,
  specDocumentName,
  stopIfCanceled,
  subInstanceId,
  type Phase,
  type RolloutRun,
  type RolloutState,
} from "./run.js";

type RegionResult = ({ ok: true } | RegionFailure | RegionCanceled) & { retries: RegionRetries };

/** Runs one sub-orchestration per region of the state; `onSuccess` folds a region's result into the state. */
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
  const settle = (plan: RegionPlan, outcome: Outcome<z.output<R>>): void => {
    if (!outcome.ok) {
      state = advance(run, state, (status, at) =>
        failRegion(status, plan.region, { step: phase, cause: outcome.cause, kind: outcome.kind }, at),
      );
      return;
    }
    const result: RegionResult = outcome.value;
    state = advance(run, state, (status, at) => recordRetries(status, plan.region, result.retries, at));
    if (result.ok) state = { ...onSuccess(state, outcome.value), regions: [...state.regions, plan] };
    else if (!("canceled" in result)) {
      state = advance(run, state, (status, at) =>
        failRegion(status, plan.region, { step: result.step, cause: result.cause, kind: result.kind }, at),
      );
    }
    // A region canceled midway stays as it is; the report ends it as Canceled.
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
    settle,
    () => (state = advance(run, state, (status, at) => requestCancel(status, at))),
  );
  return stopIfCanceled(run, state);
}

const regionWork = (run: RolloutRun, plan: RegionPlan) => ({
  rolloutId: run.input.rolloutId,
  policy: run.spec.rollout,
  plan,
  specDocument: specDocumentName(run),
});

export const provisioning: Phase = (run, state) =>
  perRegion(
    run,
    state,
    "provisioning",
    regionProvisionOrchestration,
    (plan) => regionWork(run, plan),
    (current, result) =>
      result.ok ? { ...current, identities: [...current.identities, ...result.identities] } : current,
  );

export const deploying: Phase = (run, state) =>
  perRegion(
    run,
    state,
    "deploying",
    regionDeployOrchestration,
    (plan) => ({ ...regionWork(run, plan), networkDocument: networkDocumentName(run) }),
    (current) => current,
  );
