/**
 * Phase 1, preflight: every region at once asks Azure whether it can host its plan (region
 * offered, VM sizes offered, vCPU quota). A region that cannot is marked failed with the reason
 * and takes no further part; the others go on.
 */
import { preflightRegion } from "../../activities/contracts.js";
import { failRegion, startRegionPhase } from "../../lib/domain/rollout-status.js";
import { activity, settleAll } from "../durable.js";
import { advance, type Phase } from "./run.js";

export const preflight: Phase = function* (run, state) {
  for (const plan of state.regions)
    state = advance(run, state, (status, at) => startRegionPhase(status, plan.region, "preflight", at));
  const outcomes = yield* settleAll(
    run.context,
    state.regions.map((plan) => activity(run.context, preflightRegion, { plan }, run.spec.rollout.retry)),
  );
  const ready = state.regions.filter((_, index) => outcomes[index]?.ok);
  for (const [index, plan] of state.regions.entries()) {
    const outcome = outcomes[index];
    if (outcome && !outcome.ok)
      state = advance(run, state, (status, at) =>
        failRegion(status, plan.region, { step: "preflight", cause: outcome.cause, kind: outcome.kind }, at),
      );
  }
  return { ...state, regions: ready };
};
