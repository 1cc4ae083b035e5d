/**
 * Asking every cluster about some of its nodes at once — one observeNodes activity per cluster,
 * in parallel, each retried in its region's scope — for the phases that look at the live network
 * (key-check, verifying). Each cluster's outcome comes back with the nodes it was asked about, so
 * a phase decides itself what a cluster that could not be asked means for its nodes.
 */
import type { Task } from "durable-functions";
import { observeNodes, type ActivitySuccess } from "../../activities/contracts.js";
import type { ObservationScope } from "../../lib/besu/observe.js";
import type { RegionPlan } from "../../lib/domain/plan.js";
import { activity, settleAll, type Outcome } from "../durable.js";
import { advance, retryScope, type RolloutRun, type RolloutState } from "./run.js";

type PlannedNode = RegionPlan["clusters"][number]["nodes"][number];

/** One cluster's answer about the nodes it was asked about. */
export interface ClusterObservation {
  plan: RegionPlan;
  nodes: PlannedNode[];
  outcome: Outcome<ActivitySuccess<typeof observeNodes>> | undefined;
}

/** Observes the nodes of `regions` for which `wanted` holds; clusters with none are not asked. */
export function* observeClusters(
  run: RolloutRun,
  state: { current: RolloutState },
  regions: readonly RegionPlan[],
  scope: ObservationScope,
  wanted: (node: PlannedNode) => boolean,
): Generator<Task, ClusterObservation[], unknown> {
  const clusters = regions.flatMap((plan) =>
    plan.clusters
      .map((cluster) => ({ plan, cluster, nodes: cluster.nodes.filter(wanted) }))
      .filter((entry) => entry.nodes.length > 0),
  );
  const outcomes = yield* settleAll(
    run.context,
    clusters.map(({ plan, cluster, nodes }) =>
      activity(
        run.context,
        observeNodes,
        {
          cluster: { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region },
          namespace: cluster.namespace,
          nodes,
          scope,
        },
        retryScope(run, [plan.region], (change) => (state.current = advance(run, state.current, change))),
      ),
    ),
    run.cancel,
  );
  return clusters.map(({ plan, nodes }, index) => ({ plan, nodes, outcome: outcomes[index] }));
}
