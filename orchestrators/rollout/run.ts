/**
 * What the rollout's phases share. A phase is a generator that takes the rollout's state and
 * returns the next one (`Phase`); the rollout orchestrator composes them with `yield*`. `RolloutRun`
 * holds what does not change during a rollout (the durable context, the parsed input, the plans,
 * the cancel request) and the current phase's name; `RolloutState` holds what the phases build
 * up, the status included.
 *
 * The status is the orchestration's custom status: `advance` applies a change and publishes it,
 * so the status endpoint shows each region's phase and last error live. It holds no secret.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import type { z } from "zod";
import type { OnChainContext } from "../../activities/onchain-contracts.js";
import type { ChangePlan } from "../../lib/domain/changes/plan.js";
import type { NodePublicIdentity } from "../../lib/domain/genesis.js";
import type { NetworkMembership } from "../../lib/domain/network-record.js";
import type { RegionPlan } from "../../lib/domain/plan.js";
import { recordRetries, type RolloutFailure, type RolloutStatus } from "../../lib/domain/rollout-status.js";
import type { DesiredState } from "../../lib/domain/spec.js";
import { regionInstanceId, type REGION_WORK, type rolloutInputSchema } from "../contracts.js";
import { now, type Cancellation, type RetryScope } from "../durable.js";

/** The fixed facts of one rollout. */
export interface RolloutRun {
  context: OrchestrationContext;
  input: z.output<typeof rolloutInputSchema>;
  spec: DesiredState;
  /** The plans of the regions this rollout works on. */
  plans: RegionPlan[];
  cancel: Cancellation;
  /**
   * The phase the status is in, kept by `advance` (the one thing here that changes): the retry
   * scopes send it to the activities, whose log lines name it.
   */
  phase: RolloutStatus["phase"];
}

/** What the phases have built so far. */
export interface RolloutState {
  status: RolloutStatus;
  /** The regions still going: each phase keeps those that passed it. */
  regions: RegionPlan[];
  /** Public identities of the nodes provisioned in this rollout. */
  identities: NodePublicIdentity[];
  /** The network these regions run: its record, genesis and static nodes (from the genesis phase on). */
  network?: NetworkMembership;
  /** Who deploys, the selectors and every known address: set by the contracts phase for the ones after it. */
  onChain?: OnChainContext;
  /** What this rollout changes on the network as it was recorded (from the genesis phase on). */
  changes?: ChangePlan;
  /** Set when the rollout must end now: by a cancel request, or by a failure of the whole rollout. */
  stop?: { failure?: RolloutFailure };
}

export type Phase = (run: RolloutRun, state: RolloutState) => Generator<Task, RolloutState, unknown>;

/** A change to the status at a moment. */
export type StatusChange = (status: RolloutStatus, at: string) => RolloutStatus;

/** Applies a change to the status and publishes it as the custom status. */
export function advance(run: RolloutRun, state: RolloutState, change: StatusChange): RolloutState {
  const status = change(state.status, now(run.context));
  run.phase = status.phase;
  run.context.df.setCustomStatus(status);
  return { ...state, status };
}

/** The same state, told to stop with a failure of the whole rollout. */
export const stopWith = (state: RolloutState, phase: RolloutFailure["phase"], reason: string): RolloutState => ({
  ...state,
  stop: { failure: { phase, reason } },
});

/** The same state, told to stop if a cancel request has arrived. */
export const stopIfCanceled = (run: RolloutRun, state: RolloutState): RolloutState =>
  run.cancel.requested ? { ...state, stop: {} } : state;

/** The network of a state past the genesis phase (the composition guarantees it). */
export function networkOf(state: RolloutState): NetworkMembership {
  if (!state.network) throw new Error("a phase that needs the network ran before the genesis phase");
  return state.network;
}

/** The instance id of a region's sub-orchestration in this rollout. */
export const subInstanceId = (run: RolloutRun, work: (typeof REGION_WORK)[number], region: string): string =>
  regionInstanceId(run.context.df.instanceId, run.input.rolloutId, work, region);

/** Where this rollout keeps its spec: written once, before any region starts; activities read it by name. */
export const specDocumentName = (run: RolloutRun): string => `rollouts/${run.input.rolloutId}/spec.json`;

/** Where this rollout keeps what every node is deployed with (genesis, static nodes, p2p addresses). */
export const networkDocumentName = (run: RolloutRun): string => `rollouts/${run.input.rolloutId}/network.json`;

/**
 * The retry scope for work done on behalf of `regions`: each retry the orchestrator waits for
 * shows in those regions' status. `apply` folds the status change into the calling phase's state.
 */
export function retryScope(
  run: RolloutRun,
  regions: readonly string[],
  apply: (change: StatusChange) => void,
): RetryScope {
  return {
    policy: run.spec.rollout.retry,
    phase: run.phase,
    onRetry: (notice) => {
      for (const region of regions) {
        apply((status, at) =>
          recordRetries(status, region, { count: 1, waitedSeconds: notice.waitSeconds, last: { ...notice, at } }, at),
        );
      }
    },
  };
}

/** A scope for work that belongs to no region (the network record, the report): retries are not shown. */
export const quietRetryScope = (run: RolloutRun): RetryScope => ({
  policy: run.spec.rollout.retry,
  phase: run.phase,
});
