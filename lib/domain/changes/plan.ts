/**
 * The change plan: what a rollout of a spec does to the network as it was recorded, decided
 * before anything changes (the dry run shows it; a real start runs it). Per node: create (not
 * deployed yet), update with the reasons (its fingerprint differs from the recorded one),
 * unchanged, or remove (on record, no longer in the spec: voted out, then stopped); and the waves
 * in which the updates restart (waves.ts); and, with `rollout.deprovision: delete`, the clusters
 * that ran only removed nodes, deleted once those are out. A plan that cannot keep quorum is
 * refused with the reasons, each at the spec path to fix.
 */
import { faultTolerance, quorumSize } from "@besu-fleet/qbft";
import { z } from "zod";
import { nodeStatefulSet } from "../manifests/besu-workloads.js";
import type { NetworkRecord } from "../network-record.js";
import {
  clusterName,
  nodeRoleSchema,
  planRollout,
  resourceGroupName,
  type NodePlan,
  type RegionPlan,
} from "../plan.js";
import { type DesiredState } from "../spec.js";
import { totalValidators, type SpecProblem } from "../spec-validation.js";
import {
  appliedNodeSchema,
  changeReasons,
  changeReasonSchema,
  fingerprintOf,
  type AppliedNode,
} from "./fingerprint.js";
import { planWaves, waveSchema, type RestartingNode } from "./waves.js";

export const nodeChangeSchema = z.object({
  nodeId: z.string(),
  region: z.string(),
  role: nodeRoleSchema,
  action: z.enum(["create", "update", "unchanged", "remove"]),
  reasons: z.array(changeReasonSchema),
});
export type NodeChange = z.infer<typeof nodeChangeSchema>;

/** A cluster the spec no longer places, which ran only removed nodes: deleted under `deprovision: delete`. */
export const droppedClusterSchema = z.object({
  region: z.string(),
  clusterOrdinal: z.int().min(1),
  resourceGroup: z.string(),
  clusterName: z.string(),
});
export type DroppedCluster = z.infer<typeof droppedClusterSchema>;

export const changePlanSchema = z.object({
  network: z.string(),
  /** Validators in the chain's set as recorded (the spec's count for a network not formed yet). */
  validators: z.int().min(0),
  quorum: z.int().min(0),
  faultTolerance: z.int().min(0),
  /** The most validators of the set a wave takes down: rollout.maxUnavailableValidators. */
  maxValidatorsDown: z.int().min(1),
  regions: z.array(
    z.object({
      region: z.string(),
      action: z.enum(["create", "update", "unchanged", "remove"]),
      nodes: z.array(nodeChangeSchema),
    }),
  ),
  waves: z.array(waveSchema),
  /** Nodes removed after the waves: validators voted out one at a time, then every pod stopped. */
  removals: z.array(appliedNodeSchema.omit({ fingerprint: true }).extend({ address: z.string().optional() })),
  /** What becomes of the clusters of regions the spec dropped. */
  deprovision: z.enum(["retain", "delete"]),
  /** The clusters deleted after the removals (none unless `deprovision` is delete). */
  droppedClusters: z.array(droppedClusterSchema),
  /** What each node of the spec will run with once the plan is done, for the network record. */
  applied: z.array(appliedNodeSchema),
});
export type ChangePlan = z.infer<typeof changePlanSchema>;
export type NodeRemoval = ChangePlan["removals"][number];

export type ChangePlanDecision = { ok: true; plan: ChangePlan } | { ok: false; problems: SpecProblem[] };

/** A recorded node's role and ordinal from its id (`<region>/<role>-<ordinal>`). */
function parseNodeId(nodeId: string): { region: string; role: "validator" | "sentry"; ordinal: number } | undefined {
  const match = /^([a-z0-9]+)\/(validator|sentry)-(\d+)$/.exec(nodeId);
  if (match === null) return undefined;
  return { region: match[1], role: match[2] as "validator" | "sentry", ordinal: Number(match[3]) };
}

interface PlannedNode {
  node: NodePlan;
  clusterOrdinal: number;
  change: NodeChange;
  applied: AppliedNode | undefined;
}

function planNodes(
  spec: DesiredState,
  record: NetworkRecord | undefined,
  regionPlans: readonly RegionPlan[] = planRollout(spec),
): PlannedNode[] {
  const members = new Map((record?.members ?? []).map((member) => [member.nodeId, member]));
  const recorded = new Map((record?.nodes ?? []).map((node) => [node.nodeId, node]));
  return regionPlans.flatMap((plan) =>
    plan.clusters.flatMap((cluster) =>
      cluster.nodes.map((node): PlannedNode => {
        const member = members.get(node.id);
        const base = { nodeId: node.id, region: node.region, role: node.role };
        if (member === undefined)
          return {
            node,
            clusterOrdinal: cluster.ordinal,
            change: { ...base, action: "create", reasons: [] },
            applied: undefined,
          };
        const fingerprint = fingerprintOf(
          nodeStatefulSet({ network: spec.network, plan, cluster, p2pHosts: { [node.id]: member.p2pHost } }, node),
        );
        const reasons = changeReasons(recorded.get(node.id)?.fingerprint, fingerprint);
        return {
          node,
          clusterOrdinal: cluster.ordinal,
          change: { ...base, action: reasons.length === 0 ? "unchanged" : "update", reasons },
          applied: { ...base, ordinal: node.ordinal, clusterOrdinal: cluster.ordinal, fingerprint },
        };
      }),
    ),
  );
}

/** What every node of the spec that has keys in `record` runs with once the spec is applied. */
export function appliedNodes(spec: DesiredState, record: NetworkRecord): AppliedNode[] {
  return planNodes(spec, record).flatMap((entry) => (entry.applied === undefined ? [] : [entry.applied]));
}

function removalsOf(record: NetworkRecord | undefined, planned: PlannedNode[]): NodeRemoval[] {
  const kept = new Set(planned.map((entry) => entry.node.id));
  const recorded = new Map((record?.nodes ?? []).map((node) => [node.nodeId, node]));
  return (record?.members ?? []).flatMap((member): NodeRemoval[] => {
    if (kept.has(member.nodeId)) return [];
    const parsed = parseNodeId(member.nodeId);
    if (parsed === undefined) return [];
    // NOTE: a record written before nodes were recorded does not say which cluster ran the node; the first one did
    // unless the region had several clusters, which such records never combined with removal.
    const clusterOrdinal = recorded.get(member.nodeId)?.clusterOrdinal ?? 1;
    return [
      {
        nodeId: member.nodeId,
        region: parsed.region,
        role: parsed.role,
        ordinal: parsed.ordinal,
        clusterOrdinal,
        ...(member.role === "validator" && record?.validators.includes(member.address)
          ? { address: member.address }
          : {}),
      },
    ];
  });
}

/** The clusters that ran removed nodes and that the spec no longer places, when the policy deletes them. */
function droppedClustersOf(
  spec: DesiredState,
  regionPlans: readonly RegionPlan[],
  removals: readonly NodeRemoval[],
): DroppedCluster[] {
  if (spec.rollout.deprovision !== "delete") return [];
  const placed = new Set(regionPlans.flatMap((plan) => plan.clusters.map((cluster) => cluster.name)));
  const dropped = new Map<string, DroppedCluster>();
  for (const removal of removals) {
    const name = clusterName(spec.network.name, removal.region, removal.clusterOrdinal);
    if (placed.has(name) || dropped.has(name)) continue;
    dropped.set(name, {
      region: removal.region,
      clusterOrdinal: removal.clusterOrdinal,
      resourceGroup: resourceGroupName(spec.network.name, removal.region),
      clusterName: name,
    });
  }
  return [...dropped.values()];
}

function problemsOf(spec: DesiredState, validatorCount: number, removals: readonly NodeRemoval[]): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const maxDown = spec.rollout.maxUnavailableValidators;
  const targetCount = totalValidators(spec);
  // The waves run on the network as it is; later rollouts run on the network the spec makes.
  const sizes = new Map([
    [targetCount, "the spec's"],
    [validatorCount, "the network's"],
  ]);
  for (const [count, which] of sizes) {
    if (count > 0 && maxDown > faultTolerance(count))
      problems.push({
        path: "rollout.maxUnavailableValidators",
        message: `${maxDown} is above f = ⌊(n − 1) / 3⌋ = ${faultTolerance(count)} for ${which} ${count} validators: with more down, QBFT (quorum ${quorumSize(count)}) may halt`,
      });
  }
  // The spec's own validation keeps the validators it places at rollout.minValidators or more;
  // what only the plan knows is whether the ones that stay can vote the others out.
  const votedOut = removals.filter((removal) => removal.address !== undefined).length;
  if (votedOut > 0) {
    const staying = validatorCount - votedOut;
    if (staying * 2 <= validatorCount)
      problems.push({
        path: "regions",
        message: `the spec removes ${votedOut} of the network's ${validatorCount} validators: the ${staying} that stay are not a majority and cannot vote them out; remove fewer regions per rollout`,
      });
  }
  return problems;
}

/**
 * The plan for rolling out `spec` over the network `record` (undefined: not formed yet). Waves
 * and removals are decided against the recorded validator set; adding validators is the
 * admission phase's vote and needs no wave.
 */
export function planChanges(spec: DesiredState, record: NetworkRecord | undefined): ChangePlanDecision {
  const regionPlans = planRollout(spec);
  const planned = planNodes(spec, record, regionPlans);
  const removals = removalsOf(record, planned);
  const validatorCount = record?.validators.length ?? totalValidators(spec);
  const problems = problemsOf(spec, validatorCount, removals);
  if (problems.length > 0) return { ok: false, problems };
  const inSet = new Set(record?.validators ?? []);
  const addressOf = new Map((record?.members ?? []).map((member) => [member.nodeId, member.address]));
  const restarting: RestartingNode[] = planned
    .filter((entry) => entry.change.action === "update")
    .map((entry) => ({
      nodeId: entry.node.id,
      region: entry.node.region,
      role: entry.node.role,
      inValidatorSet: entry.node.role === "validator" && inSet.has(addressOf.get(entry.node.id) ?? ""),
    }));
  const removedChanges = removals.map((removal): NodeChange => ({
    nodeId: removal.nodeId,
    region: removal.region,
    role: removal.role,
    action: "remove",
    reasons: [],
  }));
  const changes = [...planned.map((entry) => entry.change), ...removedChanges];
  const regionNames = [...new Set(changes.map((change) => change.region))];
  return {
    ok: true,
    plan: {
      network: spec.network.name,
      validators: validatorCount,
      quorum: validatorCount > 0 ? quorumSize(validatorCount) : 0,
      faultTolerance: validatorCount > 0 ? faultTolerance(validatorCount) : 0,
      maxValidatorsDown: spec.rollout.maxUnavailableValidators,
      regions: regionNames.map((region) => {
        const nodes = changes.filter((change) => change.region === region);
        const actions = new Set(nodes.map((change) => change.action));
        // A region whose nodes do different things is updated as a whole.
        const action = actions.size === 1 ? nodes[0].action : "update";
        return { region, action, nodes };
      }),
      waves: planWaves(restarting, validatorCount, spec.rollout.maxUnavailableValidators),
      removals,
      deprovision: spec.rollout.deprovision,
      droppedClusters: droppedClustersOf(spec, regionPlans, removals),
      applied: planned.flatMap((entry) => (entry.applied === undefined ? [] : [entry.applied])),
    },
  };
}
