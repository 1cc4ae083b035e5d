/**
 * The drift check's orchestration contract and its instance id. One check per network at a time:
 * the instance id is the network's (`drift-<network>`), so a timer tick or an API call that finds
 * it running is skipped or refused instead of starting a second one. Nothing here carries a secret.
 */
import { z } from "zod";
import { driftStateSchema } from "../../lib/domain/drift/report.js";
import { contract } from "../contracts.js";

export const DRIFT_PREFIX = "drift-";

/** The singleton instance id of a network's drift check. */
export const driftInstanceId = (network: string): string => `${DRIFT_PREFIX}${network}`;

export const driftCheckInputSchema = z.object({
  network: z.string().min(1),
  trigger: z.enum(["timer", "api"]),
});
export type DriftCheckInput = z.input<typeof driftCheckInputSchema>;

/** What a check published last: its phase while it runs, its result once done (the custom status). */
export const driftCheckStatusSchema = z.object({
  network: z.string(),
  startedAt: z.string(),
  phase: z.enum(["comparing", "healing", "reporting", "done"]),
  state: driftStateSchema.optional(),
  findings: z.int().min(0).optional(),
  unknown: z.int().min(0).optional(),
  document: z.string().optional(),
});
export type DriftCheckStatus = z.infer<typeof driftCheckStatusSchema>;

export const driftCheckOrchestration = contract("driftCheck", driftCheckInputSchema, driftCheckStatusSchema);
