/**
 * The bodies of the drift HTTP API (docs/api.md): one schema each, used by the OpenAPI document
 * and by the CLI, which checks every answer against them.
 */
import { z } from "zod";
import { driftIndexEntrySchema, driftReportSchema } from "./report.js";

/** A check that runs now, as its custom status shows it. */
export const driftRunningSchema = z.object({ instanceId: z.string(), phase: z.string().optional() }).loose().nullable();

/** `GET /api/drift`: every network with a recorded deployment, its latest check and the one running. */
export const driftOverviewSchema = z.array(
  z.object({ network: z.string(), latest: driftIndexEntrySchema.nullable(), running: driftRunningSchema }),
);
export type DriftOverview = z.infer<typeof driftOverviewSchema>;

/** `GET /api/drift/{network}`: the latest report with its findings. */
export const driftLatestSchema = z.object({
  network: z.string(),
  report: driftReportSchema.nullable(),
  running: driftRunningSchema,
});
export type DriftLatest = z.infer<typeof driftLatestSchema>;

/** `GET /api/drift/{network}/history`: the index, newest first. */
export const driftHistorySchema = z.object({ network: z.string(), reports: z.array(driftIndexEntrySchema) });
export type DriftHistory = z.infer<typeof driftHistorySchema>;

/** 202 of `POST /api/drift/{network}`. */
export const driftAcceptedSchema = z.object({ network: z.string(), instanceId: z.string(), statusUrl: z.string() });
export type DriftAccepted = z.infer<typeof driftAcceptedSchema>;
