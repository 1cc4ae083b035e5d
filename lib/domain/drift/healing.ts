/**
 * Which nodes drift healing restarts, and in which waves: a node whose StatefulSet a check found
 * deleted or edited is put back through the rollout's QBFT-safe waves (changes/waves.ts), at most
 * `rollout.maxUnavailableValidators` validators of the set per wave. Deleted ones come first: their
 * pods are down already, so restoring them only brings validators back, and by the time an edited
 * one is restarted (taking it down) every deleted one is up again and counted by the wave's gate.
 */
import { planWaves, type Wave } from "../changes/waves.js";
import { setValidatorMembers, type NetworkRecord } from "../network-record.js";
import type { NodeRole, RegionPlan } from "../plan.js";
import type { DriftFinding } from "./report.js";

/** A node whose StatefulSet differs from the desired state. */
export interface NodeToHeal {
  nodeId: string;
  region: string;
  role: NodeRole;
  /** Its StatefulSet is gone (restored in its wave), rather than edited (its pod restarted in its wave). */
  deleted: boolean;
}

/** The nodes of `plans` whose StatefulSet has a `kubernetes` finding, deleted ones first, else in plan order. */
export function nodesToHeal(plans: readonly RegionPlan[], findings: readonly DriftFinding[]): NodeToHeal[] {
  const nodes = plans.flatMap((plan) =>
    plan.clusters.flatMap((cluster) =>
      cluster.nodes.flatMap((node): NodeToHeal[] => {
        const own = findings.filter(
          (finding) =>
            finding.kind === "kubernetes" &&
            finding.region === node.region &&
            finding.resource === `StatefulSet/${node.statefulSetName}`,
        );
        if (own.length === 0) return [];
        const deleted = own.some((finding) => finding.field === "(object)");
        return [{ nodeId: node.id, region: node.region, role: node.role, deleted }];
      }),
    ),
  );
  return [...nodes.filter((node) => node.deleted), ...nodes.filter((node) => !node.deleted)];
}

/** The waves that heal `nodes` on the network `record`, with at most `maxUnavailable` validators of its set down. */
export function healingWaves(nodes: readonly NodeToHeal[], record: NetworkRecord, maxUnavailable: number): Wave[] {
  const inSet = new Set(setValidatorMembers(record).map((member) => member.nodeId));
  return planWaves(
    nodes.map((node) => ({
      nodeId: node.nodeId,
      region: node.region,
      role: node.role,
      inValidatorSet: inSet.has(node.nodeId),
    })),
    record.validators.length,
    maxUnavailable,
  );
}
