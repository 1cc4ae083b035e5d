/**
 * The status of a rollout as operators see it (HTTP API, CLI, report) and as the orchestrator
 * keeps it in its custom status: the overall state and phase, per-region progress with the last
 * error, phase timings and verification results. Transitions are pure functions that return a
 * new status; times come in as ISO strings (in an orchestrator, from currentUtcDateTime).
 */
import { z } from "zod";
import { clusterDeletionSchema } from "./deprovision-status.js";
import { deployedContractSchema, onChainStatusSchema } from "./onchain-status.js";

const isoTime = z.iso.datetime({ offset: true });

/** Overall state of a rollout. */
export const rolloutStateSchema = z.enum(["Running", "Succeeded", "PartiallySucceeded", "Failed", "Canceled"]);
export type RolloutState = z.infer<typeof rolloutStateSchema>;

/** Phases of a rollout, in order. contracts and ccip are reserved for later versions. */
export const rolloutPhaseSchema = z.enum([
  "preflight",
  "provisioning",
  "key-check",
  "genesis",
  "deploying",
  "updating",
  "admitting",
  "removing",
  "verifying",
  "contracts",
  "ccip",
  "funding",
  "report",
]);
export type RolloutPhase = z.infer<typeof rolloutPhaseSchema>;

/** The phases a region goes through, in order (genesis, contracts, ccip and report are network-wide). */
export const regionPhaseSchema = z.enum([
  "preflight",
  "provisioning",
  "deploying",
  "updating",
  "admitting",
  "verifying",
]);
export type RegionPhase = z.infer<typeof regionPhaseSchema>;

/** State of one region within a rollout. */
export const regionStateSchema = z.enum(["Pending", "Running", "Succeeded", "Failed", "Canceled"]);
export type RegionState = z.infer<typeof regionStateSchema>;

/** Transient faults were retried and ran out of attempts; permanent ones were not retried. */
export const failureKindSchema = z.enum(["transient", "permanent"]);
export type FailureKind = z.infer<typeof failureKindSchema>;

export const regionErrorSchema = z.object({
  /** The step that failed, e.g. `preflight`, `aks-cluster`, `node-keys`, `besu-ready`. */
  step: z.string().min(1),
  /** What went wrong, for a human; never contains a secret. */
  cause: z.string().min(1),
  kind: failureKindSchema,
  at: isoTime,
});
export type RegionError = z.infer<typeof regionErrorSchema>;

/** Transient faults retried during a region's current attempt: how many, how long it waited, the last one. */
export const regionRetriesSchema = z.object({
  count: z.int().min(0),
  waitedSeconds: z.number().min(0),
  last: z
    .object({
      /** The activity retried, e.g. getClusterState, deployBesu. */
      activity: z.string().min(1),
      cause: z.string().min(1),
      /** The attempt that followed the wait (2 for the first retry). */
      nextAttempt: z.int().min(2),
      waitSeconds: z.number().min(0),
      at: isoTime,
    })
    .optional(),
});
export type RegionRetries = z.infer<typeof regionRetriesSchema>;

export const regionStatusSchema = z.object({
  region: z.string().min(1),
  phase: regionPhaseSchema,
  state: regionStateSchema,
  /** How many times the region was started: 1 for the first run, +1 per retry of the rollout. */
  attempts: z.int().min(0),
  /** When the current attempt started. */
  startedAt: isoTime.optional(),
  /** When the current attempt ended. */
  finishedAt: isoTime.optional(),
  /** The most recent failure, kept after a retry for the record. */
  lastError: regionErrorSchema.optional(),
  /** Transient faults retried in this attempt (each one waited for on a durable timer). */
  retries: regionRetriesSchema.optional(),
});
export type RegionStatus = z.infer<typeof regionStatusSchema>;

export const checkResultSchema = z.object({
  /** Check name, e.g. `genesis-hash`, `heads-advancing`, `validator-set`, `validator-peering`, `readiness`. */
  check: z.string().min(1),
  ok: z.boolean(),
  detail: z.string(),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

export const regionVerificationSchema = z.object({ region: z.string().min(1), checks: z.array(checkResultSchema) });
export type RegionVerification = z.infer<typeof regionVerificationSchema>;

export const verificationSchema = z.object({
  verifiedAt: isoTime,
  /** True when every network-wide and every regional check passed. */
  ok: z.boolean(),
  network: z.array(checkResultSchema),
  regions: z.array(regionVerificationSchema),
});
export type Verification = z.infer<typeof verificationSchema>;

export const phaseTimingSchema = z.object({
  phase: rolloutPhaseSchema,
  startedAt: isoTime,
  finishedAt: isoTime.optional(),
});
export type PhaseTiming = z.infer<typeof phaseTimingSchema>;

export const regionCountsSchema = z.object({
  total: z.int().min(0),
  pending: z.int().min(0),
  running: z.int().min(0),
  succeeded: z.int().min(0),
  failed: z.int().min(0),
  canceled: z.int().min(0),
});
export type RegionCounts = z.infer<typeof regionCountsSchema>;

/** A failure of the rollout as a whole (e.g. too few validators for a genesis). */
export const rolloutFailureSchema = z.object({ phase: rolloutPhaseSchema, reason: z.string().min(1) });
export type RolloutFailure = z.infer<typeof rolloutFailureSchema>;

export const rolloutStatusSchema = z.object({
  rolloutId: z.string().min(1),
  network: z.string().min(1),
  state: rolloutStateSchema,
  phase: rolloutPhaseSchema,
  cancelRequested: z.boolean(),
  createdAt: isoTime,
  updatedAt: isoTime,
  finishedAt: isoTime.optional(),
  counts: regionCountsSchema,
  phases: z.array(phaseTimingSchema),
  regions: z.array(regionStatusSchema),
  failure: rolloutFailureSchema.optional(),
  verification: verificationSchema.optional(),
  /** Every deployed contract (contracts phase on), and each deployment, CCIP step and top-up live. */
  contracts: z.array(deployedContractSchema).optional(),
  onChain: onChainStatusSchema.optional(),
  /** The clusters of dropped regions deleted by this rollout (`rollout.deprovision: delete`). */
  clusterDeletions: z.array(clusterDeletionSchema).optional(),
});
export type RolloutStatus = z.infer<typeof rolloutStatusSchema>;

/** A transition that the current status does not allow: a bug in the caller, not an outside fault. */
export class RolloutStatusError extends Error {
  override name = "RolloutStatusError";
}

const TERMINAL_REGION_STATES: ReadonlySet<RegionState> = new Set(["Succeeded", "Failed", "Canceled"]);

/** True when the region will not change again in this attempt. */
export function isRegionFinished(region: Pick<RegionStatus, "state">): boolean {
  return TERMINAL_REGION_STATES.has(region.state);
}

/** Region counts by state. */
export function countRegions(regions: readonly RegionStatus[]): RegionCounts {
  const count = (state: RegionState) => regions.filter((region) => region.state === state).length;
  return {
    total: regions.length,
    pending: count("Pending"),
    running: count("Running"),
    succeeded: count("Succeeded"),
    failed: count("Failed"),
    canceled: count("Canceled"),
  };
}

/**
 * The overall state from the region results. Any region still pending or running → Running;
 * then a cancel request → Canceled; a rollout-level failure → Failed; every region succeeded →
 * Succeeded; none → Failed; some → PartiallySucceeded.
 */
export function decideOverallState(input: {
  regions: ReadonlyArray<Pick<RegionStatus, "state">>;
  cancelRequested: boolean;
  failure?: RolloutFailure;
}): RolloutState {
  const { regions } = input;
  if (regions.some((region) => !isRegionFinished(region))) return "Running";
  if (input.cancelRequested) return "Canceled";
  if (input.failure !== undefined) return "Failed";
  const succeeded = regions.filter((region) => region.state === "Succeeded").length;
  if (regions.length > 0 && succeeded === regions.length) return "Succeeded";
  return succeeded === 0 ? "Failed" : "PartiallySucceeded";
}

/**
 * A new rollout: Running, in preflight, every region Pending. A retry passes the regions' status
 * in the rollout it retries (`earlier`): their attempts and last error carry over for the record.
 */
export function createRolloutStatus(input: {
  rolloutId: string;
  network: string;
  regions: readonly string[];
  at: string;
  earlier?: readonly RegionStatus[];
}): RolloutStatus {
  if (new Set(input.regions).size !== input.regions.length)
    throw new RolloutStatusError("a rollout lists each region once");
  const regions = input.regions.map((region): RegionStatus => {
    const earlier = input.earlier?.find((entry) => entry.region === region);
    return {
      region,
      phase: "preflight",
      state: "Pending",
      attempts: earlier?.attempts ?? 0,
      ...(earlier?.lastError ? { lastError: earlier.lastError } : {}),
    };
  });
  return {
    rolloutId: input.rolloutId,
    network: input.network,
    state: "Running",
    phase: "preflight",
    cancelRequested: false,
    createdAt: input.at,
    updatedAt: input.at,
    counts: countRegions(regions),
    phases: [{ phase: "preflight", startedAt: input.at }],
    regions,
  };
}

/** A copy without the given optional fields: absent rather than undefined, so it survives JSON unchanged. */
function withoutFields<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

/** The region without its end time and retries: a new attempt has neither yet. */
function reopened(region: RegionStatus): RegionStatus {
  return withoutFields(region, "finishedAt", "retries");
}

function assertRunning(status: RolloutStatus, action: string): void {
  if (status.state !== "Running")
    throw new RolloutStatusError(`cannot ${action}: rollout ${status.rolloutId} is ${status.state}`);
}

function updateRegion(
  status: RolloutStatus,
  region: string,
  at: string,
  change: (current: RegionStatus) => RegionStatus,
): RolloutStatus {
  if (!status.regions.some((entry) => entry.region === region)) {
    throw new RolloutStatusError(`region ${region} is not part of rollout ${status.rolloutId}`);
  }
  const regions = status.regions.map((entry) => (entry.region === region ? change(entry) : entry));
  return { ...status, regions, counts: countRegions(regions), updatedAt: at };
}

function closeOpenPhase(phases: readonly PhaseTiming[], at: string): PhaseTiming[] {
  return phases.map((timing) => (timing.finishedAt === undefined ? { ...timing, finishedAt: at } : timing));
}

/** Moves the rollout to a phase, closing the previous phase's timing. */
export function enterPhase(status: RolloutStatus, phase: RolloutPhase, at: string): RolloutStatus {
  assertRunning(status, `enter phase ${phase}`);
  if (status.phase === phase) return status;
  return { ...status, phase, phases: [...closeOpenPhase(status.phases, at), { phase, startedAt: at }], updatedAt: at };
}

/**
 * Marks a region as working on a phase. The first phase of an attempt starts the attempt
 * (attempts + 1, startedAt); phases only move forward within an attempt; after a cancel
 * request no phase starts.
 */
export function startRegionPhase(status: RolloutStatus, region: string, phase: RegionPhase, at: string): RolloutStatus {
  assertRunning(status, `start ${region}`);
  if (status.cancelRequested)
    throw new RolloutStatusError(`cannot start ${phase} in ${region}: rollout ${status.rolloutId} is being canceled`);
  return updateRegion(status, region, at, (current) => {
    if (isRegionFinished(current)) throw new RolloutStatusError(`region ${region} is already ${current.state}`);
    if (current.state === "Pending") {
      return { ...reopened(current), state: "Running", phase, attempts: current.attempts + 1, startedAt: at };
    }
    const order = regionPhaseSchema.options;
    if (order.indexOf(phase) < order.indexOf(current.phase)) {
      throw new RolloutStatusError(`region ${region} cannot go back from ${current.phase} to ${phase}`);
    }
    return { ...current, phase };
  });
}

/** A region finished every phase. */
export function succeedRegion(status: RolloutStatus, region: string, at: string): RolloutStatus {
  assertRunning(status, `complete ${region}`);
  return updateRegion(status, region, at, (current) => {
    if (current.state !== "Running") throw new RolloutStatusError(`region ${region} is ${current.state}, not Running`);
    return { ...current, state: "Succeeded", finishedAt: at };
  });
}

/** A region failed at a step; the region stays failed until the rollout is retried. */
export function failRegion(
  status: RolloutStatus,
  region: string,
  error: Omit<RegionError, "at">,
  at: string,
): RolloutStatus {
  assertRunning(status, `fail ${region}`);
  return updateRegion(status, region, at, (current) => {
    if (isRegionFinished(current)) throw new RolloutStatusError(`region ${region} is already ${current.state}`);
    return { ...current, state: "Failed", finishedAt: at, lastError: { ...error, at } };
  });
}

/** Adds retries that a region's work waited for (one notice, or a sub-orchestration's summary). */
export function recordRetries(
  status: RolloutStatus,
  region: string,
  retries: RegionRetries,
  at: string,
): RolloutStatus {
  if (retries.count === 0) return status;
  return updateRegion(status, region, at, (current) => ({
    ...current,
    retries: {
      count: (current.retries?.count ?? 0) + retries.count,
      waitedSeconds: (current.retries?.waitedSeconds ?? 0) + retries.waitedSeconds,
      ...((retries.last ?? current.retries?.last) ? { last: retries.last ?? current.retries?.last } : {}),
    },
  }));
}

/**
 * Records a cancel request: no region that has not started will start (they become Canceled);
 * regions in flight finish their current step and are then ended by finishRollout.
 */
export function requestCancel(status: RolloutStatus, at: string): RolloutStatus {
  assertRunning(status, "cancel");
  const regions = status.regions.map((region) =>
    region.state === "Pending" ? { ...region, state: "Canceled" as const, finishedAt: at } : region,
  );
  return { ...status, cancelRequested: true, regions, counts: countRegions(regions), updatedAt: at };
}

/** Records the verification results (a new verification replaces the previous one). */
export function recordVerification(status: RolloutStatus, verification: Verification, at: string): RolloutStatus {
  assertRunning(status, "record verification");
  return { ...status, verification, updatedAt: at };
}

/**
 * Ends the rollout. Regions still unfinished become Canceled after a cancel request, or Failed
 * with the rollout-level failure as their error; without either, unfinished regions are a bug.
 */
export function finishRollout(status: RolloutStatus, at: string, failure?: RolloutFailure): RolloutStatus {
  assertRunning(status, "finish");
  const regions = status.regions.map((region): RegionStatus => {
    if (isRegionFinished(region)) return region;
    if (status.cancelRequested) return { ...region, state: "Canceled", finishedAt: at };
    if (failure !== undefined) {
      return {
        ...region,
        state: "Failed",
        finishedAt: at,
        lastError: { step: failure.phase, cause: failure.reason, kind: "permanent", at },
      };
    }
    throw new RolloutStatusError(
      `cannot finish rollout ${status.rolloutId}: region ${region.region} is still ${region.state}`,
    );
  });
  const state = decideOverallState({ regions, cancelRequested: status.cancelRequested, failure });
  return {
    ...status,
    state,
    regions,
    counts: countRegions(regions),
    phases: closeOpenPhase(status.phases, at),
    ...(failure !== undefined ? { failure } : {}),
    finishedAt: at,
    updatedAt: at,
  };
}

/** Regions a retry would run, or why the retry is refused. */
export type RetrySelection = { ok: true; regions: string[] } | { ok: false; problems: string[] };

/**
 * Which regions a retry of a finished rollout runs: by default every region that did not
 * succeed; when regions are named, each must be part of the rollout and not have succeeded.
 */
export function selectRegionsToRetry(status: RolloutStatus, requested?: readonly string[]): RetrySelection {
  if (status.state === "Running")
    return {
      ok: false,
      problems: [`rollout ${status.rolloutId} is still running; cancel it or wait for it to finish`],
    };
  const unfinished = status.regions.filter((region) => region.state !== "Succeeded").map((region) => region.region);
  if (requested === undefined || requested.length === 0) {
    return unfinished.length > 0
      ? { ok: true, regions: unfinished }
      : { ok: false, problems: [`every region of rollout ${status.rolloutId} succeeded; nothing to retry`] };
  }
  const problems: string[] = [];
  for (const name of requested) {
    const region = status.regions.find((entry) => entry.region === name);
    if (region === undefined) problems.push(`region ${name} is not part of rollout ${status.rolloutId}`);
    else if (region.state === "Succeeded")
      problems.push(`region ${name} already succeeded in rollout ${status.rolloutId}`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, regions: [...new Set(requested)] };
}
