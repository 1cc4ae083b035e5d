/**
 * The result of one drift check of a network (pure): findings — what differs from the desired
 * state, where, since when and how bad — what could not be observed, what was ignored by the
 * spec's rules, and what healing did. The state is `Drifted` when anything differs, else `Unknown`
 * when anything could not be read (never `InSync` on a guess), else `InSync`.
 *
 * A finding is identified by kind, region, resource and field; `since` carries over from the
 * previous report of the network for the same identity, so a finding shows how long it has
 * existed. Reports hold values of public configuration only: no key, kubeconfig or token.
 */
import { z } from "zod";
import { networkHealthSchema, networkHealthSummarySchema, type NetworkHealth } from "../network-health.js";
import { driftKindSchema, type DriftIgnoreRule } from "./spec.js";

const isoTime = z.iso.datetime({ offset: true });

export const driftStateSchema = z.enum(["InSync", "Drifted", "Unknown"]);
export type DriftState = z.infer<typeof driftStateSchema>;

/** critical: the network's safety or liveness is at stake; warning: configuration differs; info: noted. */
export const driftSeveritySchema = z.enum(["critical", "warning", "info"]);
export type DriftSeverity = z.infer<typeof driftSeveritySchema>;

/** What one comparison found, before `since` is known. */
export const observedDriftSchema = z.object({
  kind: driftKindSchema,
  region: z.string(),
  /** E.g. `aks-chain138-northeurope`, `ConfigMap/besu-genesis`, `northeurope/validator-1`. */
  resource: z.string(),
  /** E.g. `provisioningState`, `nodePools[besu].count`, `.data["genesis.json"]`, `(object)`, `peering`. */
  field: z.string(),
  desired: z.string(),
  actual: z.string(),
  severity: driftSeveritySchema,
});
export type ObservedDrift = z.infer<typeof observedDriftSchema>;

export const driftFindingSchema = observedDriftSchema.extend({ since: isoTime });
export type DriftFinding = z.infer<typeof driftFindingSchema>;

/** Something the check could not observe, so it cannot say it is in sync (`desired-state`: nothing to compare with). */
export const driftUnknownSchema = z.object({
  kind: z.union([driftKindSchema, z.literal("desired-state")]),
  region: z.string(),
  resource: z.string(),
  reason: z.string(),
});
export type DriftUnknown = z.infer<typeof driftUnknownSchema>;

/** A healing step and how it went. */
export const driftActionSchema = z.object({
  region: z.string(),
  resource: z.string(),
  action: z.string(),
  ok: z.boolean(),
  detail: z.string(),
});
export type DriftAction = z.infer<typeof driftActionSchema>;

export const driftReportSchema = z.object({
  network: z.string().min(1),
  /** Unique per check: `<network>/<startedAt>`. */
  checkId: z.string().min(1),
  /** The successful rollout whose spec and network record are the desired state (absent: none found). */
  baseline: z.string().optional(),
  trigger: z.enum(["timer", "api"]),
  startedAt: isoTime,
  finishedAt: isoTime,
  state: driftStateSchema,
  findings: z.array(driftFindingSchema),
  ignored: z.array(driftFindingSchema.extend({ rule: z.string() })),
  unknown: z.array(driftUnknownSchema),
  actions: z.array(driftActionSchema),
  /** The network's health as the check's samples of the Besu nodes saw it (absent without a desired state). */
  health: networkHealthSchema.optional(),
});
export type DriftReport = z.infer<typeof driftReportSchema>;

/** One entry of a network's short index of reports (newest first). */
export const driftIndexEntrySchema = z.object({
  checkId: z.string(),
  document: z.string(),
  state: driftStateSchema,
  startedAt: isoTime,
  finishedAt: isoTime,
  findings: z.int().min(0),
  unknown: z.int().min(0),
  /** The report's health without its regions: the network over time, one point per check. */
  health: networkHealthSummarySchema.optional(),
});
export type DriftIndexEntry = z.infer<typeof driftIndexEntrySchema>;
export const driftIndexSchema = z.object({ network: z.string(), reports: z.array(driftIndexEntrySchema) });
export type DriftIndex = z.infer<typeof driftIndexSchema>;

const identity = (finding: Pick<ObservedDrift, "kind" | "region" | "resource" | "field">): string =>
  JSON.stringify([finding.kind, finding.region, finding.resource, finding.field]);

/** A `*` glob as an anchored regular expression (nothing else is special). */
function globPattern(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

/** Whether a rule matches a finding: every part it gives must match (the resource as `region/resource` too). */
export function ignoreRuleMatches(rule: DriftIgnoreRule, finding: ObservedDrift): boolean {
  if (rule.kind !== undefined && rule.kind !== finding.kind) return false;
  const pattern = globPattern(rule.resource);
  if (!pattern.test(finding.resource) && !pattern.test(`${finding.region}/${finding.resource}`)) return false;
  return rule.field === undefined || finding.field.startsWith(rule.field);
}

/** How a rule is named in a report. */
export const describeRule = (rule: DriftIgnoreRule): string =>
  [rule.kind ?? "any kind", rule.resource, rule.field ?? "any field"].join(" · ") +
  (rule.reason === undefined ? "" : ` (${rule.reason})`);

export interface DriftReportInput {
  network: string;
  baseline?: string;
  trigger: DriftReport["trigger"];
  startedAt: string;
  finishedAt: string;
  observed: readonly ObservedDrift[];
  unknown: readonly DriftUnknown[];
  actions: readonly DriftAction[];
  ignore: readonly DriftIgnoreRule[];
  /** The network's previous report: `since` carries over from its findings, ignored ones included. */
  previous?: DriftReport;
  health?: NetworkHealth;
}

/** Decides the state, applies the ignore rules and carries `since` over. */
export function buildDriftReport(input: DriftReportInput): DriftReport {
  const earlier = new Map(
    [...(input.previous?.findings ?? []), ...(input.previous?.ignored ?? [])].map((finding) => [
      identity(finding),
      finding.since,
    ]),
  );
  const findings: DriftFinding[] = [];
  const ignored: DriftReport["ignored"] = [];
  for (const observed of input.observed) {
    const finding = { ...observed, since: earlier.get(identity(observed)) ?? input.startedAt };
    const rule = input.ignore.find((candidate) => ignoreRuleMatches(candidate, observed));
    if (rule === undefined) findings.push(finding);
    else ignored.push({ ...finding, rule: describeRule(rule) });
  }
  const state: DriftState = findings.length > 0 ? "Drifted" : input.unknown.length > 0 ? "Unknown" : "InSync";
  return {
    network: input.network,
    checkId: `${input.network}/${input.startedAt}`,
    ...(input.baseline === undefined ? {} : { baseline: input.baseline }),
    trigger: input.trigger,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    state,
    findings,
    ignored,
    unknown: [...input.unknown],
    actions: [...input.actions],
    ...(input.health === undefined ? {} : { health: input.health }),
  };
}

/** Where a network's drift reports and their index are kept. */
export const driftIndexName = (network: string): string => `drift/${network}/index.json`;
export const driftReportName = (network: string, startedAt: string): string =>
  `drift/${network}/reports/${startedAt.replace(/[:.]/g, "-").toLowerCase()}.json`;

/** The index with `report` added in front, cut to `keep` entries; `dropped` are the documents to delete. */
export function indexWithReport(
  index: DriftIndex | undefined,
  report: DriftReport,
  keep: number,
): { index: DriftIndex; dropped: string[] } {
  const entry: DriftIndexEntry = {
    checkId: report.checkId,
    document: driftReportName(report.network, report.startedAt),
    state: report.state,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    findings: report.findings.length,
    unknown: report.unknown.length,
    // The schema's parse leaves the regions out: a point per check stays small in an index read often.
    ...(report.health === undefined ? {} : { health: networkHealthSummarySchema.parse(report.health) }),
  };
  const all = [entry, ...(index?.reports ?? []).filter((existing) => existing.checkId !== report.checkId)];
  return {
    index: { network: report.network, reports: all.slice(0, keep) },
    dropped: all.slice(keep).map((dropped) => dropped.document),
  };
}

/** A state change worth telling the webhook: from InSync to Drifted or Unknown, and back. */
export function isAlertWorthy(previous: DriftState | undefined, current: DriftState): boolean {
  if (previous === undefined) return current !== "InSync";
  return previous !== current && (previous === "InSync" || current === "InSync");
}
