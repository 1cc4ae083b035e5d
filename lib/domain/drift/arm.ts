/**
 * Drift of one AKS cluster as ARM reports it (pure): the cluster exists and is Succeeded, runs
 * the planned Kubernetes version, and has the planned node pools with their count and VM size.
 * A deleted cluster is one finding; its Kubernetes objects and nodes are not reported again.
 */
import type { ClusterPlan } from "../plan.js";
import type { ObservedDrift } from "./report.js";

/** What ARM says about a cluster. */
export interface ObservedCluster {
  exists: boolean;
  provisioningState?: string;
  kubernetesVersion?: string;
  pools: { name: string; count?: number; vmSize?: string }[];
}

/** The Kubernetes version ARM reports matches the planned one ("1.32" is met by "1.32" and "1.32.4"). */
const versionMatches = (planned: string, actual: string | undefined): boolean =>
  actual !== undefined && (actual === planned || actual.startsWith(`${planned}.`));

export function armDrift(region: string, plan: ClusterPlan, observed: ObservedCluster): ObservedDrift[] {
  const finding = (field: string, desired: string, actual: string, severity: ObservedDrift["severity"]) => ({
    kind: "arm" as const,
    region,
    resource: plan.name,
    field,
    desired,
    actual,
    severity,
  });
  if (!observed.exists) return [finding("(cluster)", "exists", "deleted", "critical")];
  const drift: ObservedDrift[] = [];
  const state = observed.provisioningState ?? "unknown";
  if (state.toLowerCase() !== "succeeded") drift.push(finding("provisioningState", "Succeeded", state, "critical"));
  if (!versionMatches(plan.kubernetesVersion, observed.kubernetesVersion))
    drift.push(
      finding("kubernetesVersion", plan.kubernetesVersion, observed.kubernetesVersion ?? "unknown", "warning"),
    );
  for (const pool of plan.nodePools) {
    const actual = observed.pools.find((candidate) => candidate.name === pool.name);
    if (actual === undefined) {
      drift.push(finding(`nodePools[${pool.name}]`, "exists", "deleted", "critical"));
      continue;
    }
    if (actual.count !== pool.count)
      drift.push(finding(`nodePools[${pool.name}].count`, String(pool.count), String(actual.count ?? "?"), "warning"));
    if (actual.vmSize?.toLowerCase() !== pool.vmSize.toLowerCase())
      drift.push(finding(`nodePools[${pool.name}].vmSize`, pool.vmSize, actual.vmSize ?? "?", "warning"));
  }
  for (const extra of observed.pools.filter((pool) => !plan.nodePools.some((planned) => planned.name === pool.name)))
    drift.push(finding(`nodePools[${extra.name}]`, "absent", "exists", "info"));
  return drift;
}
