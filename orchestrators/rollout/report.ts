/**
 * The last phase, always run (also after a cancel or a failure of the whole rollout): the final
 * status is decided, saved with the spec as the rollout's report, and only then published — a
 * crash in between repeats the save, never loses it.
 */
import type { Task } from "durable-functions";
import { saveDocument } from "../../activities/contracts.js";
import { enterPhase, finishRollout, requestCancel, type RolloutStatus } from "../../lib/domain/rollout-status.js";
import { call, now } from "../durable.js";
import { advance, quietRetryScope, type RolloutRun, type RolloutState } from "./run.js";

export function* report(run: RolloutRun, state: RolloutState): Generator<Task, RolloutStatus, unknown> {
  if (run.cancel.requested && !state.status.cancelRequested)
    state = advance(run, state, (status, at) => requestCancel(status, at));
  state = advance(run, state, (status, at) => enterPhase(status, "report", at));
  const final = finishRollout(state.status, now(run.context), state.stop?.failure);
  // A report that cannot be saved does not change the rollout's outcome: the status still tells it.
  yield* call(
    run.context,
    saveDocument,
    {
      name: `rollouts/${run.input.rolloutId}/report.json`,
      document: { rolloutId: run.input.rolloutId, spec: run.spec, status: final },
    },
    quietRetryScope(run),
  );
  run.context.df.setCustomStatus(final);
  return final;
}
