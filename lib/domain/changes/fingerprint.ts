/**
 * What a node's StatefulSet was applied with, reduced to what decides whether its pod must
 * restart and why: the Besu image, the command line, the resources, and a digest of the rest of
 * the pod template (probes, volumes, security context, labels: "config"). The network record
 * keeps the fingerprint each node runs with; the change plan compares it with the one the new
 * spec would apply. Public data only: flags and image names, never a key.
 */
import { keccak_256, toHex } from "@besu-fleet/qbft";
import type { V1StatefulSet } from "@kubernetes/client-node" with { "resolution-mode": "import" };
import { z } from "zod";
import { nodeRoleSchema } from "../plan.js";

export const nodeFingerprintSchema = z.object({
  image: z.string(),
  flags: z.array(z.string()),
  resources: z.object({ cpu: z.string(), memory: z.string() }),
  /** keccak-256 (first 16 bytes, hex) of the pod template without the three fields above. */
  config: z.string(),
});
export type NodeFingerprint = z.infer<typeof nodeFingerprintSchema>;

/** Why a node restarts: one per part of its fingerprint that changed, or no fingerprint on record. */
export const changeReasonSchema = z.enum(["image", "flags", "resources", "config", "unrecorded"]);
export type ChangeReason = z.infer<typeof changeReasonSchema>;

/** A node as the network record remembers it: where it runs and what it was applied with. */
export const appliedNodeSchema = z.object({
  nodeId: z.string().min(1),
  region: z.string().min(1),
  role: nodeRoleSchema,
  /** Ordinal of the node within its role in the region, and of the cluster that runs it. */
  ordinal: z.int().min(1),
  clusterOrdinal: z.int().min(1),
  fingerprint: nodeFingerprintSchema,
});
export type AppliedNode = z.infer<typeof appliedNodeSchema>;

/** JSON with object keys sorted, so that equal templates always digest alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The fingerprint of a node's StatefulSet as the manifests build it (its first container is Besu). */
export function fingerprintOf(statefulSet: V1StatefulSet): NodeFingerprint {
  const template = statefulSet.spec?.template;
  const [besu, ...sidecars] = template?.spec?.containers ?? [];
  if (template === undefined || besu === undefined)
    throw new Error("a Besu StatefulSet has a pod template with a container");
  const { image, args, resources, ...restOfContainer } = besu;
  const rest = { ...template, spec: { ...template.spec, containers: [restOfContainer, ...sidecars] } };
  return {
    image: image ?? "",
    flags: args ?? [],
    resources: { cpu: String(resources?.requests?.cpu ?? ""), memory: String(resources?.requests?.memory ?? "") },
    config: toHex(keccak_256(new TextEncoder().encode(canonicalJson(rest))).slice(0, 16)),
  };
}

/** What changed between the fingerprint on record and the one to apply (empty: nothing). */
export function changeReasons(recorded: NodeFingerprint | undefined, desired: NodeFingerprint): ChangeReason[] {
  if (recorded === undefined) return ["unrecorded"];
  const reasons: ChangeReason[] = [];
  if (recorded.image !== desired.image) reasons.push("image");
  if (canonicalJson(recorded.flags) !== canonicalJson(desired.flags)) reasons.push("flags");
  if (canonicalJson(recorded.resources) !== canonicalJson(desired.resources)) reasons.push("resources");
  if (recorded.config !== desired.config) reasons.push("config");
  return reasons;
}
