/**
 * A network's health as one drift check saw it (pure): the height, the block time, how many of the
 * recorded validators are up against the quorum QBFT needs and the faults it tolerates, and per
 * region the height, the nodes and validators up and the fewest validator peers a validator has.
 * Drift checks keep these in their reports and their index (Azure Storage, as many as the spec's
 * `drift.keepReports`), so the dashboard draws the network over time from what the checks already
 * observed — no browser makes the control plane ask 24 clusters.
 */
import { faultTolerance, quorumSize } from "@besu-fleet/qbft";
import { z } from "zod";
import { clusterHealth } from "./measurements.js";
import { projectHeads, type ObservedNode } from "./verification.js";

export const regionHealthSchema = z.object({
  region: z.string(),
  /** The highest block a node of the region reported; absent when none answered with one. */
  height: z.int().min(0).optional(),
  nodes: z.int().min(0),
  nodesUp: z.int().min(0),
  validators: z.int().min(0),
  validatorsUp: z.int().min(0),
  /** The fewest recorded validators a validator of the region is connected to; absent without one that answered. */
  minValidatorPeers: z.int().min(0).optional(),
});
export type RegionHealth = z.infer<typeof regionHealthSchema>;

/** The figures over the whole network, small enough to keep one per check in the drift index. */
export const networkHealthSummarySchema = z.object({
  height: z.int().min(0).optional(),
  /** Seconds per block between the check's two samples; absent when the chain did not move between them. */
  blockSeconds: z.number().positive().optional(),
  validators: z.int().min(0),
  validatorsUp: z.int().min(0),
  /** Validators that must be up and peered for blocks to be made: ceil(2n/3). */
  quorum: z.int().min(0),
  /** Validators that may fail without the chain halting: floor((n-1)/3). */
  faultTolerance: z.int().min(0),
  /** Validators need this many validator peers to reach a quorum with themselves. */
  peersNeeded: z.int().min(0),
});
export type NetworkHealthSummary = z.infer<typeof networkHealthSummarySchema>;

export const networkHealthSchema = networkHealthSummarySchema.extend({ regions: z.array(regionHealthSchema) });
export type NetworkHealth = z.infer<typeof networkHealthSchema>;

export interface HealthInput {
  /** The recorded validator set (addresses) and their public keys, as the drift check expects them. */
  validators: readonly string[];
  validatorPublicKeys: readonly string[];
  /** Every planned node with its region: one that was not observed counts as down. */
  planned: ReadonlyArray<{ region: string; id: string; role: "validator" | "sentry" }>;
  first: readonly ObservedNode[];
  second: readonly ObservedNode[];
}

export function networkHealth(input: HealthInput): NetworkHealth {
  const validatorKeys = new Set(input.validatorPublicKeys.map((key) => key.toLowerCase()));
  const { blocksPerMs } = projectHeads(input.second, new Map(input.first.map((node) => [node.nodeId, node])));
  const regionNames = [...new Set(input.planned.map((node) => node.region))];
  const regions = regionNames.map((region): RegionHealth => {
    const nodes = input.planned.filter((node) => node.region === region);
    const observed = input.second.filter((node) => node.region === region);
    const { height, validatorsUp } = clusterHealth(nodes, observed);
    const peers = observed
      .filter((node) => node.role === "validator" && node.reachable && node.peerPublicKeys !== undefined)
      .map((node) => (node.peerPublicKeys ?? []).filter((key) => validatorKeys.has(key.toLowerCase())).length);
    return {
      region,
      ...(height === undefined ? {} : { height }),
      nodes: nodes.length,
      nodesUp: observed.filter((node) => node.reachable).length,
      validators: nodes.filter((node) => node.role === "validator").length,
      validatorsUp,
      ...(peers.length === 0 ? {} : { minValidatorPeers: Math.min(...peers) }),
    };
  });
  const heights = regions.flatMap(({ height }) => (height === undefined ? [] : [height]));
  const count = input.validators.length;
  const quorum = count === 0 ? 0 : quorumSize(count);
  return {
    ...(heights.length === 0 ? {} : { height: Math.max(...heights) }),
    ...(blocksPerMs > 0 ? { blockSeconds: 1 / (blocksPerMs * 1000) } : {}),
    validators: count,
    validatorsUp: regions.reduce((sum, region) => sum + region.validatorsUp, 0),
    quorum,
    faultTolerance: count === 0 ? 0 : faultTolerance(count),
    peersNeeded: Math.max(0, quorum - 1),
    regions,
  };
}
