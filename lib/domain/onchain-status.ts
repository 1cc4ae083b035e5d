/**
 * The on-chain part of a rollout's status: each deployment, CCIP ensure-step and top-up with its
 * state and transaction hashes, live, and `contracts` — `{chain, name, address, codeHash}` of
 * every deployed contract — as GET /api/rollouts/{id} and the report carry them. Pure updaters in
 * the style of rollout-status.ts; public data only (addresses and hashes).
 */
import { z } from "zod";
import { CHAIN_ROLES, type ChainRole } from "./contracts-spec.js";

const chainSchema = z.enum(CHAIN_ROLES);

export const deployedContractSchema = z.object({
  chain: chainSchema,
  name: z.string(),
  address: z.string(),
  /** keccak-256 of the deployed runtime code. */
  codeHash: z.string(),
});
export type DeployedContract = z.infer<typeof deployedContractSchema>;

const deploymentProgressSchema = z.object({
  chain: chainSchema,
  name: z.string(),
  state: z.enum(["pending", "sending", "deployed", "present", "failed"]),
  address: z.string().optional(),
  hash: z.string().optional(),
  detail: z.string().optional(),
  error: z.string().optional(),
});

const stepProgressSchema = z.object({
  name: z.string(),
  chain: chainSchema,
  /** held: held before anything was sent; made: held after this rollout's transactions. */
  state: z.enum(["pending", "sending", "held", "made", "failed", "skipped"]),
  hashes: z.array(z.string()),
  error: z.string().optional(),
});

const topUpProgressSchema = z.object({
  name: z.string(),
  chain: chainSchema,
  state: z.enum(["pending", "sending", "funded", "atTarget", "failed", "skipped"]),
  sent: z.string().optional(),
  hash: z.string().optional(),
  error: z.string().optional(),
});

export const onChainStatusSchema = z.object({
  deployments: z.array(deploymentProgressSchema),
  ccipSteps: z.array(stepProgressSchema),
  topUps: z.array(topUpProgressSchema),
  /** What the final on-chain verification found wrong (empty when everything holds). */
  verificationProblems: z.array(z.string()).optional(),
});
export type OnChainStatus = z.infer<typeof onChainStatusSchema>;
export type DeploymentProgress = z.infer<typeof deploymentProgressSchema>;
export type StepProgress = z.infer<typeof stepProgressSchema>;
export type TopUpProgress = z.infer<typeof topUpProgressSchema>;

/** Everything pending, in the spec's order. */
export function initialOnChainStatus(spec: {
  contracts?: Record<ChainRole, { name: string }[]>;
  ccip?: { steps: { name: string; chain: ChainRole }[] };
  funding?: { topUps: { name: string; chain: ChainRole }[] };
}): OnChainStatus {
  return {
    deployments: CHAIN_ROLES.flatMap((chain) =>
      (spec.contracts?.[chain] ?? []).map((deployment) => ({
        chain,
        name: deployment.name,
        state: "pending" as const,
      })),
    ),
    ccipSteps: (spec.ccip?.steps ?? []).map((step) => ({
      name: step.name,
      chain: step.chain,
      state: "pending",
      hashes: [],
    })),
    topUps: (spec.funding?.topUps ?? []).map((topUp) => ({ name: topUp.name, chain: topUp.chain, state: "pending" })),
  };
}

export function updateDeployment(
  status: OnChainStatus,
  chain: ChainRole,
  name: string,
  change: Partial<DeploymentProgress>,
) {
  return {
    ...status,
    deployments: status.deployments.map((entry) =>
      entry.chain === chain && entry.name === name ? { ...entry, ...change } : entry,
    ),
  };
}

export function updateStep(status: OnChainStatus, index: number, change: Partial<StepProgress>): OnChainStatus {
  return {
    ...status,
    ccipSteps: status.ccipSteps.map((entry, at) => (at === index ? { ...entry, ...change } : entry)),
  };
}

export function updateTopUp(status: OnChainStatus, index: number, change: Partial<TopUpProgress>): OnChainStatus {
  return { ...status, topUps: status.topUps.map((entry, at) => (at === index ? { ...entry, ...change } : entry)) };
}

/** Spending per chain and asset so far, against the caps: what one more top-up may still send. */
export function capRemaining(
  caps: readonly { chain: ChainRole; asset: string; max: string }[],
  spent: ReadonlyMap<string, bigint>,
  chain: ChainRole,
  asset: string,
): bigint {
  const cap = caps.find((entry) => entry.chain === chain && entry.asset === asset);
  if (cap === undefined) return 0n;
  const remaining = BigInt(cap.max) - (spent.get(`${chain} ${asset}`) ?? 0n);
  return remaining > 0n ? remaining : 0n;
}
