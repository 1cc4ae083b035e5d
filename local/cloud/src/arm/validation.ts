/**
 * What the simulated ARM accepts, and the rules AKS applies before it starts anything: the
 * request bodies of resource groups, managed clusters and agent pools, names, Kubernetes versions
 * and the agent pool list a cluster must have. Every refusal is the ARM error Azure answers with.
 */
import { z } from "zod";
import { defaultKubernetesVersion, findVmSize, kubernetesVersions } from "./catalog.js";
import { ArmError } from "./errors.js";

/** An agent pool as the cluster resource lists it in `properties.agentPoolProfiles`. */
export type PoolProfile = Record<string, unknown> & { name: string; count: number; vmSize: string; mode: string };

const tagsSchema = z.record(z.string(), z.string()).optional();

const poolPropertiesSchema = z.looseObject({
  count: z.number().int().min(0).max(1000).optional(),
  vmSize: z.string().min(1).optional(),
  mode: z.enum(["System", "User", "Gateway"]).optional(),
  osType: z.string().optional(),
  orchestratorVersion: z.string().optional(),
});

/** An agent pool as a request names it (in a cluster body, or an agent pool body plus its URL name). */
export type PoolRequest = z.infer<typeof poolPropertiesSchema> & { name: string };

export const clusterBodySchema = z.looseObject({
  location: z.string().min(1),
  tags: tagsSchema,
  properties: z
    .looseObject({
      kubernetesVersion: z.string().optional(),
      dnsPrefix: z.string().optional(),
      agentPoolProfiles: z.array(poolPropertiesSchema.extend({ name: z.string() })).optional(),
    })
    .optional(),
});
export type ClusterBody = z.infer<typeof clusterBodySchema>;

export const agentPoolBodySchema = z.looseObject({ properties: poolPropertiesSchema.optional() });

export const resourceGroupBodySchema = z.looseObject({ location: z.string().min(1), tags: tagsSchema });

const poolNamePattern = /^[a-z][a-z0-9]{0,11}$/;
const clusterNamePattern = /^[a-zA-Z0-9](?:[a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?$/;

/** Parses a request body, answering ARM's 400 `InvalidRequestContent` with the first issue. */
export function parseBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const where = first === undefined ? "body" : first.path.join(".") || "body";
  throw new ArmError(
    400,
    "InvalidRequestContent",
    `The request content was invalid: '${where}': ${first?.message ?? "invalid"}.`,
  );
}

export function requireClusterName(name: string): void {
  if (!clusterNamePattern.test(name)) {
    throw new ArmError(
      400,
      "InvalidParameter",
      `The value of parameter resourceName is invalid: '${name}'. It must be 1 to 63 letters, digits, '-' or '_', starting and ending with a letter or digit.`,
    );
  }
}

/** The supported version a request names (a minor picks its patch), or the default when it names none. */
export function resolveVersion(requested: string | undefined): string {
  if (requested === undefined) return defaultKubernetesVersion;
  const match = kubernetesVersions.find((version) => version === requested || version.startsWith(`${requested}.`));
  if (match === undefined) {
    throw new ArmError(
      400,
      "K8sVersionNotSupported",
      `Version ${requested} is not supported in this region. Supported versions: ${kubernetesVersions.join(", ")}.`,
    );
  }
  return match;
}

export function requireSystemPool(pools: readonly PoolProfile[]): void {
  if (!pools.some((pool) => pool.mode === "System")) {
    throw new ArmError(400, "MustDefineAtLeastOneSystemPool", "Must define at least one system pool.");
  }
}

/**
 * The pools a request asks for, completed from the current ones (`current`) and AKS's defaults;
 * refuses bad names, duplicates, unknown or changed VM sizes and empty system pools.
 */
export function validatePools(
  profiles: readonly PoolRequest[],
  region: string,
  version: string,
  current: readonly PoolProfile[] = [],
): PoolProfile[] {
  const names = new Set<string>();
  return profiles.map((profile) => {
    if (!poolNamePattern.test(profile.name)) {
      throw new ArmError(
        400,
        "InvalidParameter",
        `The value of parameter agentPoolProfile.name is invalid: '${profile.name}'. It must start with a lowercase letter and hold only lowercase letters and digits, 1 to 12 characters.`,
      );
    }
    if (names.has(profile.name))
      throw new ArmError(400, "InvalidParameter", `Agent pool names must be unique; '${profile.name}' appears twice.`);
    names.add(profile.name);
    const before = current.find((pool) => pool.name === profile.name);
    const vmSize = profile.vmSize ?? before?.vmSize ?? "Standard_D2s_v5";
    if (findVmSize(vmSize) === undefined) {
      throw new ArmError(
        400,
        "InvalidParameter",
        `The VM size of ${vmSize} is not allowed in your subscription in location '${region}'.`,
      );
    }
    if (before !== undefined && before.vmSize.toLowerCase() !== vmSize.toLowerCase()) {
      throw new ArmError(
        400,
        "PropertyChangeNotAllowed",
        `Changing property 'vmSize' of agent pool '${profile.name}' is not allowed.`,
      );
    }
    const mode = profile.mode ?? before?.mode ?? "User";
    const count = profile.count ?? before?.count ?? 1;
    if (mode === "System" && count < 1) {
      throw new ArmError(
        400,
        "InvalidParameter",
        `The value of parameter agentPoolProfile.count is invalid: system pool '${profile.name}' needs at least 1 node.`,
      );
    }
    return {
      ...(before ?? {}),
      ...profile,
      name: profile.name,
      count,
      vmSize,
      mode,
      type: "VirtualMachineScaleSets",
      osType: profile.osType ?? "Linux",
      orchestratorVersion: profile.orchestratorVersion ?? version,
      currentOrchestratorVersion: version,
      provisioningState: "Succeeded",
      powerState: { code: "Running" },
    };
  });
}
