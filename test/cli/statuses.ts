/**
 * Rollout statuses for the CLI tests, built with the domain's own transitions so that they are
 * exactly what the orchestrator would report (and valid against rolloutStatusSchema).
 */
import {
  createRolloutStatus,
  enterPhase,
  failRegion,
  recordRetries,
  finishRollout,
  recordVerification,
  rolloutStatusSchema,
  startRegionPhase,
  succeedRegion,
  type RolloutStatus,
  type Verification,
} from "../../lib/domain/rollout-status.js";

export const T0 = "2026-11-29T10:00:00.000Z";
export const T1 = "2026-11-29T10:01:00.000Z";
export const T2 = "2026-11-29T10:02:30.000Z";
export const T3 = "2026-11-29T10:04:05.000Z";
/** A "now" for the pure renderers: 5 minutes after T0. */
export const NOW = Date.parse("2026-11-29T10:05:00.000Z");

export const ROLLOUT_ID = "rollout-chain138-7";
export const REGIONS = ["japaneast", "swedencentral", "northeurope", "uksouth"] as const;

/** A cause long enough to be cut in the live view. */
export const LONG_CAUSE =
  "QuotaExceeded: operation could not be completed as it results in exceeding approved standardDSv5Family cores quota in swedencentral; requested 6, limit 4";

function check(status: RolloutStatus): RolloutStatus {
  return rolloutStatusSchema.parse(JSON.parse(JSON.stringify(status)));
}

function succeeded(status: RolloutStatus, region: string): RolloutStatus {
  let next = startRegionPhase(status, region, "preflight", T0);
  next = startRegionPhase(next, region, "provisioning", T0);
  next = startRegionPhase(next, region, "deploying", T1);
  next = startRegionPhase(next, region, "verifying", T2);
  return succeedRegion(next, region, T3);
}

/** Running in provisioning: japaneast succeeded, swedencentral failed (quota), northeurope provisioning, uksouth pending. */
export function mixedStatus(): RolloutStatus {
  let status = createRolloutStatus({ rolloutId: ROLLOUT_ID, network: "chain138", regions: [...REGIONS], at: T0 });
  status = enterPhase(status, "provisioning", T0);
  status = succeeded(status, "japaneast");
  status = startRegionPhase(status, "swedencentral", "preflight", T0);
  status = startRegionPhase(status, "swedencentral", "provisioning", T0);
  status = failRegion(status, "swedencentral", { step: "aks-cluster", cause: LONG_CAUSE, kind: "permanent" }, T1);
  status = startRegionPhase(status, "northeurope", "preflight", T0);
  status = startRegionPhase(status, "northeurope", "provisioning", T1);
  const throttled = {
    activity: "getClusterState",
    cause: "TooManyRequests: throttled",
    nextAttempt: 3,
    waitSeconds: 8,
    at: T1,
  };
  status = recordRetries(status, "northeurope", { count: 2, waitedSeconds: 13, last: throttled }, T1);
  return check(status);
}

function verification(failingRegion?: string): Verification {
  const regions = REGIONS.filter((region) => region !== "swedencentral").map((region) => ({
    region,
    checks: [
      { check: "genesis-hash", ok: true, detail: "0xabc on 2 nodes" },
      region === failingRegion
        ? { check: "validator-peering", ok: false, detail: "validator-0 peers with 2 of 3 validators; quorum needs 3" }
        : { check: "validator-peering", ok: true, detail: "peers with 3 of 3 validators" },
    ],
  }));
  return {
    verifiedAt: T3,
    ok: failingRegion === undefined,
    network: [{ check: "heads-advancing", ok: true, detail: "heads 41..43 within 2 blocks" }],
    regions,
  };
}

/** Every region succeeded and verification passed. */
export function succeededStatus(): RolloutStatus {
  let status = createRolloutStatus({ rolloutId: ROLLOUT_ID, network: "chain138", regions: [...REGIONS], at: T0 });
  status = enterPhase(status, "provisioning", T0);
  for (const region of REGIONS) status = succeeded(status, region);
  status = enterPhase(status, "verifying", T2);
  status = recordVerification(status, verification(), T3);
  return check(finishRollout(status, T3));
}

/** swedencentral failed at aks-cluster, the rest succeeded; one regional check failed. */
export function partiallySucceededStatus(): RolloutStatus {
  let status = mixedStatus();
  status = startRegionPhase(status, "northeurope", "deploying", T1);
  status = succeedRegion(status, "northeurope", T2);
  status = succeeded(status, "uksouth");
  status = enterPhase(status, "verifying", T2);
  status = recordVerification(status, verification("uksouth"), T3);
  return check(finishRollout(status, T3));
}

/** Too few validators for a genesis: the rollout failed as a whole. */
export function failedStatus(): RolloutStatus {
  let status = mixedStatus();
  status = enterPhase(status, "genesis", T2);
  return check(
    finishRollout(status, T3, {
      phase: "genesis",
      reason: "2 validators made it, fewer than rollout.minValidators (4)",
    }),
  );
}
