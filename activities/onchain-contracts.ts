/**
 * The contracts of the on-chain activities (contracts, ccip, funding phases), in the style of
 * activities/contracts.ts: name, zod input, `outcome` output. Each activity sends at most one
 * transaction per intent per call (a wave of deployments: one per deployment) and journals it
 * before broadcasting (lib/evm/sender.ts); the orchestrator
 * calls it again (after a durable timer) until it answers `done`. Inputs name documents and
 * addresses, never an RPC URL (it may carry an API key) and never a key.
 */
import { z } from "zod";
import { CHAIN_ROLES } from "../lib/domain/contracts-spec.js";
import { documentNameSchema, permanentFailureSchema, transientFailureSchema } from "./contracts.js";

const outcome = <T extends z.ZodRawShape>(shape: T) =>
  z.union([z.object({ ok: z.literal(true), ...shape }), permanentFailureSchema, transientFailureSchema]);

export const chainRoleSchema = z.enum(CHAIN_ROLES);
const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

/** Addresses known so far, by chain and name: deployments and existing contracts. */
export const addressBookSchema = z.object({
  chain138: z.record(z.string(), addressSchema),
  mainnet: z.record(z.string(), addressSchema),
});
export type AddressBook = z.infer<typeof addressBookSchema>;

/** The facts every on-chain activity needs beside the spec: who deploys, the selectors, the addresses. */
export const onChainContextSchema = z.object({
  network: z.string(),
  rolloutId: z.string(),
  specDocument: documentNameSchema,
  deployer: addressSchema,
  selectors: z.object({ chain138: z.string(), mainnet: z.string() }),
  addresses: addressBookSchema,
});
export type OnChainContext = z.infer<typeof onChainContextSchema>;

/** Where a piece of on-chain work stands after one call. */
const progressSchema = z.enum(["done", "pending"]);

/** Checks both chains answer with the expected chain ids and reads the existing contracts' addresses. */
export const resolveChains = {
  name: "resolveChains",
  input: z.object({ specDocument: documentNameSchema }),
  output: outcome({
    deployer: addressSchema,
    selectors: z.object({ chain138: z.string(), mainnet: z.string() }),
    existing: addressBookSchema,
  }),
};

/** Where one deployment stands after a call of deployContracts. */
export const deploymentProgressSchema = z.object({
  name: z.string(),
  progress: progressSchema,
  address: addressSchema.optional(),
  codeHash: z.string().optional(),
  /** Whether the code was there before this rollout sent anything for it. */
  alreadyPresent: z.boolean().optional(),
  hash: z.string().optional(),
  /** What the pending transaction does (the factory's funding, its deployment, the contract). */
  detail: z.string().optional(),
});

/**
 * One call of a wave of deployments (lib/domain/deployment-waves.ts: none refers to another):
 * those without code are sent in one call at consecutive nonces; each answers done (deployed
 * now or already present) or pending (a transaction on its way).
 */
export const deployContracts = {
  name: "deployContracts",
  input: z.object({ context: onChainContextSchema, chain: chainRoleSchema, names: z.array(z.string()).min(1) }),
  output: outcome({ deployments: z.array(deploymentProgressSchema) }),
};

/** One call of a CCIP ensure-step: done when the check holds (held before, or made to hold). */
export const ensureStep = {
  name: "ensureStep",
  input: z.object({ context: onChainContextSchema, step: z.number().int().min(0) }),
  output: outcome({
    progress: progressSchema,
    /** held: the check held before anything was sent; made: it holds after this rollout's transactions. */
    result: z.enum(["held", "made"]).optional(),
    hashes: z.array(z.string()),
  }),
};

/** One call of a top-up: done when the balance is at or above its target. */
export const topUp = {
  name: "topUp",
  input: z.object({
    context: onChainContextSchema,
    topUp: z.number().int().min(0),
    /** How much of the top-up's asset this rollout may still send (its cap minus what was sent). */
    capRemaining: z.string().regex(/^[0-9]+$/),
  }),
  output: outcome({
    progress: progressSchema,
    /** What this top-up sent (0 when the balance was already at its target). */
    sent: z.string(),
    balance: z.string().optional(),
    hash: z.string().optional(),
  }),
};

/** The final on-chain verification: code at every address, every step holding, every balance at its target. */
export const verifyOnChain = {
  name: "verifyOnChain",
  input: z.object({ context: onChainContextSchema }),
  output: outcome({
    contracts: z.array(
      z.object({ chain: chainRoleSchema, name: z.string(), address: z.string(), codeHash: z.string() }),
    ),
    problems: z.array(z.string()),
  }),
};
