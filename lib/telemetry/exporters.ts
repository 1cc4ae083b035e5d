/**
 * Installs the process's OpenTelemetry meter provider once, at the composition root (app.ts), as
 * the configuration says (lib/config.ts `telemetryConfig`): in Azure the Azure Monitor
 * OpenTelemetry distro, which exports metrics (and the spans and logs it instruments) to
 * Application Insights with the app's identity; otherwise a Prometheus reader that is only read
 * when `GET /api/metrics` asks (no port of its own: the Functions host serves it, behind the API's
 * authorization), and a tracer provider that exports nothing but gives every span real trace and
 * span ids, so log lines carry them locally as in Azure (where the distro's provider does).
 */
import { useAzureMonitor } from "@azure/monitor-opentelemetry";
import { metrics } from "@opentelemetry/api";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { appIdentity } from "../azure/identity.js";
import type { TelemetryConfig } from "../config.js";

let started: { config: TelemetryConfig; prometheus?: PrometheusExporter } | undefined;

/** Installs the exporter `config` names; a second call keeps the first (a process has one provider). */
export function startTelemetry(config: TelemetryConfig): void {
  if (started !== undefined) return;
  if (config.exporter === "azureMonitor") {
    useAzureMonitor({
      azureMonitorExporterOptions: { connectionString: config.connectionString, credential: appIdentity() },
    });
    started = { config };
    return;
  }
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [prometheus] }));
  // Registers the async-hooks context manager too: without one no span is ever the active one.
  new NodeTracerProvider().register();
  started = { config, prometheus };
}

/** The current metrics in the Prometheus text format; undefined when they go to Azure Monitor (or nowhere yet). */
export async function prometheusText(): Promise<string | undefined> {
  if (started?.prometheus === undefined) return undefined;
  const { resourceMetrics, errors } = await started.prometheus.collect();
  if (errors.length > 0) throw new AggregateError(errors, "collecting metrics failed");
  return new PrometheusSerializer().serialize(resourceMetrics);
}
