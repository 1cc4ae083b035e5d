/**
 * Compute quota of the simulated subscription: vCPUs in use per region and per VM family (what
 * `Microsoft.Compute/locations/{location}/usages` lists), the limits (defaults or the scenario's
 * faults), and the check AKS makes before it adds nodes. Nodes count as soon as a cluster or pool
 * asks for them, as in Azure.
 */
import type { FaultInjector } from "../faults.js";
import {
  defaultFamilyCoreLimit,
  defaultRegionalCoreLimit,
  findVmSize,
  normalizeRegion,
  vmFamilies,
} from "./catalog.js";
import { ArmError } from "./errors.js";

/** Nodes of one pool, as far as quota is concerned. */
export interface PoolSize {
  vmSize: string;
  count: number;
  upgradeSettings?: unknown;
}

/** The pools of one cluster, keyed as the cloud keys clusters. */
export interface Deployment {
  key: string;
  region: string;
  pools: readonly PoolSize[];
}

type QuotaFaults = Pick<FaultInjector, "regionQuota">;

interface RegionUsage {
  total: number;
  families: Map<string, number>;
}

/** `Microsoft.Compute/locations/{location}/usages` as ARM lists it. */
export function usageList(
  location: string,
  deployments: readonly Deployment[],
  faults: QuotaFaults,
): { value: Record<string, unknown>[] } {
  const region = normalizeRegion(location);
  if (region === undefined) {
    throw new ArmError(
      404,
      "NoRegisteredProviderFound",
      `No registered resource provider found for location '${location}' and API version for type 'locations/usages'.`,
    );
  }
  const usage = regionUsage(deployments, region);
  const limits = limitsOf(faults, region);
  const entry = (
    value: string,
    localizedValue: string,
    currentValue: number,
    limit: number,
  ): Record<string, unknown> => ({
    name: { value, localizedValue },
    currentValue,
    limit,
    unit: "Count",
  });
  return {
    value: [
      entry("cores", "Total Regional vCPUs", usage.total, limits.cores),
      ...vmFamilies.map((family) =>
        entry(
          family,
          `${family.replace(/^standard/, "Standard ").replace(/Family$/, " Family")} vCPUs`,
          usage.families.get(family) ?? 0,
          limits.family(family),
        ),
      ),
    ],
  };
}

/**
 * Pools as they need quota during an upgrade: AKS replaces nodes through surge nodes
 * (`upgradeSettings.maxSurge`, a count or a percentage, 10 % by default, at least one).
 */
export function withSurgeNodes<Pool extends PoolSize>(pools: readonly Pool[]): Pool[] {
  return pools.map((pool) => ({ ...pool, count: pool.count + surgeNodes(pool) }));
}

function surgeNodes(pool: PoolSize): number {
  const settings = pool.upgradeSettings;
  const maxSurge =
    typeof settings === "object" && settings !== null && "maxSurge" in settings ? String(settings.maxSurge) : "10%";
  const percent = /^(\d+)%$/.exec(maxSurge);
  const surge = percent === null ? Number(maxSurge) : Math.ceil((pool.count * Number(percent[1])) / 100);
  return Number.isFinite(surge) ? Math.max(1, surge) : 1;
}

function limitsOf(faults: QuotaFaults, region: string): { cores: number; family: (family: string) => number } {
  const configured = faults.regionQuota(region);
  return {
    cores: configured?.cores ?? defaultRegionalCoreLimit,
    family: (family) => {
      const families = configured?.families ?? {};
      const match = Object.keys(families).find((key) => key.toLowerCase() === family.toLowerCase());
      return match === undefined ? defaultFamilyCoreLimit : (families[match] ?? defaultFamilyCoreLimit);
    },
  };
}

/** vCPUs in use in a region, optionally leaving one cluster out (the one being changed). */
function regionUsage(deployments: readonly Deployment[], region: string, excludeKey?: string): RegionUsage {
  const families = new Map<string, number>();
  let total = 0;
  for (const deployment of deployments) {
    if (deployment.region !== region || deployment.key === excludeKey) continue;
    for (const pool of deployment.pools) {
      const size = findVmSize(pool.vmSize);
      if (size === undefined) continue;
      const cores = size.vCpus * pool.count;
      total += cores;
      families.set(size.family, (families.get(size.family) ?? 0) + cores);
    }
  }
  return { total, families };
}

/** Fails as AKS does when cluster `key` with these pools would exceed the region's quota. */
export function checkQuota(
  region: string,
  key: string,
  pools: readonly PoolSize[],
  deployments: readonly Deployment[],
  faults: QuotaFaults,
): void {
  const others = regionUsage(deployments, region, key);
  const current = regionUsage(deployments, region);
  const limits = limitsOf(faults, region);
  const wanted = new Map<string, number>();
  for (const pool of pools) {
    const size = findVmSize(pool.vmSize);
    if (size !== undefined) wanted.set(size.family, (wanted.get(size.family) ?? 0) + size.vCpus * pool.count);
  }
  const wantedTotal = [...wanted.values()].reduce((sum, cores) => sum + cores, 0);
  const newTotal = others.total + wantedTotal;
  const additional = newTotal - current.total;
  if (additional > 0 && newTotal > limits.cores) {
    throw new ArmError(
      400,
      "QuotaExceeded",
      `Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Additional details - Deployment Model: Resource Manager, Location: ${region}, Current Limit: ${limits.cores}, Current Usage: ${current.total}, Additional Required: ${additional}, (Minimum) New Limit Required: ${newTotal}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView by specifying parameters listed in the 'Details' section for deployment to succeed.`,
    );
  }
  for (const [family, cores] of wanted) {
    const used = current.families.get(family) ?? 0;
    const requested = (others.families.get(family) ?? 0) + cores - used;
    const limit = limits.family(family);
    if (requested > 0 && used + requested > limit) {
      const display =
        findVmSize(pools.find((pool) => findVmSize(pool.vmSize)?.family === family)?.vmSize ?? "")?.familyDisplay ??
        family;
      throw new ArmError(
        400,
        "ErrCode_InsufficientVCPUQuota",
        `Insufficient vcpu quota requested ${requested}, remaining ${Math.max(0, limit - used)} for family ${display} for region ${region}. Surge nodes would also consume vcpu quota.`,
      );
    }
  }
}
