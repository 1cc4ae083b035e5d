/**
 * A chain's deployments grouped into dependency waves: a deployment joins the first wave after
 * every deployment its constructor refers to, so the deployments of one wave are independent of
 * each other and one activity call can send them all (consecutive nonces) instead of one call
 * each. Pure.
 */
import type { ChainRole, DeploymentSpec } from "./contracts-spec.js";
import { deploymentOrder, sameChainDependencies } from "./contracts-references.js";

/** The deployments' names by wave, in deploymentOrder's order within a wave. Throws for a cycle. */
export function deploymentWaves(deployments: readonly DeploymentSpec[], chain: ChainRole): string[][] {
  const waveOf = new Map<string, number>();
  const waves: string[][] = [];
  // In dependency order, every same-chain dependency already has its wave; an existing contract has none.
  for (const deployment of deploymentOrder(deployments, chain)) {
    const after = sameChainDependencies(deployment, chain).map((name) => waveOf.get(name) ?? -1);
    const wave = Math.max(-1, ...after) + 1;
    waveOf.set(deployment.name, wave);
    (waves[wave] ??= []).push(deployment.name);
  }
  return waves;
}
