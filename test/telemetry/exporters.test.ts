/**
 * The exporter the configuration names is the one installed: the Prometheus reader serves what was
 * recorded; with a connection string the Azure Monitor distro owns the meter provider and nothing
 * is served locally. Each case runs in a child process, since a process installs one provider.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { z } from "zod";

const LIB = path.resolve(__dirname, "..", "..", "lib");

/** Starts telemetry with `config` in a fresh process, records one activity call, and reports what it sees. */
function startIn(config: object): { provider: string; text: string | null } {
  const script = `
    const { startTelemetry, prometheusText } = require(${JSON.stringify(path.join(LIB, "telemetry", "exporters.js"))});
    const { recordActivity } = require(${JSON.stringify(path.join(LIB, "telemetry", "metrics.js"))});
    const { metrics } = require("@opentelemetry/api");
    startTelemetry(${JSON.stringify(config)});
    recordActivity("deployBesu", "transient", 1.5, "Throttled");
    prometheusText().then((text) => {
      process.stdout.write(JSON.stringify({ provider: metrics.getMeterProvider().constructor.name, text: text ?? null }));
      process.exit(0);
    });`;
  const output = execFileSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 });
  return z.object({ provider: z.string(), text: z.string().nullable() }).parse(JSON.parse(output));
}

test("the Prometheus reader serves the series recorded, with their labels", () => {
  const { provider, text } = startIn({ exporter: "prometheus" });
  assert.equal(provider, "MeterProvider");
  assert.match(text ?? "", /^# TYPE besu_fleet_activity_duration_seconds histogram$/m);
  assert.match(
    text ?? "",
    /^besu_fleet_activity_failures_total\{activity="deployBesu",kind="transient",code="Throttled"[^}]*\} 1$/m,
  );
});

test("with a connection string the Azure Monitor distro takes the metrics and none are served locally", () => {
  const { provider, text } = startIn({
    exporter: "azureMonitor",
    // An ingestion endpoint nothing listens on: the distro is only installed, never reached.
    connectionString: "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/",
  });
  assert.equal(provider, "MeterProvider", "an SDK provider, not the API's no-op");
  assert.equal(text, null);
});

test("locally, an activity's log lines name its rollout, region and phase and carry its span's trace and span ids", () => {
  const ACTIVITIES = path.resolve(LIB, "..", "activities");
  // An activity defined as the app defines them, called as the orchestrator calls it: the phase beside its input.
  const script = `
    const { startTelemetry } = require(${JSON.stringify(path.join(LIB, "telemetry", "exporters.js"))});
    const { log } = require(${JSON.stringify(path.join(LIB, "telemetry", "log.js"))});
    const { define: defineActivity } = require(${JSON.stringify(path.join(ACTIVITIES, "define.js"))});
    const { observeNodes } = require(${JSON.stringify(path.join(ACTIVITIES, "contracts.js"))});
    startTelemetry({ exporter: "prometheus" });
    const observe = defineActivity(observeNodes, async () => {
      log("info", "asked the nodes");
      return { ok: true, observations: [] };
    });
    const input = { cluster: { resourceGroup: "rg", clusterName: "aks", region: "uksouth" }, namespace: "besu", nodes: [] };
    observe({ ...input, phase: "verifying" }).then(() => observe(input));`;
  const output = execFileSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 });
  const lines = output
    .trim()
    .split("\n")
    .map((line) => z.record(z.string(), z.string()).parse(JSON.parse(line)));
  assert.equal(lines.length, 4, output);
  const [inside, ended, , second] = lines;
  assert.equal(inside?.message, "asked the nodes");
  assert.match(ended?.message ?? "", /^observeNodes succeeded/);
  assert.deepEqual(
    { region: ended?.region, phase: ended?.phase, activity: ended?.activity },
    { region: "uksouth", phase: "verifying", activity: "observeNodes" },
  );
  for (const line of lines) {
    assert.match(line.traceId ?? "", /^[0-9a-f]{32}$/, JSON.stringify(line));
    assert.notEqual(line.traceId, "0".repeat(32));
    assert.match(line.spanId ?? "", /^[0-9a-f]{16}$/);
  }
  // A line written inside the activity joins the same span as its end line; the next call has a span of its own.
  assert.deepEqual([inside?.traceId, inside?.spanId], [ended?.traceId, ended?.spanId]);
  assert.notEqual(second?.spanId, ended?.spanId);
  assert.equal(second?.region, "uksouth");
  assert.equal(second?.phase, undefined, "a call without a phase names none");
});
