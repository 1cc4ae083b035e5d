/**
 * The AKS managed cluster the control plane asks ARM for, as plain data: location, tags, version,
 * node pools and the security every cluster carries (docs/deploy.md, "Hardened clusters"):
 * - a network policy engine, so the NetworkPolicies around Besu's RPC are enforced: Azure CNI
 *   Powered by Cilium (overlay, Cilium dataplane and policy), the engine Microsoft develops further
 *   (Azure Network Policy Manager is the older one); without an engine AKS stores NetworkPolicies
 *   and enforces none;
 * - AKS-managed Entra ID with Azure RBAC for Kubernetes and local accounts disabled, so no static
 *   admin kubeconfig exists and every caller of the API server is an Entra identity with a role;
 * - the API server reachable only from the authorized IP ranges (the control plane's outbound
 *   addresses);
 * - the OIDC issuer and workload identity, so pods that need Azure use federated identities.
 * The adapter (lib/azure/arm.ts) sends this body as it is.
 */
import type { ClusterPlan } from "./plan.js";

/** Where the API server may be reached from: IPv4 CIDRs (a plain address is a /32, as AKS stores it). */
export interface ApiServerAccess {
  authorizedIpRanges: readonly string[];
}

/** The security fields of a managed cluster's `properties`, in the SDK's (camelCase) names. */
export interface ClusterSecurity {
  enableRbac: true;
  aadProfile: { managed: true; enableAzureRbac: true };
  disableLocalAccounts: true;
  networkProfile: {
    networkPlugin: "azure";
    networkPluginMode: "overlay";
    networkDataplane: "cilium";
    networkPolicy: "cilium";
  };
  apiServerAccessProfile: { authorizedIPRanges: string[] };
  oidcIssuerProfile: { enabled: true };
  securityProfile: { workloadIdentity: { enabled: true } };
}

/** One managed cluster's create/update body (a structural subset of the SDK's ManagedCluster). */
export interface ManagedClusterBody extends ClusterSecurity {
  location: string;
  tags: Record<string, string>;
  dnsPrefix: string;
  kubernetesVersion: string;
  identity: { type: "SystemAssigned" };
  agentPoolProfiles: { name: string; count: number; vmSize: string; mode: "System" | "User"; osType: "Linux" }[];
}

/** AKS refuses more authorized ranges than this. */
export const MAX_AUTHORIZED_IP_RANGES = 200;

/** The security every cluster gets; only the authorized ranges vary (by where the control plane runs). */
export function clusterSecurity(access: ApiServerAccess): ClusterSecurity {
  return {
    enableRbac: true,
    aadProfile: { managed: true, enableAzureRbac: true },
    disableLocalAccounts: true,
    networkProfile: {
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkDataplane: "cilium",
      networkPolicy: "cilium",
    },
    apiServerAccessProfile: { authorizedIPRanges: [...access.authorizedIpRanges] },
    oidcIssuerProfile: { enabled: true },
    securityProfile: { workloadIdentity: { enabled: true } },
  };
}

/** The AKS create/update body for one planned cluster of `network` in `region`. */
export function managedClusterBody(
  region: string,
  network: string,
  plan: ClusterPlan,
  access: ApiServerAccess,
): ManagedClusterBody {
  return {
    location: region,
    tags: { "besu-fleet-network": network },
    dnsPrefix: plan.name,
    kubernetesVersion: plan.kubernetesVersion,
    identity: { type: "SystemAssigned" },
    agentPoolProfiles: plan.nodePools.map((pool) => ({
      name: pool.name,
      count: pool.count,
      vmSize: pool.vmSize,
      mode: pool.mode,
      osType: "Linux",
    })),
    ...clusterSecurity(access),
  };
}

/** What a cluster as ARM reports it has of the security fields (all optional: an old cluster lacks them). */
export interface ObservedClusterSecurity {
  enableRbac?: boolean;
  aadProfile?: { managed?: boolean; enableAzureRbac?: boolean };
  disableLocalAccounts?: boolean;
  networkProfile?: { networkPolicy?: string; networkDataplane?: string };
  apiServerAccessProfile?: { authorizedIPRanges?: string[] };
  oidcIssuerProfile?: { enabled?: boolean };
  securityProfile?: { workloadIdentity?: { enabled?: boolean } };
}

/** Whether a cluster as ARM reports it carries every security field of {@link clusterSecurity}. */
export function isHardened(observed: ObservedClusterSecurity): boolean {
  return (
    observed.enableRbac === true &&
    observed.aadProfile?.managed === true &&
    observed.aadProfile.enableAzureRbac === true &&
    observed.disableLocalAccounts === true &&
    observed.networkProfile?.networkPolicy === "cilium" &&
    observed.networkProfile.networkDataplane === "cilium" &&
    observed.oidcIssuerProfile?.enabled === true &&
    observed.securityProfile?.workloadIdentity?.enabled === true
  );
}

/**
 * Whether an existing cluster must be updated for its security alone: only a hardened cluster
 * whose authorized ranges are not the control plane's current addresses (else the control plane
 * is locked out). A cluster created before hardening is left alone: moving it to the Cilium
 * dataplane re-images all its nodes at once, and rollouts touch regions in parallel, which would
 * take more validators down than QBFT tolerates; it is migrated region by region
 * (docs/deploy.md, "Hardened clusters").
 */
export function needsSecurityUpdate(observed: ObservedClusterSecurity, access: ApiServerAccess): boolean {
  if (!isHardened(observed)) return false;
  const ranges = [...(observed.apiServerAccessProfile?.authorizedIPRanges ?? [])].sort();
  const wanted = [...access.authorizedIpRanges].sort();
  return ranges.length !== wanted.length || ranges.some((range, index) => range !== wanted[index]);
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

/**
 * One authorized range as AKS stores it (`a.b.c.d/n`; a plain address becomes `/32`), or a
 * problem: AKS takes IPv4 only, and a range must start at its first address (10.1.2.0/24, not
 * 10.1.2.3/24).
 */
export function normalizeAuthorizedRange(text: string): { range: string } | { problem: string } {
  const match = IPV4_CIDR.exec(text.trim());
  const octets = match?.slice(1, 5).map(Number) ?? [];
  const prefix = match?.[5] === undefined ? 32 : Number(match[5]);
  if (match === null || octets.some((octet) => octet > 255) || prefix > 32)
    return { problem: `'${text}' is not an IPv4 address or CIDR range` };
  const address = octets.reduce((value, octet) => value * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) return { problem: `'${text}' does not start at the first address of its range` };
  return { range: `${octets.join(".")}/${prefix}` };
}

/** A comma-separated list of authorized ranges, normalized, or every problem in it. */
export function parseAuthorizedRanges(text: string): { ranges: string[] } | { problems: string[] } {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const problems: string[] = [];
  const ranges: string[] = [];
  for (const entry of entries) {
    const parsed = normalizeAuthorizedRange(entry);
    if ("problem" in parsed) problems.push(parsed.problem);
    else if (!ranges.includes(parsed.range)) ranges.push(parsed.range);
  }
  if (entries.length === 0) problems.push("no range given");
  if (ranges.length > MAX_AUTHORIZED_IP_RANGES)
    problems.push(`${ranges.length} ranges; AKS takes at most ${MAX_AUTHORIZED_IP_RANGES}`);
  return problems.length > 0 ? { problems } : { ranges };
}
