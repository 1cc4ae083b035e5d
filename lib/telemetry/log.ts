/**
 * The app's log lines: one JSON object per line on standard output (which the Functions host
 * forwards to Application Insights in Azure and the local host prints), with the same fields every
 * time — time, level, message and, when known, rollout, region, phase and activity — and the
 * trace and span ids of the span active when it was written, so a line can be joined to its trace.
 * Messages are the same texts the API and the status show: they never carry a secret.
 */
import { trace, type SpanContext } from "@opentelemetry/api";

export type LogLevel = "debug" | "info" | "warn" | "error";

/** What a line is about; each is left out when not known. */
export interface LogFields {
  rollout?: string;
  region?: string;
  phase?: string;
  activity?: string;
}

/** One line as written (without its newline); pure, for tests. */
export function logLine(
  entry: { time: Date; level: LogLevel; message: string; fields?: LogFields },
  span: SpanContext | undefined,
): string {
  const { rollout, region, phase, activity } = entry.fields ?? {};
  return JSON.stringify({
    time: entry.time.toISOString(),
    level: entry.level,
    rollout,
    region,
    phase,
    activity,
    message: entry.message,
    ...(span !== undefined && trace.isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {}),
  });
}

/** Writes one line now, with the active span's ids. */
export function log(level: LogLevel, message: string, fields: LogFields = {}): void {
  const line = logLine({ time: new Date(), level, message, fields }, trace.getActiveSpan()?.spanContext());
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
}
