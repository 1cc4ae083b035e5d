/**
 * The order in which a change restarts a live network's nodes. Validators first, at most
 * `maxUnavailable` per wave (never above f), so that the validators up in every wave keep a
 * quorum with a margin; a region's validators stay together where the budget allows, so a wave
 * touches few clusters. Then sentries: wave j restarts the j-th sentry of every region, so a
 * region with two or more sentries always keeps one serving RPC and outside peers (a region with
 * one sentry cannot, and sentries carry no consensus traffic: validators peer directly).
 */
import { quorumSize } from "@besu-fleet/qbft";
import { z } from "zod";
import type { NodeRole } from "../plan.js";

export const waveSchema = z.object({
  /** 1-based, in the order the waves run. */
  index: z.int().min(1),
  kind: z.enum(["validators", "sentries"]),
  /** Node ids restarted in this wave. */
  nodes: z.array(z.string()),
  /** Node ids of the validators of the current set that are down while the wave restarts. */
  validatorsDown: z.array(z.string()),
  /** Validators of the current set that stay up during the wave. */
  validatorsUp: z.int().min(0),
  /** Validators QBFT needs up to produce blocks: ceil(2n/3). */
  quorum: z.int().min(1),
  quorumKept: z.boolean(),
});
export type Wave = z.infer<typeof waveSchema>;

/** A node that restarts: its id, region and role, and whether it is in the current validator set. */
export interface RestartingNode {
  nodeId: string;
  region: string;
  role: NodeRole;
  inValidatorSet: boolean;
}

/** Splits `items` into consecutive groups of at most `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let start = 0; start < items.length; start += size) groups.push(items.slice(start, start + size));
  return groups;
}

/**
 * The waves for the nodes to restart, in the given order (the spec's region order), on a network
 * of `validatorCount` validators, with at most `maxUnavailable` validators of the set down at once.
 */
export function planWaves(
  restarting: readonly RestartingNode[],
  validatorCount: number,
  maxUnavailable: number,
): Wave[] {
  const quorum = quorumSize(Math.max(1, validatorCount));
  const validatorWaves = chunks(
    restarting.filter((node) => node.role === "validator"),
    Math.max(1, maxUnavailable),
  );
  const sentriesByRegion = new Map<string, RestartingNode[]>();
  for (const node of restarting.filter((entry) => entry.role === "sentry"))
    sentriesByRegion.set(node.region, [...(sentriesByRegion.get(node.region) ?? []), node]);
  const sentryWaveCount = Math.max(0, ...[...sentriesByRegion.values()].map((sentries) => sentries.length));
  const sentryWaves = Array.from({ length: sentryWaveCount }, (_, round) =>
    [...sentriesByRegion.values()].flatMap((sentries) => (round < sentries.length ? [sentries[round]] : [])),
  );
  return [
    ...validatorWaves.map((nodes) => ({ kind: "validators" as const, nodes })),
    ...sentryWaves.map((nodes) => ({ kind: "sentries" as const, nodes })),
  ].map(({ kind, nodes }, position) => {
    const validatorsDown = nodes.filter((node) => node.inValidatorSet).map((node) => node.nodeId);
    const validatorsUp = validatorCount - validatorsDown.length;
    return {
      index: position + 1,
      kind,
      nodes: nodes.map((node) => node.nodeId),
      validatorsDown,
      validatorsUp,
      quorum,
      quorumKept: validatorsDown.length <= maxUnavailable && validatorsUp >= quorum,
    };
  });
}
