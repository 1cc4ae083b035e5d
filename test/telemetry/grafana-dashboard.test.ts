/**
 * The Grafana dashboard (infra/grafana/besu-fleet.json) queries metrics by name; this keeps it from
 * rotting: every series it queries is one the instrument module defines, and every instrument has
 * a panel.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { z } from "zod";
import { INSTRUMENTS } from "../../lib/telemetry/metrics.js";
import { REPO_ROOT } from "../support/paths.js";

const dashboardSchema = z.object({
  panels: z.array(z.object({ title: z.string(), targets: z.array(z.object({ expr: z.string() })).optional() }).loose()),
  templating: z.object({ list: z.array(z.object({ query: z.unknown() }).loose()) }),
});

const dashboard = dashboardSchema.parse(
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "infra", "grafana", "besu-fleet.json"), "utf8")),
);

/** The series names Prometheus shows for each instrument (a histogram as its three series). */
const SERIES = new Map<string, string>(
  Object.values(INSTRUMENTS).flatMap(({ name, kind }) =>
    kind === "histogram"
      ? ["_bucket", "_sum", "_count"].map((suffix): [string, string] => [`${name}${suffix}`, name])
      : [[name, name]],
  ),
);

/** Every metric-like name an expression mentions (the app's all start with besu_fleet_). */
function metricNames(expression: string): string[] {
  return [...expression.matchAll(/\bbesu_fleet_[a-z0-9_]+/g)].map((match) => match[0]);
}

const queries = [
  ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
  ...dashboard.templating.list.flatMap((variable) => (typeof variable.query === "string" ? [variable.query] : [])),
];

test("every metric the dashboard queries is defined in lib/telemetry/metrics.ts", () => {
  const queried = queries.flatMap(metricNames);
  assert.ok(queried.length > 0, "the dashboard queries the app's metrics");
  assert.deepEqual(
    queried.filter((name) => !SERIES.has(name)),
    [],
    "queried but not defined (renamed or removed instruments)",
  );
});

test("every instrument has a panel", () => {
  const shown = new Set(queries.flatMap(metricNames).map((name) => SERIES.get(name)));
  assert.deepEqual(
    Object.values(INSTRUMENTS)
      .map(({ name }) => name)
      .filter((name) => !shown.has(name)),
    [],
  );
});
