/**
 * What the metrics (lib/telemetry/metrics.ts) record, read from the documents and observations the
 * activities already hold: durations from a rollout's final status, finding counts from a drift
 * report, the health of one cluster's nodes from an observation. Pure.
 */
import type { DriftReport } from "./drift/report.js";
import { driftKindSchema } from "./drift/spec.js";
import type { NodePlan } from "./plan.js";
import type { RolloutStatus } from "./rollout-status.js";

export interface RolloutDurations {
  network: string;
  state: string;
  /** Absent while the status has no end time. */
  rolloutSeconds?: number;
  /** Regions that started and ended (their last attempt). */
  regions: Array<{ region: string; state: string; seconds: number }>;
  /** Phases that ended. */
  phases: Array<{ phase: string; seconds: number }>;
}

function secondsBetween(startedAt: string | undefined, finishedAt: string | undefined): number | undefined {
  if (startedAt === undefined || finishedAt === undefined) return undefined;
  return Math.max(0, (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000);
}

/** The durations a finished rollout's status holds; what has not ended is left out. */
export function rolloutDurations(status: RolloutStatus): RolloutDurations {
  const rolloutSeconds = secondsBetween(status.createdAt, status.finishedAt);
  return {
    network: status.network,
    state: status.state,
    ...(rolloutSeconds === undefined ? {} : { rolloutSeconds }),
    regions: status.regions.flatMap(({ region, state, startedAt, finishedAt }) => {
      const seconds = secondsBetween(startedAt, finishedAt);
      return seconds === undefined ? [] : [{ region, state, seconds }];
    }),
    phases: status.phases.flatMap(({ phase, startedAt, finishedAt }) => {
      const seconds = secondsBetween(startedAt, finishedAt);
      return seconds === undefined ? [] : [{ phase, seconds }];
    }),
  };
}

export type DriftFindingStatus = "found" | "ignored" | "unknown";

/**
 * Findings of one drift check by kind and status. Every drift kind appears with every status,
 * zeros included, so that a gauge of a kind that was drifting drops to 0 once it is resolved.
 */
export function driftFindingCounts(
  report: Pick<DriftReport, "findings" | "ignored" | "unknown">,
): Array<{ kind: string; status: DriftFindingStatus; count: number }> {
  const lists: Record<DriftFindingStatus, ReadonlyArray<{ kind: string }>> = {
    found: report.findings,
    ignored: report.ignored,
    unknown: report.unknown,
  };
  const kinds = new Set<string>([
    ...driftKindSchema.options,
    ...Object.values(lists)
      .flat()
      .map(({ kind }) => kind),
  ]);
  return [...kinds].flatMap((kind) =>
    (Object.keys(lists) as DriftFindingStatus[]).map((status) => ({
      kind,
      status,
      count: lists[status].filter((entry) => entry.kind === kind).length,
    })),
  );
}

/** What an observation of one cluster's nodes says about its health. */
export interface ClusterHealth {
  /** The highest block any node reported; absent when none answered with one. */
  height?: number;
  /** Validators that answered and are ready. */
  validatorsUp: number;
}

export function clusterHealth(
  nodes: ReadonlyArray<Pick<NodePlan, "id" | "role">>,
  observations: ReadonlyArray<{ nodeId: string; reachable: boolean; blockNumber?: number; ready?: boolean }>,
): ClusterHealth {
  const validators = new Set(nodes.filter((node) => node.role === "validator").map((node) => node.id));
  const heights = observations.flatMap((observation) =>
    observation.reachable && observation.blockNumber !== undefined ? [observation.blockNumber] : [],
  );
  return {
    ...(heights.length === 0 ? {} : { height: Math.max(...heights) }),
    validatorsUp: observations.filter(
      (observation) => validators.has(observation.nodeId) && observation.reachable && observation.ready !== false,
    ).length,
  };
}
