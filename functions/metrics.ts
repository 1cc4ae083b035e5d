/**
 * GET /api/metrics — the app's metrics in the Prometheus text format (docs/monitoring.md), read
 * from the in-process Prometheus reader (lib/telemetry/exporters.ts). A read (Fleet.Reader, or a
 * function key). Where metrics go to Application Insights instead (Azure), it answers 404 and says so.
 */
import type { HttpFunctionOptions, HttpResponseInit } from "@azure/functions";
import { prometheusText } from "../lib/telemetry/exporters.js";
import { errorResponse } from "./responses.js";

/** The Prometheus text exposition format's media type. */
const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export async function metricsEndpoint(): Promise<HttpResponseInit> {
  const text = await prometheusText();
  if (text === undefined)
    return errorResponse(
      404,
      "MetricsNotServed",
      "This app exports its metrics to Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING is set); query them there.",
    );
  return { status: 200, headers: { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" }, body: text };
}

export const metricsFunctions: Record<string, HttpFunctionOptions> = {
  metrics: { route: "metrics", methods: ["GET"], authLevel: "function", handler: metricsEndpoint },
};
