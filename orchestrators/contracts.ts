/**
 * One typed contract per orchestration, defined once: its name, input schema and result schema.
 * The HTTP functions start the rollout through its contract, the rollout calls the per-region
 * sub-orchestrations through theirs (orchestrators/durable.ts validates the results), and
 * `orchestration()` parses an orchestrator's input with the same schema — so callers and callees
 * cannot drift. Nothing here carries a secret.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { z } from "zod";
import { nodePublicIdentitySchema } from "../lib/domain/genesis.js";
import { regionPlanSchema } from "../lib/domain/plan.js";
import { regionRetriesSchema, regionStatusSchema, rolloutStatusSchema } from "../lib/domain/rollout-status.js";
import { desiredStateSchema, rolloutPolicySchema } from "../lib/domain/spec.js";
import { documentNameSchema } from "../activities/contracts.js";
import { bindAuditReference } from "./durable.js";

export interface OrchestrationContract<I extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  name: string;
  input: I;
  result: R;
}

export const contract = <I extends z.ZodType, R extends z.ZodType>(
  name: string,
  input: I,
  result: R,
): OrchestrationContract<I, R> => ({ name, input, result });

/** An orchestrator bound to its contract: the function the Durable runtime registers under the contract's name. */
export interface Orchestration {
  contract: OrchestrationContract;
  handler: (context: OrchestrationContext) => Generator<Task, unknown, unknown>;
}

/**
 * Binds a generator to its contract: the input arrives parsed, the result is typed by the
 * contract, and the input's audit reference is carried on to what it schedules (durable.ts).
 */
export function orchestration<I extends z.ZodType, R extends z.ZodType>(
  bound: OrchestrationContract<I, R>,
  body: (context: OrchestrationContext, input: z.output<I>) => Generator<Task, z.input<R>, unknown>,
): Orchestration {
  return {
    contract: bound,
    handler: (context) => {
      const raw = context.df.getInput();
      bindAuditReference(context, raw);
      return body(context, bound.input.parse(raw));
    },
  };
}

/** The external event that asks a running rollout, and each of its regions, to stop starting new work. */
export const CANCEL_EVENT = "Cancel";

/** The two kinds of per-region work a rollout runs as sub-orchestrations. */
export const REGION_WORK = ["provision", "deploy"] as const;

/** A region's sub-orchestration instance id: deterministic, so a replay or a cancel finds the same one. */
export const regionInstanceId = (
  parentInstanceId: string,
  rolloutId: string,
  work: (typeof REGION_WORK)[number],
  region: string,
): string => `${parentInstanceId}:${rolloutId}:${work}:${region}`;

/** A region that failed: the step, why, and whether retrying could help. */
export const regionFailureSchema = z.object({
  ok: z.literal(false),
  step: z.string(),
  cause: z.string(),
  kind: z.enum(["transient", "permanent"]),
});
export type RegionFailure = z.infer<typeof regionFailureSchema>;

/** A region whose work stopped because the rollout was canceled: `step` is the one not started. */
export const regionCanceledSchema = z.object({ ok: z.literal(false), canceled: z.literal(true), step: z.string() });
export type RegionCanceled = z.infer<typeof regionCanceledSchema>;

export const rolloutInputSchema = z.object({
  rolloutId: z.string().min(1),
  spec: desiredStateSchema,
  /** The regions this rollout works on (all of the spec's, or those of a retry). */
  regions: z.array(z.string()).min(1),
  /** A retry: the regions' status in the rollout it retries (attempts and last errors carry over). */
  earlierRegions: z.array(regionStatusSchema).optional(),
});
export type RolloutInput = z.input<typeof rolloutInputSchema>;

/** The rollout: its result is the final status, the same document its custom status shows. */
export const rolloutOrchestration = contract("rollout", rolloutInputSchema, rolloutStatusSchema);

/**
 * What every region's sub-orchestration gets: the policy it runs by and its plan. The spec itself
 * stays in one blob (`specDocument`, saved by the rollout before any region starts), so the durable
 * history does not carry a copy of it per region; the activities that need it read it there.
 */
const regionWorkSchema = z.object({
  rolloutId: z.string().min(1),
  policy: rolloutPolicySchema,
  plan: regionPlanSchema,
  specDocument: documentNameSchema,
});

/** A region's result carries the transient faults it retried, for the rollout's status. */
const regionResult = <T extends z.ZodRawShape>(shape: T) =>
  z.union([
    z.object({ ok: z.literal(true), retries: regionRetriesSchema, ...shape }),
    regionFailureSchema.extend({ retries: regionRetriesSchema }),
    regionCanceledSchema.extend({ retries: regionRetriesSchema }),
  ]);

/** Phase A for one region: infrastructure, Kubernetes configuration, node keys → public identities. */
export const regionProvisionOrchestration = contract(
  "regionProvision",
  regionWorkSchema,
  regionResult({ identities: z.array(nodePublicIdentitySchema) }),
);

/**
 * Phase B for one region: Besu validators and sentries → ready. The network's genesis, static
 * nodes and p2p addresses are one blob for the whole rollout (`networkDocument`).
 */
export const regionDeployOrchestration = contract(
  "regionDeploy",
  regionWorkSchema.extend({ networkDocument: documentNameSchema }),
  regionResult({}),
);
