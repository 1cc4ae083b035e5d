/**
 * The text form of a change plan for `besu-fleet rollout plan`: per region and node the action
 * and its reasons, the waves in order with the validators down and the quorum each keeps, and
 * the removals with the clusters deleted after them. It shows why a change is safe; `--json` prints the API's plan as it is.
 */
import type { ChangePlan, NodeChange } from "../lib/domain/changes/plan.js";

function nodeLine(node: NodeChange): string {
  const name = node.nodeId.slice(node.region.length + 1);
  return node.reasons.length > 0 ? `${name} ${node.action} (${node.reasons.join(", ")})` : `${name} ${node.action}`;
}

/** The lines `rollout plan` prints for a plan. */
export function renderChangePlan(plan: ChangePlan): string[] {
  const width = Math.max(6, ...plan.regions.map((region) => region.region.length));
  const lines = [
    `Change plan for network ${plan.network}: ${plan.validators} validators, quorum ${plan.quorum}, f = ${plan.faultTolerance}; at most ${plan.maxValidatorsDown} validator(s) down per wave.`,
    "",
    "Regions:",
    ...plan.regions.map(
      (region) =>
        `  ${region.region.padEnd(width)}  ${region.action.padEnd(9)}  ${region.nodes.map(nodeLine).join(", ")}`,
    ),
  ];
  lines.push(
    "",
    plan.waves.length === 0 ? "Waves: none (no running node restarts)." : `Waves (${plan.waves.length}, in order):`,
  );
  for (const wave of plan.waves) {
    const safety = `${wave.validatorsDown.length} validator(s) down, ${wave.validatorsUp} up, quorum ${wave.quorum}: ${wave.quorumKept ? "kept" : "NOT kept"}`;
    lines.push(`  ${String(wave.index).padStart(3)}  ${wave.kind.padEnd(10)}  ${wave.nodes.join(", ")}  — ${safety}`);
  }
  if (plan.removals.length > 0) {
    lines.push(
      "",
      `Removals (then the clusters of dropped regions are ${plan.deprovision === "delete" ? "deleted" : "kept"}):`,
    );
    for (const removal of plan.removals)
      lines.push(
        `  ${removal.nodeId}${removal.address !== undefined ? ` — voted out (${removal.address}), then stopped` : " — stopped"}`,
      );
    for (const cluster of plan.droppedClusters)
      lines.push(`  cluster ${cluster.clusterName} (${cluster.resourceGroup}) — deleted`);
  }
  return lines;
}
