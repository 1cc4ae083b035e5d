/**
 * One chain's deployments as a sub-orchestration (the contracts phase runs one per chain, in
 * parallel): each deployment in dependency order, the next only once the previous one has code,
 * so the addresses a constructor refers to exist when it runs. Each deployment is one activity
 * called until it answers `done`; the activity sends at most one transaction per call, journaled
 * first, so a crash or a retry continues the same transaction. Deterministic, no I/O.
 */
import { z } from "zod";
import { deployContract, onChainContextSchema } from "../activities/onchain-contracts.js";
import { CHAIN_ROLES } from "../lib/domain/contracts-spec.js";
import { rolloutPolicySchema } from "../lib/domain/spec.js";
import { contract, orchestration } from "./contracts.js";
import { call, sleep } from "./durable.js";

const deployedSchema = z.object({
  name: z.string(),
  address: z.string(),
  codeHash: z.string(),
  alreadyPresent: z.boolean(),
  hash: z.string().optional(),
});

export const chainContractsOrchestration = contract(
  "chainContracts",
  z.object({
    context: onChainContextSchema,
    chain: z.enum(CHAIN_ROLES),
    /** The deployments' names in dependency order (lib/domain/contracts-references.ts deploymentOrder). */
    order: z.array(z.string()),
    retry: rolloutPolicySchema.shape.retry,
    pollIntervalSeconds: z.number().int().min(1),
  }),
  z.union([
    z.object({ ok: z.literal(true), deployed: z.array(deployedSchema) }),
    z.object({ ok: z.literal(false), deployed: z.array(deployedSchema), name: z.string(), cause: z.string() }),
  ]),
);

export const chainContractsOrchestrator = orchestration(chainContractsOrchestration, function* (context, input) {
  const addresses = { ...input.context.addresses, [input.chain]: { ...input.context.addresses[input.chain] } };
  const deployed: z.infer<typeof deployedSchema>[] = [];
  for (const name of input.order) {
    for (;;) {
      const outcome = yield* call(
        context,
        deployContract,
        { context: { ...input.context, addresses }, chain: input.chain, name },
        { policy: input.retry },
      );
      if (!outcome.ok) return { ok: false as const, deployed, name, cause: outcome.cause };
      const { address, codeHash } = outcome.value;
      if (outcome.value.progress === "done" && address !== undefined && codeHash !== undefined) {
        addresses[input.chain][name] = address;
        deployed.push({
          name,
          address,
          codeHash,
          alreadyPresent: outcome.value.alreadyPresent ?? false,
          hash: outcome.value.hash,
        });
        context.df.setCustomStatus({ chain: input.chain, deployed });
        break;
      }
      context.df.setCustomStatus({ chain: input.chain, deployed, pending: { name, hash: outcome.value.hash } });
      yield sleep(context, input.pollIntervalSeconds);
    }
  }
  return { ok: true as const, deployed };
});
