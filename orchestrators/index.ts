/** Every orchestration of the app, bound to its contract; the composition root (app.ts) registers them. */
import * as df from "durable-functions";
import { chainContractsOrchestrator } from "./chain-contracts.js";
import type { Orchestration } from "./contracts.js";
import { driftCheckOrchestrator } from "./drift/index.js";
import { regionDeployOrchestrator, regionProvisionOrchestrator } from "./region.js";
import { rolloutOrchestrator } from "./rollout/index.js";

export const orchestrations: readonly Orchestration[] = [
  rolloutOrchestrator,
  regionProvisionOrchestrator,
  regionDeployOrchestrator,
  chainContractsOrchestrator,
  driftCheckOrchestrator,
];

/** Registers every orchestration under its contract's name. */
export function registerOrchestrations(): void {
  for (const { contract, handler } of orchestrations) df.app.orchestration(contract.name, handler);
}
