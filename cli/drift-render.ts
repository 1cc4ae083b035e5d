/** Text for `besu-fleet drift …`: a report with its findings, the networks' overview, a history. */
import type { DriftIndexEntry, DriftReport } from "../lib/domain/drift/report.js";
import type { DriftOverview } from "../lib/domain/drift/api.js";
import { formatDuration, truncate } from "./rollout-render.js";

const VALUE_WIDTH = 48;

/** How long a finding has existed, from its `since`. */
const age = (since: string, now: number): string => formatDuration(Math.max(0, now - Date.parse(since)));

export function renderReport(report: DriftReport, now: number): string[] {
  const lines = [
    `Network ${report.network}: ${report.state} (checked ${report.finishedAt}, ${report.trigger}${report.baseline === undefined ? "" : `, desired state from ${report.baseline}`})`,
  ];
  if (report.findings.length > 0) {
    lines.push("", `Findings (${report.findings.length}):`);
    for (const finding of report.findings)
      lines.push(
        `  ${finding.severity.padEnd(8)} ${finding.kind.padEnd(10)} ${finding.region.padEnd(16)} ${finding.resource} ${finding.field}`,
        `           desired ${truncate(finding.desired, VALUE_WIDTH)} · actual ${truncate(finding.actual, VALUE_WIDTH)} · for ${age(finding.since, now)}`,
      );
  }
  if (report.unknown.length > 0) {
    lines.push("", `Could not observe (${report.unknown.length}):`);
    for (const entry of report.unknown)
      lines.push(
        `  ${entry.kind.padEnd(10)} ${entry.region.padEnd(16)} ${entry.resource}: ${truncate(entry.reason, 100)}`,
      );
  }
  if (report.ignored.length > 0) {
    lines.push("", `Ignored by the spec's rules (${report.ignored.length}):`);
    for (const finding of report.ignored)
      lines.push(
        `  ${finding.kind.padEnd(10)} ${finding.region.padEnd(16)} ${finding.resource} ${finding.field} — ${finding.rule}`,
      );
  }
  if (report.actions.length > 0) {
    lines.push("", "Healing:");
    for (const action of report.actions)
      lines.push(
        `  ${action.ok ? "done  " : "FAILED"} ${action.region.padEnd(16)} ${action.resource} ${action.action}: ${action.detail}`,
      );
  }
  return lines;
}

const entryLine = (entry: DriftIndexEntry): string =>
  `${entry.finishedAt}  ${entry.state.padEnd(8)} ${String(entry.findings).padStart(4)} findings ${String(entry.unknown).padStart(4)} unknown`;

export function renderOverview(overview: DriftOverview): string[] {
  if (overview.length === 0) return ["No network has a recorded deployment yet."];
  return overview.map(
    ({ network, latest, running }) =>
      `${network.padEnd(20)} ${latest === null ? "never checked" : entryLine(latest)}${running === null ? "" : "  (a check is running)"}`,
  );
}

export function renderHistory(network: string, reports: readonly DriftIndexEntry[]): string[] {
  return reports.length === 0 ? [`No drift report of ${network} yet.`] : reports.map(entryLine);
}
