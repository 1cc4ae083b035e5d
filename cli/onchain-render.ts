/**
 * Text views of a rollout's on-chain phases: each deployment, CCIP ensure-step and top-up with its
 * state and transaction hashes (the live view, the final report and the change lines of a watch),
 * and the contract table of `besu-fleet contracts list`. Pure, like cli/rollout-render.ts.
 */
import type { OnChainStatus } from "../lib/domain/onchain-status.js";
import type { RolloutStatus } from "../lib/domain/rollout-status.js";

/** One line per deployment, step and top-up: what it is, its state, its hashes or error. */
function entryLines(onChain: OnChainStatus): string[] {
  const tail = (hashes: readonly (string | undefined)[], error: string | undefined): string =>
    error !== undefined
      ? ` — ${error}`
      : hashes
          .filter((hash) => hash !== undefined)
          .map((hash) => ` ${hash}`)
          .join("");
  return [
    ...onChain.deployments.map(
      (entry) =>
        `contract ${entry.chain}.${entry.name}: ${entry.state}${entry.address === undefined ? "" : ` at ${entry.address}`}${tail([entry.hash], entry.error)}`,
    ),
    ...onChain.ccipSteps.map(
      (entry) => `ccip ${entry.name} (${entry.chain}): ${entry.state}${tail(entry.hashes, entry.error)}`,
    ),
    ...onChain.topUps.map(
      (entry) =>
        `funding ${entry.name} (${entry.chain}): ${entry.state}${entry.sent === undefined ? "" : `, sent ${entry.sent}`}${tail([entry.hash], entry.error)}`,
    ),
  ];
}

/** The on-chain section of the live view and the final report (nothing for a spec without one). */
export function renderOnChain(status: RolloutStatus): string[] {
  if (status.onChain === undefined) return [];
  const problems = status.onChain.verificationProblems;
  const verification =
    problems === undefined
      ? []
      : problems.length === 0
        ? ["On-chain verification passed"]
        : ["On-chain verification FAILED:", ...problems.map((problem) => `  ${problem}`)];
  return ["", "On-chain:", ...entryLines(status.onChain).map((line) => `  ${line}`), ...verification];
}

/** For a watch whose output is not a terminal: the on-chain lines that changed. */
export function renderOnChainChanges(previous: RolloutStatus | undefined, next: RolloutStatus): string[] {
  if (next.onChain === undefined) return [];
  const before = new Set(previous?.onChain === undefined ? [] : entryLines(previous.onChain));
  const at = next.updatedAt.slice(11, 19);
  return entryLines(next.onChain)
    .filter((line) => !before.has(line))
    .map((line) => `${at}   ${line}`);
}

/** `besu-fleet contracts list`: the deployed contracts per chain. */
export function renderContracts(status: RolloutStatus): string[] {
  const contracts = status.contracts ?? [];
  if (contracts.length === 0) return [`Rollout ${status.rolloutId} has deployed no contracts (phase ${status.phase}).`];
  const rows = contracts.map((contract) => [contract.chain, contract.name, contract.address, contract.codeHash]);
  const header = ["CHAIN", "NAME", "ADDRESS", "CODE HASH"];
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => (row[column] ?? "").length)));
  return [header, ...rows].map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}
