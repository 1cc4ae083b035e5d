/**
 * The comparing part of a drift check, as durable work: every cluster is compared in ARM and
 * Kubernetes (one `checkClusterDrift` each) while the first sample of its Besu nodes is taken,
 * all in parallel; after a pause of two block periods the nodes of the clusters that still exist
 * are sampled again, and the Besu comparison runs on the pair (lib/domain/drift/besu.ts). Each
 * chain with recorded contracts, ensure-steps or top-ups is compared (`checkOnChainDrift`, reads
 * only) in the same fan-out. Work
 * that failed after its retries becomes an `unknown`, never a silent pass.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { observeNodes, type ActivitySuccess, type NodeObservation } from "../../activities/contracts.js";
import { checkClusterDrift, checkOnChainDrift, type DriftBaseline } from "../../activities/drift-contracts.js";
import { CHAIN_ROLES, type ChainRole } from "../../lib/domain/contracts-spec.js";
import { besuDrift } from "../../lib/domain/drift/besu.js";
import type { DriftUnknown, ObservedDrift } from "../../lib/domain/drift/report.js";
import { networkHealth, type NetworkHealth } from "../../lib/domain/network-health.js";
import type { ClusterPlan, RegionPlan } from "../../lib/domain/plan.js";
import type { ObservedNode } from "../../lib/domain/verification.js";
import { activity, settleAll, sleep, type Outcome, type Pending, type RetryScope } from "../durable.js";

/** Largest head spread between nodes that is not drift (the rollout's verification allows the same). */
const MAX_HEAD_SPREAD = 3;

interface ClusterWork {
  plan: RegionPlan;
  cluster: ClusterPlan;
}

export interface Comparison {
  observed: ObservedDrift[];
  unknown: DriftUnknown[];
  /** Absent when nothing was compared (no desired state). */
  health?: NetworkHealth;
}

const clusterRef = ({ plan, cluster }: ClusterWork) => ({
  resourceGroup: plan.resourceGroup,
  clusterName: cluster.name,
  region: plan.region,
});

function observing(context: OrchestrationContext, work: ClusterWork, scope: "heads" | "full", retry: RetryScope) {
  return activity(
    context,
    observeNodes,
    { cluster: clusterRef(work), namespace: work.cluster.namespace, nodes: work.cluster.nodes, scope },
    retry,
  );
}

/** A cluster's nodes as observed, or each one unknown with the reason its cluster could not be asked. */
function nodesOf(
  work: ClusterWork,
  outcome: Outcome<{ observations: NodeObservation[] }> | undefined,
): ObservedNode[] | { unknown: DriftUnknown[] } {
  if (outcome === undefined || !outcome.ok)
    return {
      unknown: work.cluster.nodes.map((node) => ({
        kind: "besu" as const,
        region: work.plan.region,
        resource: node.id,
        reason: outcome === undefined ? "not observed" : `the node could not be asked: ${outcome.cause}`,
      })),
    };
  return work.cluster.nodes.map((node) => ({
    ...(outcome.value.observations.find((entry) => entry.nodeId === node.id) ?? {
      reachable: false,
      error: "no observation",
    }),
    nodeId: node.id,
    region: work.plan.region,
    role: node.role,
    // Not needed here: peering is counted by the keys of the peers a node reports.
    publicKey: "",
  }));
}

type Tagged<K extends string, T> = { tag: K; value: T };
type Untagged<K extends string, U> = U extends Tagged<K, infer T> ? T : never;

/** The same work, its success tagged with `tag`. */
function tagged<K extends string, T>(tag: K, pending: Pending<T>): Pending<Tagged<K, T>> {
  const wrapped: Pending<Tagged<K, T>> = {
    get task() {
      return pending.task;
    },
    advance(completed) {
      const outcome = pending.advance(completed);
      return outcome === undefined || !outcome.ok ? outcome : { ok: true, value: { tag, value: outcome.value } };
    },
  };
  return wrapped;
}

/** An outcome of tagged work back in its own type (a success of another tag is a bug in the caller). */
function untag<K extends string, U extends Tagged<string, unknown>>(
  tag: K,
  outcome: Outcome<U>,
): Outcome<Untagged<K, U>> {
  if (!outcome.ok) return outcome;
  if (outcome.value.tag !== tag) throw new Error(`expected ${tag} work, got ${outcome.value.tag}`);
  return { ok: true, value: outcome.value.value as Untagged<K, U> };
}

/** The chains with something to compare: recorded contracts, ensure-steps or top-ups (none without `chains`). */
function chainsToCheck({ spec, contracts }: DriftBaseline): ChainRole[] {
  if (spec.chains === undefined) return [];
  return CHAIN_ROLES.filter(
    (chain) =>
      contracts.some((contract) => contract.chain === chain) ||
      (spec.ccip?.steps ?? []).some((step) => step.chain === chain) ||
      (spec.funding?.topUps ?? []).some((topUp) => topUp.chain === chain),
  );
}

export function* compareNetwork(
  context: OrchestrationContext,
  baseline: DriftBaseline,
  plans: readonly RegionPlan[],
  retry: RetryScope,
): Generator<Task, Comparison, unknown> {
  const work: ClusterWork[] = plans.flatMap((plan) => plan.clusters.map((cluster) => ({ plan, cluster })));
  const checks = work.map((entry) =>
    activity(
      context,
      checkClusterDrift,
      {
        cluster: clusterRef(entry),
        regionPlan: entry.plan,
        clusterOrdinal: entry.cluster.ordinal,
        specDocument: baseline.specDocument,
        networkDocument: baseline.networkDocument,
      },
      retry,
    ),
  );
  const firstSample = work.map((entry) => observing(context, entry, "heads", retry));
  // Contracts and the CCIP lane, per chain, read-only: healing never sends a transaction.
  const chains = chainsToCheck(baseline);
  const chainChecks = chains.map((chain) =>
    activity(
      context,
      checkOnChainDrift,
      { specDocument: baseline.specDocument, chain, contracts: baseline.contracts },
      retry,
    ),
  );
  // One wait for every kind of work, each result tagged with its kind so that it keeps its type.
  const settled = yield* settleAll<
    | Tagged<"check", ActivitySuccess<typeof checkClusterDrift>>
    | Tagged<"sample", ActivitySuccess<typeof observeNodes>>
    | Tagged<"chain", ActivitySuccess<typeof checkOnChainDrift>>
  >(context, [
    ...checks.map((pending) => tagged("check", pending)),
    ...firstSample.map((pending) => tagged("sample", pending)),
    ...chainChecks.map((pending) => tagged("chain", pending)),
  ]);
  const checked = settled.slice(0, work.length).map((outcome) => untag("check", outcome));
  const firstOutcomes = settled.slice(work.length, 2 * work.length).map((outcome) => untag("sample", outcome));
  const chainOutcomes = settled.slice(2 * work.length).map((outcome) => untag("chain", outcome));

  const observed: ObservedDrift[] = [];
  const unknown: DriftUnknown[] = [];
  chainOutcomes.forEach((outcome, index) => {
    if (outcome.ok) {
      observed.push(...outcome.value.observed);
      unknown.push(...outcome.value.unknown);
    } else
      unknown.push({
        kind: "contracts",
        region: chains[index] ?? "network",
        resource: "(chain)",
        reason: `the chain could not be read: ${outcome.cause}`,
      });
  });
  const alive: number[] = [];
  /** Clusters whose Kubernetes API could not be read: what their nodes seemed to say through it is no evidence. */
  const unreadable = new Set<number>();
  checked.forEach((outcome, index) => {
    const entry = work[index] as ClusterWork;
    if (outcome.ok) {
      observed.push(...outcome.value.observed);
      unknown.push(...outcome.value.unknown);
      if (outcome.value.exists) alive.push(index);
      if (outcome.value.unknown.some((entry) => entry.kind === "kubernetes")) unreadable.add(index);
    } else {
      unknown.push({ kind: "arm", region: entry.plan.region, resource: entry.cluster.name, reason: outcome.cause });
      alive.push(index);
    }
  });

  yield sleep(context, Math.max(1, baseline.spec.network.qbft.blockperiodseconds * 2));
  const secondOutcomes = yield* settleAll(
    context,
    alive.map((index) => observing(context, work[index] as ClusterWork, "full", retry)),
  );
  const first: ObservedNode[] = [];
  const second: ObservedNode[] = [];
  alive.forEach((index, position) => {
    const entry = work[index] as ClusterWork;
    const before = nodesOf(entry, firstOutcomes[index]);
    const after = nodesOf(entry, unreadable.has(index) ? undefined : secondOutcomes[position]);
    if ("unknown" in after)
      unknown.push(
        ...after.unknown.map((node) =>
          unreadable.has(index)
            ? { ...node, reason: "its cluster's Kubernetes API, the way to the node, could not be read" }
            : node,
        ),
      );
    else {
      second.push(...after);
      if (!("unknown" in before)) first.push(...before);
    }
  });
  observed.push(...besuDrift({ ...baseline.expectation, maxHeadSpread: MAX_HEAD_SPREAD }, first, second));
  const planned = work.flatMap(({ plan, cluster }) => cluster.nodes.map((node) => ({ ...node, region: plan.region })));
  const health = networkHealth({ ...baseline.expectation, planned, first, second });
  return { observed, unknown, health };
}
