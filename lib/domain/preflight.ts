/**
 * Preflight decision for one region: is the region one we deploy to, are the planned VM sizes
 * offered there, and does the vCPU quota cover the planned node pools? Pure: the activity reads
 * the usages and offered sizes from ARM and passes them in.
 */
import { z } from "zod";
import type { FamilyVcpus, RegionPlan } from "./plan.js";
import { isDeploymentRegion } from "./regions.js";
import { TOTAL_REGIONAL_VCPUS_QUOTA } from "./vm-sizes.js";

/** One entry of `GET .../providers/Microsoft.Compute/locations/{location}/usages`. */
export const computeUsageSchema = z.object({
  name: z.object({ value: z.string(), localizedValue: z.string().optional() }),
  currentValue: z.number(),
  limit: z.number(),
  unit: z.string().optional(),
});
export type ComputeUsage = z.infer<typeof computeUsageSchema>;

/** The ARM usages list body. */
export const computeUsagesSchema = z.object({ value: z.array(computeUsageSchema) });
export type ComputeUsages = z.infer<typeof computeUsagesSchema>;

/** What the preflight decides from. */
export interface PreflightInput {
  plan: RegionPlan;
  /** The region's Compute usages (`value` of the ARM usages body). */
  usages: readonly ComputeUsage[];
  /** VM size names offered to the subscription in the region. */
  offeredVmSizes: readonly string[];
  /**
   * vCPUs per family that this network's clusters in the region already use (a re-run or a
   * retry). They are already in `currentValue`, so they are not required a second time.
   */
  alreadyProvisioned?: readonly FamilyVcpus[];
}

/** The quota arithmetic for one quota entry (a family or the regional total `cores`). */
export interface QuotaCheck {
  quota: string;
  limit: number;
  usage: number;
  /** vCPUs the plan still needs from this quota. */
  required: number;
  available: number;
}

export type PreflightFailureCode = "RegionNotDeployable" | "VmSizeNotOffered" | "QuotaNotReported" | "QuotaExceeded";

/** A region that passed, with the numbers it passed on (for the report). */
export interface PreflightPassed {
  ok: true;
  region: string;
  quota: QuotaCheck[];
}

/** A region that cannot be deployed; permanent, so it is not retried until something changes. */
export interface PreflightFailed {
  ok: false;
  kind: "permanent";
  region: string;
  code: PreflightFailureCode;
  /** One sentence per problem, naming region, quota, limit, usage and required vCPUs. */
  reason: string;
  /** The quota entries that fall short (QuotaExceeded only). */
  shortfalls: QuotaCheck[];
}

export type PreflightDecision = PreflightPassed | PreflightFailed;

function fail(
  region: string,
  code: PreflightFailureCode,
  reason: string,
  shortfalls: QuotaCheck[] = [],
): PreflightFailed {
  return { ok: false, kind: "permanent", region, code, reason, shortfalls };
}

function findUsage(usages: readonly ComputeUsage[], quota: string): ComputeUsage | undefined {
  // ARM and AKS spell family names with different case (standardDSv5Family, StandardDSv5Family).
  const wanted = quota.toLowerCase();
  return usages.find((usage) => usage.name.value.toLowerCase() === wanted);
}

function alreadyUsed(alreadyProvisioned: readonly FamilyVcpus[], family: string | undefined): number {
  const entries =
    family === undefined
      ? alreadyProvisioned
      : alreadyProvisioned.filter((entry) => entry.family.toLowerCase() === family.toLowerCase());
  return entries.reduce((sum, entry) => sum + entry.vcpus, 0);
}

function describeShortfall(region: string, check: QuotaCheck): string {
  const what = check.quota === TOTAL_REGIONAL_VCPUS_QUOTA ? "Total Regional vCPUs (cores)" : `family ${check.quota}`;
  return `${region}: ${what} has limit ${check.limit} with ${check.usage} in use (${Math.max(0, check.available)} free) but the plan needs ${check.required} more vCPUs (minimum new limit ${check.usage + check.required})`;
}

/**
 * Decides whether a region can be deployed. Every shortfall is listed, not just the first, so
 * the operator can raise all the quotas at once.
 */
export function decidePreflight(input: PreflightInput): PreflightDecision {
  const { plan, usages, offeredVmSizes } = input;
  const region = plan.region;
  if (!isDeploymentRegion(region)) {
    return fail(
      region,
      "RegionNotDeployable",
      `${region} is not one of the deployment regions; validators and sentries cannot be placed there`,
    );
  }
  const offered = new Set(offeredVmSizes.map((name) => name.toLowerCase()));
  const missingSizes = plan.vmSizes.filter((name) => !offered.has(name.toLowerCase()));
  if (missingSizes.length > 0) {
    return fail(
      region,
      "VmSizeNotOffered",
      `${region} does not offer VM size${missingSizes.length > 1 ? "s" : ""} ${missingSizes.join(", ")} to this subscription`,
    );
  }

  const alreadyProvisioned = input.alreadyProvisioned ?? [];
  const wanted = [
    ...plan.vcpusByFamily.map((entry) => ({
      quota: entry.family,
      planned: entry.vcpus,
      existing: alreadyUsed(alreadyProvisioned, entry.family),
    })),
    {
      quota: TOTAL_REGIONAL_VCPUS_QUOTA,
      planned: plan.totalVcpus,
      existing: alreadyUsed(alreadyProvisioned, undefined),
    },
  ];
  const unreported = wanted.filter((entry) => findUsage(usages, entry.quota) === undefined).map((entry) => entry.quota);
  if (unreported.length > 0) {
    return fail(
      region,
      "QuotaNotReported",
      `${region} reports no quota for ${unreported.join(", ")}; the plan's vCPUs cannot be confirmed`,
    );
  }

  const checks = wanted.map((entry): QuotaCheck => {
    const usage = findUsage(usages, entry.quota);
    const limit = usage?.limit ?? 0;
    const current = usage?.currentValue ?? 0;
    return {
      quota: entry.quota,
      limit,
      usage: current,
      required: Math.max(0, entry.planned - entry.existing),
      available: limit - current,
    };
  });
  const shortfalls = checks.filter((check) => check.required > check.available);
  if (shortfalls.length > 0) {
    return fail(
      region,
      "QuotaExceeded",
      shortfalls.map((check) => describeShortfall(region, check)).join("; "),
      shortfalls,
    );
  }
  return { ok: true, region, quota: checks };
}
