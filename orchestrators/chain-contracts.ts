/**
 * One chain's deployments as a sub-orchestration (the contracts phase runs one per chain, in
 * parallel), wave by wave (lib/domain/deployment-waves.ts): a wave's deployments refer only to
 * earlier waves, so one activity call sends them all (consecutive nonces, back to back, so they
 * can share a block) and the next wave starts once all of them have code. The activity sends at most one
 * transaction per deployment per call, journaled first, so a crash or a retry continues the same
 * transactions; it is called again (after a durable timer) for those still pending.
 * Deterministic, no I/O.
 */
import { z } from "zod";
import { deployContracts, onChainContextSchema } from "../activities/onchain-contracts.js";
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
    /** The deployments' names by dependency wave (lib/domain/deployment-waves.ts). */
    waves: z.array(z.array(z.string()).min(1)),
    retry: rolloutPolicySchema.shape.retry,
    pollIntervalSeconds: z.number().int().min(1),
  }),
  z.union([
    z.object({ ok: z.literal(true), deployed: z.array(deployedSchema) }),
    z.object({
      ok: z.literal(false),
      deployed: z.array(deployedSchema),
      /** The deployments of the failed wave that were not done. */
      failed: z.array(z.string()),
      cause: z.string(),
    }),
  ]),
);

export const chainContractsOrchestrator = orchestration(chainContractsOrchestration, function* (context, input) {
  const addresses = { ...input.context.addresses, [input.chain]: { ...input.context.addresses[input.chain] } };
  const deployed: z.infer<typeof deployedSchema>[] = [];
  for (const wave of input.waves) {
    let remaining = wave;
    while (remaining.length > 0) {
      const outcome = yield* call(
        context,
        deployContracts,
        { context: { ...input.context, addresses }, chain: input.chain, names: remaining },
        { policy: input.retry },
      );
      if (!outcome.ok) return { ok: false as const, deployed, failed: remaining, cause: outcome.cause };
      const pending: { name: string; hash?: string | undefined }[] = [];
      for (const { name, progress, address, codeHash, alreadyPresent, hash } of outcome.value.deployments) {
        if (progress === "done" && address !== undefined && codeHash !== undefined) {
          addresses[input.chain][name] = address;
          deployed.push({ name, address, codeHash, alreadyPresent: alreadyPresent ?? false, hash });
        } else pending.push({ name, hash });
      }
      remaining = pending.map(({ name }) => name);
      context.df.setCustomStatus({ chain: input.chain, deployed, pending });
      if (remaining.length > 0) yield sleep(context, input.pollIntervalSeconds);
    }
  }
  return { ok: true as const, deployed };
});
