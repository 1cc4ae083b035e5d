/**
 * Safe healing (`drift.remediate: safe`), through the rollout's own path. First the Kubernetes
 * configuration of every cluster of a region with `kubernetes` findings is applied again
 * (`configureCluster`, `deployBesu`) from the baseline rollout's documents, in parallel: edited
 * objects get our values back and deleted ones come back. The StatefulSets with findings are left
 * out of that apply: a StatefulSet created starts its pod at once, and one applied in a wave that
 * is never reached would hide its drift from the next check while its pod still runs the edited
 * template. They go through the rollout's QBFT-safe waves instead (lib/domain/drift/healing.ts,
 * orchestrators/rollout/wave.ts): per wave the same gate, at most `rollout.maxUnavailableValidators`
 * validators of the set down, the wave's StatefulSets applied, its stale pods restarted, and every
 * node waited for until it rejoined before the next wave; a wave that does not come back ends the
 * healing with the network live. ARM and Besu findings are never healed: clusters are not
 * recreated and validators not voted in or out by a drift check.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { configureCluster, deployBesu, loadNetworkRecord } from "../../activities/contracts.js";
import type { DriftBaseline } from "../../activities/drift-contracts.js";
import { healingWaves, nodesToHeal, type NodeToHeal } from "../../lib/domain/drift/healing.js";
import type { DriftAction, DriftFinding } from "../../lib/domain/drift/report.js";
import { setValidatorMembers, type NetworkRecord } from "../../lib/domain/network-record.js";
import type { ClusterPlan, RegionPlan } from "../../lib/domain/plan.js";
import { activity, call, settleAll, type Pending, type RetryScope } from "../durable.js";
import { placedNodes, runWave, type Placed, type WaveDriver, type WaveResult } from "../rollout/wave.js";

interface ClusterWork {
  plan: RegionPlan;
  cluster: ClusterPlan;
}

/** What healing works with: the check's context, the baseline, the retry policy, the actions so far. */
interface Healing {
  context: OrchestrationContext;
  baseline: DriftBaseline;
  retry: RetryScope;
  actions: DriftAction[];
}

/** The clusters of the regions with a finding of kind `kubernetes` (a region's clusters share the plan). */
function clustersToHeal(plans: readonly RegionPlan[], findings: readonly DriftFinding[]): ClusterWork[] {
  const regions = new Set(findings.filter((finding) => finding.kind === "kubernetes").map((finding) => finding.region));
  return plans
    .filter((plan) => regions.has(plan.region))
    .flatMap((plan) => plan.clusters.map((cluster) => ({ plan, cluster })));
}

/** What `configureCluster` applies a cluster's configuration from: the baseline rollout's spec. */
const configurationOf = ({ plan, cluster }: ClusterWork, baseline: DriftBaseline) => ({
  cluster: { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region },
  regionPlan: plan,
  clusterOrdinal: cluster.ordinal,
  specDocument: baseline.specDocument,
});

/** What `deployBesu` applies the StatefulSets of `nodes` (and the shared ConfigMaps) from: the baseline's documents. */
const deploymentOf = (entry: ClusterWork, baseline: DriftBaseline, nodes: readonly string[]) => ({
  ...configurationOf(entry, baseline),
  networkDocument: baseline.networkDocument,
  nodes: [...nodes],
});

/** Starts the work of every cluster at once and records each outcome as an action; returns the clusters it succeeded on. */
function* applyEverywhere(
  healing: Healing,
  work: readonly ClusterWork[],
  action: string,
  start: (entry: ClusterWork) => Pending<{ applied: number }>,
): Generator<Task, ClusterWork[], unknown> {
  const outcomes = yield* settleAll(healing.context, work.map(start));
  return work.filter((entry, index) => {
    const outcome = outcomes[index];
    healing.actions.push({
      region: entry.plan.region,
      resource: entry.cluster.name,
      action,
      ok: outcome.ok,
      detail: outcome.ok ? `${outcome.value.applied} objects applied` : outcome.cause,
    });
    return outcome.ok;
  });
}

/** Applies the wave's StatefulSets, per cluster at once: a deleted one's pod starts now, an edited one's at its restart. */
function applying(healing: Healing, nodes: readonly Placed[]) {
  return function* (): Generator<Task, WaveResult, unknown> {
    const clusters = new Map<string, { work: ClusterWork; nodes: string[] }>();
    for (const { plan, cluster, node } of nodes) {
      const entry = clusters.get(cluster.name) ?? { work: { plan, cluster }, nodes: [] };
      clusters.set(cluster.name, { ...entry, nodes: [...entry.nodes, node.id] });
    }
    const work = [...clusters.values()];
    const applied = yield* applyEverywhere(
      healing,
      work.map((entry) => entry.work),
      "re-apply StatefulSets",
      (entry) =>
        activity(
          healing.context,
          deployBesu,
          deploymentOf(entry, healing.baseline, clusters.get(entry.cluster.name)?.nodes ?? []),
          healing.retry,
        ),
    );
    return applied.length === work.length
      ? { ok: true }
      : { ok: false, cause: "a StatefulSet could not be applied (see its action)" };
  };
}

/** Runs the healing waves one after another; stops at the first that does not come back. */
function* healInWaves(
  healing: Healing,
  plans: readonly RegionPlan[],
  record: NetworkRecord,
  nodes: readonly NodeToHeal[],
): Generator<Task, void, unknown> {
  const { baseline } = healing;
  const placed = placedNodes(plans);
  const deleted = new Set(nodes.filter((node) => node.deleted).map((node) => node.nodeId));
  const driver: WaveDriver = { context: healing.context, spec: baseline.spec };
  const waves = healingWaves(nodes, record, baseline.spec.rollout.maxUnavailableValidators);
  for (const [position, wave] of waves.entries()) {
    const waveNodes = wave.nodes.flatMap((nodeId) => placed.get(nodeId) ?? []);
    // A validator whose StatefulSet is gone and waits for a later wave is down whatever this wave
    // does: counting it would hold the wave that brings the first one back forever.
    const later = waves.slice(position + 1).flatMap((next) => next.nodes);
    const others = setValidatorMembers(record)
      .filter((member) => !wave.nodes.includes(member.nodeId))
      .filter((member) => !(deleted.has(member.nodeId) && later.includes(member.nodeId)))
      .flatMap((member) => placed.get(member.nodeId) ?? []);
    const result = yield* runWave(driver, record, healing.retry, wave, waveNodes, others, applying(healing, waveNodes));
    healing.actions.push({
      region: [...new Set(waveNodes.map((entry) => entry.plan.region))].join(", "),
      resource: wave.nodes.join(", "),
      action: `restart wave ${wave.index} of ${waves.length} (${wave.kind}, ${wave.validatorsDown.length} of ${record.validators.length} validators down)`,
      ok: result.ok,
      detail: result.ok
        ? "every node rejoined"
        : `${result.cause}${later.length === 0 ? "" : `; later waves not run: ${later.join(", ")}`}`,
    });
    // Never a next wave on a degraded network.
    if (!result.ok) return;
  }
}

/** Heals the Kubernetes findings; returns what was done, each step with its outcome. */
export function* healKubernetes(
  context: OrchestrationContext,
  baseline: DriftBaseline,
  plans: readonly RegionPlan[],
  findings: readonly DriftFinding[],
  retry: RetryScope,
): Generator<Task, DriftAction[], unknown> {
  const healing: Healing = { context, baseline, retry, actions: [] };
  const work = clustersToHeal(plans, findings);
  const toHeal = nodesToHeal(plans, findings);
  const inWaves = new Set(toHeal.map((node) => node.nodeId));
  const configured = yield* applyEverywhere(healing, work, "re-apply cluster configuration", (entry) =>
    activity(context, configureCluster, configurationOf(entry, baseline), retry),
  );
  const deployed = yield* applyEverywhere(healing, configured, "re-apply Besu workloads", (entry) =>
    activity(
      context,
      deployBesu,
      deploymentOf(
        entry,
        baseline,
        entry.cluster.nodes.filter((node) => !inWaves.has(node.id)).map((node) => node.id),
      ),
      retry,
    ),
  );
  // A node of a cluster whose configuration could not be applied is not restarted over it.
  const ready = new Set(deployed.flatMap((entry) => entry.cluster.nodes.map((node) => node.id)));
  const nodes = toHeal.filter((node) => ready.has(node.nodeId));
  if (nodes.length === 0) return healing.actions;
  const loaded = yield* call(context, loadNetworkRecord, { network: baseline.spec.network.name }, retry);
  if (!loaded.ok || loaded.value.record === null) {
    healing.actions.push({
      region: "-",
      resource: nodes.map((node) => node.nodeId).join(", "),
      action: "restart in waves",
      ok: false,
      detail: loaded.ok ? "no network record" : `the network record could not be read: ${loaded.cause}`,
    });
    return healing.actions;
  }
  yield* healInWaves(healing, plans, loaded.value.record, nodes);
  return healing.actions;
}
