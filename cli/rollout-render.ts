/**
 * Text views of rollouts for a terminal: pure functions from a status (and the current time) to
 * lines, so every view is testable without a terminal. Times are ISO strings as the API sends them.
 */
import type { CheckResult, RegionStatus, RolloutStatus, Verification } from "../lib/domain/rollout-status.js";
import { renderOnChain, renderOnChainChanges } from "./onchain-render.js";
import type { RolloutSummary } from "./rollout-api.js";

/** Longest cause shown on a region's line in the live view (the final table shows it whole). */
export const LIVE_ERROR_WIDTH = 60;

/** A duration for people: `42s`, `3m07s`, `1h02m`. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** Cuts text to a width, marking the cut with `…`. */
export function truncate(text: string, width: number): string {
  const line = text.replace(/\s*\n\s*/g, " ");
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

/** Rows as left-aligned columns separated by two spaces; trailing blanks trimmed. */
function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? "").length)));
  return all.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

function elapsed(from: string | undefined, to: string | undefined, now: number): string {
  if (from === undefined) return "-";
  return formatDuration((to !== undefined ? Date.parse(to) : now) - Date.parse(from));
}

function lastErrorText(region: RegionStatus): string {
  return region.lastError === undefined ? "" : `${region.lastError.step}: ${region.lastError.cause}`;
}

function countsLine(counts: RolloutStatus["counts"]): string {
  return `Regions: ${counts.total} total · ${counts.succeeded} succeeded · ${counts.running} running · ${counts.pending} pending · ${counts.failed} failed · ${counts.canceled} canceled`;
}

function headline(status: RolloutStatus, now: number): string {
  const cancel = status.cancelRequested && status.state === "Running" ? " · cancel requested" : "";
  return `Rollout ${status.rolloutId} · network ${status.network} · ${status.state} · phase ${status.phase} · elapsed ${elapsed(status.createdAt, status.finishedAt, now)}${cancel}`;
}

function failureLines(status: RolloutStatus): string[] {
  return status.failure === undefined ? [] : [`Rollout failed in ${status.failure.phase}: ${status.failure.reason}`];
}

/**
 * The live view: the rollout's state, phase, elapsed time and counts, then one line per region
 * with its state, phase, attempts, transient retries, elapsed time and last error (cut to
 * {@link LIVE_ERROR_WIDTH}).
 */
export function renderProgress(status: RolloutStatus, now: number): string[] {
  const rows = status.regions.map((region) => [
    region.region,
    region.state,
    region.phase,
    String(region.attempts),
    String(region.retries?.count ?? 0),
    elapsed(region.startedAt, region.finishedAt, now),
    truncate(lastErrorText(region), LIVE_ERROR_WIDTH),
  ]);
  return [
    headline(status, now),
    countsLine(status.counts),
    ...failureLines(status),
    "",
    ...formatTable(["REGION", "STATE", "PHASE", "ATTEMPTS", "RETRIES", "ELAPSED", "LAST ERROR"], rows),
    ...renderClusterDeletions(status),
    ...renderOnChain(status),
  ];
}

/** The clusters of dropped regions the rollout deletes (`deprovision: delete`), each with how far its delete got. */
export function renderClusterDeletions(status: RolloutStatus): string[] {
  const deletions = status.clusterDeletions ?? [];
  if (deletions.length === 0) return [];
  return [
    "",
    "Clusters of dropped regions:",
    ...deletions.map(
      (deletion) =>
        `  ${deletion.clusterName} (${deletion.region}): ${deletion.state}${deletion.reason === undefined ? "" : ` — ${deletion.reason}`}`,
    ),
  ];
}

function checkMark(check: CheckResult | undefined): string {
  if (check === undefined) return "-";
  return check.ok ? "ok" : "FAIL";
}

/**
 * Verification results: network-wide checks with their detail, a region × check matrix, and the
 * detail of every failed regional check.
 */
export function renderVerification(verification: Verification): string[] {
  const lines = [`Verification ${verification.ok ? "passed" : "FAILED"} (at ${verification.verifiedAt})`];
  if (verification.network.length > 0) {
    lines.push("Network checks:");
    lines.push(
      ...formatTable(
        ["CHECK", "RESULT", "DETAIL"],
        verification.network.map((check) => [check.check, checkMark(check), check.detail]),
      ).map((line) => `  ${line}`),
    );
  }
  const checkNames = [...new Set(verification.regions.flatMap((region) => region.checks.map((check) => check.check)))];
  if (checkNames.length > 0) {
    lines.push("Region checks:");
    const rows = verification.regions.map((region) => [
      region.region,
      ...checkNames.map((name) => checkMark(region.checks.find((check) => check.check === name))),
    ]);
    lines.push(...formatTable(["REGION", ...checkNames], rows).map((line) => `  ${line}`));
  }
  const failed = verification.regions.flatMap((region) =>
    region.checks.filter((check) => !check.ok).map((check) => `  ${region.region} ${check.check}: ${check.detail}`),
  );
  if (failed.length > 0) lines.push("Failed region checks:", ...failed);
  return lines;
}

/** The view of a finished rollout: headline, counts, a region table with duration and whole error, and the verification. */
export function renderFinalReport(status: RolloutStatus, now: number): string[] {
  const rows = status.regions.map((region) => [
    region.region,
    region.state,
    elapsed(region.startedAt, region.finishedAt, now),
    lastErrorText(region),
  ]);
  const verification =
    status.verification === undefined ? ["Verification: not run"] : renderVerification(status.verification);
  return [
    headline(status, now),
    countsLine(status.counts),
    ...failureLines(status),
    "",
    ...formatTable(["REGION", "STATE", "DURATION", "ERROR"], rows),
    "",
    ...verification,
    ...renderClusterDeletions(status),
    ...renderOnChain(status),
  ];
}

function describeRegion(region: RegionStatus): string {
  const attempt = region.attempts > 0 ? ` (attempt ${region.attempts})` : "";
  const retries = region.retries?.count
    ? `, ${region.retries.count} transient ${region.retries.count === 1 ? "fault" : "faults"} retried`
    : "";
  if (region.state === "Failed")
    return `${region.region}: Failed in ${region.phase}${attempt}${retries} — ${lastErrorText(region)}`;
  return `${region.region}: ${region.state}, ${region.phase}${attempt}${retries}`;
}

/**
 * For output that is not a terminal: one line per change since the previous status (rollout
 * state or phase, a region's state, phase or attempt), each prefixed with the update time.
 * Elapsed times are left out on purpose: they change every second and would repeat every line.
 */
export function renderChanges(previous: RolloutStatus | undefined, next: RolloutStatus): string[] {
  const at = next.updatedAt.slice(11, 19);
  const lines: string[] = [];
  const rolloutLine = (status: RolloutStatus): string =>
    `${status.state}, phase ${status.phase}${status.cancelRequested && status.state === "Running" ? ", cancel requested" : ""}`;
  if (previous === undefined || rolloutLine(previous) !== rolloutLine(next)) {
    lines.push(
      `${at} rollout ${next.rolloutId} (${next.network}): ${rolloutLine(next)} — ${next.counts.succeeded}/${next.counts.total} regions succeeded, ${next.counts.failed} failed`,
    );
  }
  for (const region of next.regions) {
    const before = previous?.regions.find((entry) => entry.region === region.region);
    if (before === undefined || describeRegion(before) !== describeRegion(region))
      lines.push(`${at}   ${describeRegion(region)}`);
  }
  return [...lines, ...renderOnChainChanges(previous, next)];
}

/** `rollout list`: one row per rollout, newest first as the API orders them. */
export function renderSummaries(summaries: readonly RolloutSummary[]): string[] {
  if (summaries.length === 0) return ["No rollouts yet."];
  const rows = summaries.map((summary) => [
    summary.rolloutId,
    summary.network,
    summary.state,
    summary.phase,
    summary.counts === undefined ? "-" : `${summary.counts.succeeded}/${summary.counts.total}`,
    summary.counts === undefined ? "-" : String(summary.counts.failed),
    summary.createdAt,
    summary.updatedAt,
  ]);
  return formatTable(["ROLLOUT", "NETWORK", "STATE", "PHASE", "SUCCEEDED", "FAILED", "CREATED", "UPDATED"], rows);
}
