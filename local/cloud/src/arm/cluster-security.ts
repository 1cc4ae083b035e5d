/**
 * The rules AKS applies to a managed cluster's security settings before it starts anything: Entra
 * ID integration and local accounts, the network policy engine against the network plugin and
 * dataplane, workload identity against the OIDC issuer, and the API server's authorized IP
 * ranges. Each refusal is the 400 AKS answers (code, and `target`/`subcode` where AKS gives them);
 * docs/simulator.md lists which messages are AKS's own words and which are this simulator's.
 */
import { isIPv4 } from "node:net";
import { isRecord } from "../http.js";
import { ArmError } from "./errors.js";

/** AKS refuses more authorized ranges than this. */
const MAX_AUTHORIZED_RANGES = 200;

/** AKS's 400 for a setting it refuses. */
function refused(code: string, message: string, detail: { target?: string; subcode?: string } = {}): ArmError {
  return new ArmError(400, code, message, {}, detail);
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function requireEntraRules(properties: Record<string, unknown>): void {
  const aad = record(properties.aadProfile);
  const managed = aad.managed === true;
  if (properties.disableLocalAccounts === true && !managed) {
    throw refused(
      "BadRequest",
      "Since kubernetes version 1.25, disableLocalAccounts can only be set on Azure AD integration enabled cluster. Please integrate your cluster with AAD.",
      { target: "disableLocalAccounts" },
    );
  }
  if (aad.enableAzureRBAC === true && !managed) {
    throw refused(
      "BadRequest",
      "Azure RBAC for Kubernetes authorization (aadProfile.enableAzureRBAC) requires AKS-managed Azure AD integration (aadProfile.managed).",
      { target: "aadProfile.enableAzureRBAC" },
    );
  }
  if (managed && properties.enableRBAC === false) {
    throw refused("BadRequest", "Azure AD can only be enabled on Kubernetes RBAC-enabled cluster.", {
      target: "aadProfile",
    });
  }
}

function requireNetworkPolicyRules(properties: Record<string, unknown>): void {
  const network = record(properties.networkProfile);
  // AKS's default plugin is Azure CNI (the simulator's default network profile says the same).
  const plugin = typeof network.networkPlugin === "string" ? network.networkPlugin : "azure";
  const policy = network.networkPolicy;
  const dataplane = network.networkDataplane;
  if (policy === "azure" && plugin !== "azure") {
    throw refused(
      "NetworkPolicyAzureNotSupportedForKubenet",
      `NetworkPolicy azure is not supported for network plugin ${plugin}`,
      { target: "networkProfile.networkPolicy" },
    );
  }
  if (policy === "cilium" && dataplane !== "cilium") {
    throw refused("NetworkPolicyNotSupported", "Network Policy cilium requires NetworkDataplane cilium", {
      target: "networkProfile.networkPolicy",
      subcode: "NetworkPolicyCiliumRequiresCiliumDataplane",
    });
  }
  if (dataplane === "cilium" && policy !== "cilium") {
    throw refused("BadRequest", "Cilium dataplane requires network policy cilium.", {
      target: "networkProfile.networkPolicy",
      subcode: "CiliumDataplaneRequiresNetworkPolicyCilium",
    });
  }
}

function requireWorkloadIdentityRules(properties: Record<string, unknown>): void {
  const workloadIdentity = record(record(properties.securityProfile).workloadIdentity);
  if (workloadIdentity.enabled === true && record(properties.oidcIssuerProfile).enabled !== true) {
    throw refused(
      "BadRequest",
      "Enabling workload identity requires enabling the OIDC issuer (oidcIssuerProfile.enabled).",
      { target: "securityProfile.workloadIdentity" },
    );
  }
}

/** One range as AKS stores it (`a.b.c.d/n`), or why AKS refuses it. */
function storedRange(entry: unknown): string {
  const text = typeof entry === "string" ? entry.trim() : "";
  const [address = "", prefixText, ...rest] = text.split("/");
  const prefix = prefixText === undefined ? 32 : /^\d{1,2}$/.test(prefixText) ? Number(prefixText) : -1;
  const invalid = (why: string): ArmError =>
    refused(
      "InvalidParameter",
      `The value of parameter apiServerAccessProfile.authorizedIPRanges is invalid: '${String(entry)}' ${why}.`,
      { target: "apiServerAccessProfile.authorizedIPRanges" },
    );
  if (!isIPv4(address) || rest.length > 0 || prefix < 0 || prefix > 32) throw invalid("is not an IPv4 address or CIDR");
  const hostBits = address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0) % 2 ** (32 - prefix);
  if (hostBits !== 0) throw invalid("does not start with the first IP address of its range");
  return `${address}/${prefix}`;
}

/** The authorized ranges as AKS stores them (a plain address becomes /32), after AKS's checks. */
function authorizedRanges(properties: Record<string, unknown>): string[] | undefined {
  const ranges = record(properties.apiServerAccessProfile).authorizedIPRanges;
  if (ranges === undefined || ranges === null) return undefined;
  if (!Array.isArray(ranges)) throw refused("InvalidParameter", "authorizedIPRanges must be a list.");
  if (ranges.length > MAX_AUTHORIZED_RANGES) {
    throw refused(
      "InvalidParameter",
      `The number of APIServer Authorized IP Ranges is greater than the allowed value ${MAX_AUTHORIZED_RANGES}.`,
    );
  }
  const stored = ranges.map(storedRange);
  if (stored.includes("0.0.0.0/32") && stored.length > 1) {
    throw refused(
      "InvalidParameter",
      "Setting apiServerAuthorizedIPRange to 0.0.0.0/32 is not allowed with other IP ranges.",
    );
  }
  return stored;
}

/**
 * Checks a cluster's (merged) properties as AKS does and returns them with the authorized ranges
 * in AKS's stored form.
 */
export function checkClusterSecurity<Properties extends Record<string, unknown>>(properties: Properties): Properties {
  requireEntraRules(properties);
  requireNetworkPolicyRules(properties);
  requireWorkloadIdentityRules(properties);
  const ranges = authorizedRanges(properties);
  if (ranges === undefined) return properties;
  return {
    ...properties,
    apiServerAccessProfile: { ...record(properties.apiServerAccessProfile), authorizedIPRanges: ranges },
  };
}

/** The authorized ranges of a cluster resource's properties (none: every address may connect). */
export function authorizedRangesOf(properties: Record<string, unknown>): string[] {
  const ranges = record(properties.apiServerAccessProfile).authorizedIPRanges;
  return Array.isArray(ranges) ? ranges.filter((range): range is string => typeof range === "string") : [];
}

/** Whether the cluster hands out no static (local account) credentials. */
export function localAccountsDisabled(properties: Record<string, unknown>): boolean {
  return properties.disableLocalAccounts === true;
}
