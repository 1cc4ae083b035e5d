/**
 * What every activity call leaves behind when it ends (activities/factory.ts `define`): its
 * duration and outcome as metrics, its failures by code (a transient one is what the orchestrator
 * retries, so this counts the orchestrator's retries by cause without recording anything in
 * replayed code), and one structured log line naming the rollout and region when its input does
 * (which also name the region in the activity's failure messages), and the phase the orchestrator
 * sent beside the input (orchestrators/durable.ts `RetryScope.phase`).
 * Each call runs in a span of its own, so that in Azure (where the distro exports spans) its log
 * lines carry the span's trace and span ids.
 */
import { SpanStatusCode, trace } from "@opentelemetry/api";
import { z } from "zod";
import { log, type LogFields } from "../lib/telemetry/log.js";
import { INSTRUMENTATION_SCOPE, recordActivity } from "../lib/telemetry/metrics.js";
import type { ActivityOutcome } from "./contracts.js";

/** Where an activity's input names its rollout and region (top level, or in its cluster or plan), and its phase. */
const subjectSchema = z
  .object({
    rolloutId: z.string().optional(),
    phase: z.string().optional(),
    region: z.string().optional(),
    cluster: z.object({ region: z.string() }).partial().optional(),
    plan: z.object({ region: z.string() }).partial().optional(),
  })
  .partial();

export type ActivitySubject = Pick<LogFields, "rollout" | "region" | "phase">;

/** The rollout, region and phase an activity's input is about, each when it names one. */
export function activitySubject(input: unknown): ActivitySubject {
  const parsed = subjectSchema.safeParse(input);
  if (!parsed.success) return {};
  const { rolloutId, region, cluster, plan, phase } = parsed.data;
  const where = region ?? cluster?.region ?? plan?.region;
  return {
    ...(rolloutId === undefined ? {} : { rollout: rolloutId }),
    ...(where === undefined ? {} : { region: where }),
    ...(phase === undefined ? {} : { phase }),
  };
}

/** Runs one activity call in a span named after the activity. */
export function inActivitySpan<T>(activity: string, run: () => Promise<T>): Promise<T> {
  return trace.getTracer(INSTRUMENTATION_SCOPE).startActiveSpan(activity, async (span) => {
    try {
      return await run();
    } finally {
      span.end();
    }
  });
}

/** Records and logs the end of one call; returns its output unchanged. */
export function activityEnded<O extends z.infer<ActivityOutcome>>(
  activity: string,
  subject: ActivitySubject,
  ended: { seconds: number; output: O },
): O {
  const { seconds, output } = ended;
  const fields = { ...subject, activity };
  if (output.ok) {
    recordActivity(activity, "ok", seconds);
    log("info", `${activity} succeeded in ${seconds.toFixed(3)} s`, fields);
  } else {
    recordActivity(activity, output.kind, seconds, output.code);
    trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: output.code });
    log(output.kind === "transient" ? "warn" : "error", `${output.code}: ${output.message}`, fields);
  }
  return output;
}
