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
