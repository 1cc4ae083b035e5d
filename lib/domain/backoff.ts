/**
 * The wait before a retry, shared by the adapters' per-request retries (lib/retry.ts) and the
 * orchestrator's durable retries of whole activities (orchestrators/durable.ts). Pure: the random
 * draw is passed in, so a replayed orchestration draws the same wait.
 */

export interface BackoffPolicy {
  /** The bound for the first retry. */
  baseDelayMs: number;
  /** No bound grows past this (a longer `Retry-After` still wins). */
  maxDelayMs: number;
  /** How much the bound grows per retry (2 doubles it). */
  coefficient?: number;
}

/**
 * The wait before retry number `retry` (1 for the first): drawn uniformly below the exponential
 * bound (full jitter, so that callers that failed together do not come back together), and at
 * least the `Retry-After` the service asked for. `random` is a number in [0, 1).
 */
export function backoffMs(retry: number, policy: BackoffPolicy, random: number, retryAfterMs = 0): number {
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * (policy.coefficient ?? 2) ** (retry - 1));
  return Math.max(retryAfterMs, random * bound);
}
