/**
 * Phase 1, preflight. First the rollout's spec is saved as its own document (the regions' work
 * reads it by name instead of carrying a copy each in the durable history). Then every region at
 * once asks Azure whether it can host its plan (region offered, VM sizes offered, vCPU quota). A
 * region that cannot is marked failed with the reason and takes no further part; the others go on.
 */
import { preflightRegion, saveDocument } from "../../activities/contracts.js";
import { failRegion, startRegionPhase } from "../../lib/domain/rollout-status.js";
import { activity, call, settleAll } from "../durable.js";
import { advance, quietRetryScope, retryScope, specDocumentName, stopWith, type Phase } from "./run.js";

export const preflight: Phase = function* (run, state) {
  const saved = yield* call(
    run.context,
    saveDocument,
    { name: specDocumentName(run), document: run.spec },
    quietRetryScope(run),
  );
  if (!saved.ok) return stopWith(state, "preflight", `the rollout's spec could not be saved: ${saved.cause}`);
  for (const plan of state.regions)
    state = advance(run, state, (status, at) => startRegionPhase(status, plan.region, "preflight", at));
  const outcomes = yield* settleAll(
    run.context,
    state.regions.map((plan) =>
      activity(
        run.context,
        preflightRegion,
        { plan },
        retryScope(run, [plan.region], (change) => (state = advance(run, state, change))),
      ),
    ),
    run.cancel,
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
