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
import { regionStatusSchema, rolloutStatusSchema } from "../lib/domain/rollout-status.js";
import { desiredStateSchema } from "../lib/domain/spec.js";

export interface OrchestrationContract<I extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  name: string;
  input: I;
  result: R;
}

const contract = <I extends z.ZodType, R extends z.ZodType>(
  name: string,
  input: I,
  result: R,
): OrchestrationContract<I, R> => ({ name, input, result });

/** An orchestrator bound to its contract: the function the Durable runtime registers under the contract's name. */
export interface Orchestration {
  contract: OrchestrationContract;
  handler: (context: OrchestrationContext) => Generator<Task, unknown, unknown>;
}

/** Binds a generator to its contract: the input arrives parsed, the result is typed by the contract. */
export function orchestration<I extends z.ZodType, R extends z.ZodType>(
  bound: OrchestrationContract<I, R>,
  body: (context: OrchestrationContext, input: z.output<I>) => Generator<Task, z.input<R>, unknown>,
): Orchestration {
  return { contract: bound, handler: (context) => body(context, bound.input.parse(context.df.getInput())) };
}

/** The external event that asks a running rollout to stop starting new work. */
export const CANCEL_EVENT = "Cancel";

/** A region that failed: the step, why, and whether retrying could help. */
export const regionFailureSchema = z.object({
  ok: z.literal(false),
  step: z.string(),
  cause: z.string(),
  kind: z.enum(["transient", "permanent"]),
});
export type RegionFailure = z.infer<typeof regionFailureSchema>;

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

/** Phase A for one region: infrastructure, Kubernetes configuration, node keys → public identities. */
export const regionProvisionOrchestration = contract(
  "regionProvision",
  z.object({ spec: desiredStateSchema, plan: regionPlanSchema }),
  z.union([z.object({ ok: z.literal(true), identities: z.array(nodePublicIdentitySchema) }), regionFailureSchema]),
);

/** Phase B for one region: Besu validators and sentries with the network's genesis → ready. */
export const regionDeployOrchestration = contract(
  "regionDeploy",
  z.object({
    spec: desiredStateSchema,
    plan: regionPlanSchema,
    genesisJson: z.string(),
    staticNodesJson: z.string(),
    p2pHosts: z.record(z.string(), z.string()),
  }),
  z.union([z.object({ ok: z.literal(true) }), regionFailureSchema]),
);
