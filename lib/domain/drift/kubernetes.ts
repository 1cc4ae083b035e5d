/**
 * Drift of one Kubernetes object (pure), decided from what the API server answers to a
 * server-side apply of the object's manifest with `dryRun=All` and without `force`: that answer is
 * the API server's own merge of what we would apply now into what is stored, so this module never
 * diffs whole objects itself.
 *
 * - The object is gone: one finding, `(object)`.
 * - The apply conflicts: another manager (`kubectl-edit`, `kubectl-replace`…) now owns fields we
 *   set, with other values; one finding per field the API server names.
 * - The apply would change the object: one of our fields lost its value without another owner
 *   (removed by hand, or a field we now set differently). Only the fields of our manifest are
 *   looked at, each compared between the stored object and the dry-run answer.
 */
import type { KubernetesManifest } from "../manifests.js";
import type { ObservedDrift } from "./report.js";

/** What the dry-run apply answered. */
export type DryRunAnswer =
  { kind: "conflicts"; conflicts: { manager: string; field: string }[] } | { kind: "applied"; object: unknown };

/** `Kind/name`, as findings and ignore rules name Kubernetes objects. */
export const objectResource = (manifest: KubernetesManifest): string => `${manifest.kind}/${manifest.metadata.name}`;

/**
 * The conflicts of an apply refused with 409, from the API server's message: Kubernetes writes
 * `conflict with "kubectl-edit" using v1: .data.key` per field (the simulator leaves out `using`).
 */
export function parseApplyConflicts(message: string): { manager: string; field: string }[] {
  return [...message.matchAll(/conflict with "([^"]+)"(?: using [^:\n]+)?: ([^\n]+)/g)].map((match) => ({
    manager: match[1] as string,
    field: (match[2] as string).trim(),
  }));
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The value at a `.a.b`-style path of map keys, where a key may itself contain dots
 * (`.data.genesis.json`): at each level the longest key that fits is taken. Undefined through lists.
 */
export function valueAtFieldPath(object: unknown, path: string): unknown {
  if (path === "") return object;
  if (!isRecord(object) || !path.startsWith(".")) return undefined;
  const rest = path.slice(1);
  const keys = Object.keys(object)
    .filter((key) => rest === key || rest.startsWith(`${key}.`) || rest.startsWith(`${key}[`))
    .sort((left, right) => right.length - left.length);
  for (const key of keys) {
    const found = valueAtFieldPath(object[key], rest.slice(key.length));
    if (found !== undefined) return found;
  }
  return undefined;
}

const MAX_VALUE_LENGTH = 120;

/** A value as a report shows it: JSON, long ones cut with their length. */
export function renderValue(value: unknown): string {
  if (value === undefined) return "(absent)";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length <= MAX_VALUE_LENGTH ? text : `${text.slice(0, MAX_VALUE_LENGTH)}… (${text.length} chars)`;
}

/** Leaf paths of a manifest's maps (a list counts as one leaf); `metadata.name`/`namespace` address it, they cannot drift. */
function leafPaths(value: unknown, prefix = ""): string[] {
  if (!isRecord(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) =>
    prefix === ".metadata" && (key === "name" || key === "namespace") ? [] : leafPaths(child, `${prefix}.${key}`),
  );
}

/** Workloads that run Besu: losing one stops a node. */
const CRITICAL_KINDS = new Set(["StatefulSet", "Namespace"]);

export function kubernetesDrift(
  region: string,
  manifest: KubernetesManifest,
  stored: unknown,
  answer: DryRunAnswer | undefined,
): ObservedDrift[] {
  const resource = objectResource(manifest);
  const finding = (field: string, desired: string, actual: string): ObservedDrift => ({
    kind: "kubernetes",
    region,
    resource,
    field,
    desired,
    actual,
    severity: CRITICAL_KINDS.has(manifest.kind) ? "critical" : "warning",
  });
  if (stored === undefined || answer === undefined) return [finding("(object)", "exists", "deleted")];
  if (answer.kind === "conflicts")
    return answer.conflicts.map(({ manager, field }) =>
      finding(
        field,
        renderValue(valueAtFieldPath(manifest, field)),
        `${renderValue(valueAtFieldPath(stored, field))} (set by ${manager})`,
      ),
    );
  return leafPaths(manifest)
    .filter((path) => path !== ".apiVersion" && path !== ".kind")
    .filter(
      (path) =>
        JSON.stringify(valueAtFieldPath(stored, path)) !== JSON.stringify(valueAtFieldPath(answer.object, path)),
    )
    .map((path) =>
      finding(path, renderValue(valueAtFieldPath(answer.object, path)), renderValue(valueAtFieldPath(stored, path))),
    );
}
