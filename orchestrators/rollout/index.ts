/**
 * The rollout orchestration: a sequence of phases, each a generator from state to state
 * (orchestrators/rollout/run.ts), run until one says stop; the report phase always ends it.
 *
 *   preflight (fan-out) → provisioning (sub-orchestration per region, bounded window)
 *   → key-check (no validator key live twice) → genesis (fan-in) → deploying (per region)
 *   → updating (waves restarting changed nodes) → admitting (joining validators voted in)
 *   → removing (dropped validators voted out, then stopped) → verifying (fan-in)
 *   → contracts (mainnet and Chain 138 in parallel) → ccip → funding (orchestrators/rollout/onchain.ts)
 *   → report
 */
import { planRollout } from "../../lib/domain/plan.js";
import { createRolloutStatus, requestCancel } from "../../lib/domain/rollout-status.js";
import type { OrchestrationContext } from "durable-functions";
import type { z } from "zod";
import { CANCEL_EVENT, orchestration, rolloutOrchestration, type rolloutInputSchema } from "../contracts.js";
import { cancelArrived, cancellation, now } from "../durable.js";
import { admitting } from "./admission.js";
import { genesis } from "./genesis.js";
import { checkingKeys } from "./key-check.js";
import { ccipPhase, contractsPhase, fundingPhase } from "./onchain.js";
import { preflight } from "./preflight.js";
import { deploying, provisioning } from "./regions.js";
import { removing } from "./removing.js";
import { report } from "./report.js";
import { advance, type Phase, type RolloutRun, type RolloutState } from "./run.js";
import { updating } from "./updating.js";
import { verifying } from "./verification.js";

/** The phases in order. */
export const ROLLOUT_PHASES: readonly Phase[] = [
  preflight,
  provisioning,
  checkingKeys,
  genesis,
  deploying,
  updating,
  admitting,
  removing,
  verifying,
  contractsPhase,
  ccipPhase,
  fundingPhase,
];

/** The run and the initial state of a rollout (also how a test starts a single phase). */
export function beginRollout(
  context: OrchestrationContext,
  input: z.output<typeof rolloutInputSchema>,
): { run: RolloutRun; state: RolloutState } {
  const status = createRolloutStatus({
    rolloutId: input.rolloutId,
    network: input.spec.network.name,
    regions: input.regions,
    at: now(context),
    earlier: input.earlierRegions,
  });
  const run: RolloutRun = {
    context,
    input,
    spec: input.spec,
    plans: planRollout(input.spec).filter((plan) => input.regions.includes(plan.region)),
    cancel: cancellation(context, CANCEL_EVENT),
    phase: status.phase,
  };
  const state: RolloutState = { status, regions: run.plans, identities: [] };
  context.df.setCustomStatus(state.status);
  return { run, state };
}

export const rolloutOrchestrator = orchestration(rolloutOrchestration, function* (context, input) {
  const { run, state: initial } = beginRollout(context, input);
  let state = initial;
  for (const phase of ROLLOUT_PHASES) {
    // A cancel request is seen before any phase starts, and shows in the status at once.
    if (cancelArrived(run.cancel)) {
      state = { ...advance(run, state, (status, at) => requestCancel(status, at)), stop: {} };
      break;
    }
    state = yield* phase(run, state);
    if (state.stop) break;
  }
  return yield* report(run, state);
});
