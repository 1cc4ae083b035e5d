/**
 * The activities as plain functions over injected adapters: `createActivities(deps)` returns one
 * handler per contract. The composition root (app.ts, through activities/registration.ts) binds
 * them to the real adapters; tests call them with adapters built against the simulated cloud.
 *
 * Every handler is wrapped by `define` (activities/define.ts): it validates its input with the
 * contract (a bad input is a permanent failure) and returns every failure as data, with a message
 * naming the activity, the region, the step and the cause — never a secret.
 */
import { z } from "zod";
import type { ArmAdapter } from "../lib/azure/arm.js";
import { batchingTransport, observeNode } from "../lib/besu/observe.js";
import { BesuRpc } from "../lib/besu/rpc.js";
import {
  clusterConfigurationManifests,
  besuManifests,
  READINESS_PATH,
  type KubernetesManifest,
} from "../lib/domain/manifests.js";
import { networkRecordName, networkRecordSchema } from "../lib/domain/network-record.js";
import {
  P2P_PORT,
  RPC_PORT,
  type ClusterPlan,
  type FamilyVcpus,
  type NodePlan,
  type RegionPlan,
} from "../lib/domain/plan.js";
import { decidePreflight } from "../lib/domain/preflight.js";
import { clusterHealth, rolloutDurations } from "../lib/domain/measurements.js";
import { rolloutStatusSchema, type RolloutStatus } from "../lib/domain/rollout-status.js";
import { readAudit } from "../lib/state/audit.js";
import { TOTAL_REGIONAL_VCPUS_QUOTA } from "../lib/domain/vm-sizes.js";
import { ClassifiedError } from "../lib/errors.js";
import { KubeStatusError, kubeStep, type KubeCluster } from "../lib/kube/cluster.js";
import type { KubeClusters } from "../lib/kube/clusters.js";
import { publishedIdentity } from "../lib/kube/node-keys.js";
import { desiredStateSchema } from "../lib/domain/spec.js";
import type { DocumentStore } from "../lib/state/documents.js";
import type { TransactionSigner } from "../lib/evm/signer.js";
import { recordClusterHealth, recordQuotaHeadroom, recordRolloutDurations } from "../lib/telemetry/metrics.js";
import { define, permanent, recordingEachCall, UnusableDocumentError } from "./define.js";
import * as changeContracts from "./change-contracts.js";
import { createChangeHandlers } from "./change-handlers.js";
import * as contracts from "./contracts.js";
import { createOnChainActivities, onChainActivityContracts } from "./onchain-handlers.js";
import { driftActivityContracts } from "./drift-contracts.js";
import { driftActivities } from "./drift.js";
import { driftOnChainActivities } from "./drift-onchain.js";
import { deprovisionActivities, deprovisionActivityContracts } from "./deprovision.js";
import type { ActivityContract, ActivityOutput, ClusterRef, NodeObservation } from "./contracts.js";

/** The adapters the activities run on; built once per process (activities/dependencies.ts). */
export interface ActivityDependencies {
  arm: ArmAdapter;
  clusters: KubeClusters;
  documents: DocumentStore;
  /** The deployer's signer for the on-chain phases (lib/evm/signers.ts); absent, they fail as misconfigured. */
  signer?: () => TransactionSigner;
  /** App settings the on-chain phases read (RPC URLs, existing addresses); default: none. */
  settings?: NodeJS.ProcessEnv;
  /** Where drift checks send state changes; absent: no alerts (activities/drift.ts). */
  driftWebhookUrl?: URL;
}

/** The contracts that have handlers here, by activity name. */
export const activityContracts = {
  preflightRegion: contracts.preflightRegion,
  ensureResourceGroup: contracts.ensureResourceGroup,
  beginCluster: contracts.beginCluster,
  getClusterState: contracts.getClusterState,
  configureCluster: contracts.configureCluster,
  ensureNodeKeys: contracts.ensureNodeKeys,
  deployBesu: contracts.deployBesu,
  checkReadiness: contracts.checkReadiness,
  observeNodes: contracts.observeNodes,
  voteValidators: contracts.voteValidators,
  saveDocument: contracts.saveDocument,
  loadNetworkRecord: contracts.loadNetworkRecord,
  ...onChainActivityContracts,
  ...changeContracts,
  ...driftActivityContracts,
  ...deprovisionActivityContracts,
} as const;

type Contracts = typeof activityContracts;
export type ActivityName = keyof Contracts;

/** One handler per activity: unvalidated input in, contract output out (or a thrown transient fault). */
export type Activities = { [K in ActivityName]: (input: unknown) => Promise<ActivityOutput<Contracts[K]>> };

/** A rollout's report (orchestrators/rollout/report.ts), as saveDocument recognises it. */
const rolloutReportSchema = z.object({ rolloutId: z.string(), status: rolloutStatusSchema });

/**
 * The most audit entries a report lists: a 24-region rollout makes a few thousand changes. A
 * report that reaches it says so, and GET /api/audit?target=<rolloutId> reads on.
 */
const REPORT_AUDIT_LIMIT = 10_000;

/** The rollout's audit entries (oldest first) since it was created, for its report. */
async function reportAudit(documents: DocumentStore, status: RolloutStatus) {
  const entries = await readAudit(documents, {
    target: status.rolloutId,
    since: status.createdAt,
    top: REPORT_AUDIT_LIMIT,
  });
  return { complete: entries.length < REPORT_AUDIT_LIMIT, entries: entries.reverse() };
}

function clusterPlanOf(regionPlan: RegionPlan, ordinal: number): ClusterPlan | undefined {
  return regionPlan.clusters.find((cluster) => cluster.ordinal === ordinal);
}

/** vCPUs per family of this network's clusters that already exist (their usage is already counted). */
async function existingClusterVcpus(arm: ArmAdapter, plan: RegionPlan): Promise<FamilyVcpus[]> {
  const existing: FamilyVcpus[] = [];
  for (const cluster of plan.clusters) {
    const state = await arm.clusterState(plan.resourceGroup, cluster.name);
    if (state.exists)
      existing.push(
        ...cluster.nodePools.map((pool) => ({ family: pool.family, vcpus: pool.vcpusPerNode * pool.count })),
      );
  }
  return existing;
}

/** JSON-RPC to one node through the API server's service proxy, the calls of one turn in one batch. */
function rpcThroughProxy(cluster: KubeCluster, namespace: string, node: NodePlan): BesuRpc {
  return new BesuRpc(
    batchingTransport(
      async (bodies) => (await cluster.proxy(namespace, node.rpcServiceName, RPC_PORT, "POST", "", bodies)).json,
    ),
  );
}

/** Besu's readiness endpoint through the proxy: 503 (from Besu or from the proxy) is "not ready". */
async function readinessThroughProxy(cluster: KubeCluster, namespace: string, node: NodePlan): Promise<boolean> {
  try {
    await cluster.proxy(namespace, node.rpcServiceName, RPC_PORT, "GET", READINESS_PATH);
    return true;
  } catch (error) {
    if (error instanceof KubeStatusError && error.status === 503) return false;
    throw error;
  }
}

/** How often an activity that waits for a condition re-checks it. */
const RECHECK_INTERVAL_MS = 500;

/** Runs `check` until `done` accepts its answer or `waitSeconds` have passed; returns the last answer. */
async function checkUntil<T>(waitSeconds: number, check: () => Promise<T>, done: (answer: T) => boolean): Promise<T> {
  const until = Date.now() + waitSeconds * 1000;
  for (;;) {
    const answer = await check();
    const left = until - Date.now();
    if (done(answer) || left <= 0) return answer;
    await new Promise((resolve) => setTimeout(resolve, Math.min(RECHECK_INTERVAL_MS, left)));
  }
}

function clusterAddress(ref: ClusterRef): { resourceGroup: string; clusterName: string } {
  return { resourceGroup: ref.resourceGroup, clusterName: ref.clusterName };
}

/** Builds the handlers over the given adapters. */
/** Rollout documents are written once and never change, so a process keeps the last few it read. */
const DOCUMENT_CACHE_SIZE = 16;

/** The signer of dependencies built without one: the on-chain activities then fail as misconfigured. */
function missingSigner(): never {
  throw new ClassifiedError("sign", {
    retryable: false,
    kind: "invalid",
    code: "ConfigurationError",
    message: "no deployer signer is configured",
  });
}

export function createActivities(deps: ActivityDependencies): Activities {
  const { arm, clusters, documents } = deps;
  const cache = new Map<string, Promise<unknown>>();
  /** A rollout document (spec, network) by name, validated; a transient read failure is not cached. */
  const rolloutDocument = async <S extends z.ZodType>(name: string, schema: S): Promise<z.output<S>> => {
    let read = cache.get(name);
    if (read === undefined) {
      read = documents.readDocument(name);
      cache.set(name, read);
      if (cache.size > DOCUMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      read.catch(() => cache.delete(name));
    }
    const stored = await read;
    if (stored === undefined) throw new UnusableDocumentError(`${name} does not exist`);
    const parsed = schema.safeParse(stored);
    if (!parsed.success)
      throw new UnusableDocumentError(
        `${name} is not what it should be: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
      );
    return parsed.data;
  };
  const inCluster = <T>(ref: ClusterRef, step: string, operation: (cluster: KubeCluster) => Promise<T>): Promise<T> =>
    kubeStep(`${step} in cluster ${ref.clusterName}`, () => clusters.with(clusterAddress(ref), operation));
  const applyInCluster = async (
    ref: ClusterRef,
    step: string,
    fieldManager: string,
    build: () => KubernetesManifest[],
  ) => {
    let manifests: KubernetesManifest[];
    try {
      manifests = build();
    } catch (error) {
      return permanent(
        "InvalidInput",
        `${ref.region}: ${step}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return {
      ok: true as const,
      applied: await inCluster(ref, step, (cluster) => cluster.apply(manifests, fieldManager)),
    };
  };

  const onChainDeps = { documents, signer: deps.signer ?? missingSigner, settings: deps.settings ?? {} };
  const handlers: Activities = {
    ...createOnChainActivities(onChainDeps),
    preflightRegion: define(contracts.preflightRegion, async ({ plan }) => {
      const capacity = await arm.regionCapacity(plan.region);
      if (!capacity.regionOffered)
        return permanent("LocationNotAvailable", `${plan.region} is not offered to this subscription`);
      const decision = decidePreflight({
        plan,
        usages: capacity.usages,
        offeredVmSizes: capacity.offeredVmSizes,
        alreadyProvisioned: await existingClusterVcpus(arm, plan),
      });
      // Headroom: what a quota leaves free once the plan has what it needs (negative: the shortfall).
      for (const check of decision.ok ? decision.quota : decision.shortfalls)
        recordQuotaHeadroom(plan.region, check.quota, check.available - check.required);
      if (!decision.ok) return permanent(decision.code, decision.reason);
      const total = decision.quota.find((check) => check.quota === TOTAL_REGIONAL_VCPUS_QUOTA);
      return { ok: true as const, vcpusAvailable: total?.available ?? 0 };
    }),

    ensureResourceGroup: define(contracts.ensureResourceGroup, async ({ resourceGroup, region, network }) => {
      await arm.ensureResourceGroup(resourceGroup, region, { "besu-fleet-network": network });
      return { ok: true as const };
    }),

    beginCluster: define(contracts.beginCluster, async ({ cluster, plan, network }) => {
      if (plan.name !== cluster.clusterName)
        return permanent(
          "InvalidInput",
          `${cluster.region}: cluster plan ${plan.name} does not match cluster ${cluster.clusterName}`,
        );
      return {
        ok: true as const,
        provisioningState: await arm.beginCluster(cluster.resourceGroup, cluster.region, network, plan),
      };
    }),

    getClusterState: define(contracts.getClusterState, async ({ cluster }) => {
      const state = await arm.clusterState(cluster.resourceGroup, cluster.clusterName);
      if (!state.exists)
        return permanent(
          "ResourceNotFound",
          `${cluster.region}: cluster ${cluster.clusterName} does not exist in ${cluster.resourceGroup}`,
        );
      const provisioningState = state.provisioningState ?? "Unknown";
      return provisioningState.toLowerCase() === "failed"
        ? {
            ok: true as const,
            provisioningState,
            failureMessage: `provisioning of cluster ${cluster.clusterName} in ${cluster.region} failed${state.failure === undefined ? "" : `: ${state.failure}`}`,
          }
        : { ok: true as const, provisioningState };
    }),

    configureCluster: define(
      contracts.configureCluster,
      async ({ cluster, regionPlan, clusterOrdinal, specDocument }) => {
        const clusterPlan = clusterPlanOf(regionPlan, clusterOrdinal);
        if (clusterPlan === undefined)
          return permanent("InvalidInput", `${cluster.region}: the plan has no cluster ${clusterOrdinal}`);
        const spec = await rolloutDocument(specDocument, desiredStateSchema);
        return applyInCluster(cluster, "configure", regionPlan.fieldManager, () =>
          clusterConfigurationManifests(regionPlan, clusterPlan, spec.cluster),
        );
      },
    ),

    ensureNodeKeys: define(
      contracts.ensureNodeKeys,
      async ({ cluster, regionPlan, clusterOrdinal, specDocument, waitSeconds }) => {
        const clusterPlan = clusterPlanOf(regionPlan, clusterOrdinal);
        if (clusterPlan === undefined)
          return permanent("InvalidInput", `${cluster.region}: the plan has no cluster ${clusterOrdinal}`);
        const spec = await rolloutDocument(specDocument, desiredStateSchema);
        const { namespace } = clusterPlan;
        return inCluster(cluster, "ensure node keys", async (kube) => {
          const answers = await checkUntil(
            waitSeconds,
            () =>
              Promise.all(
                clusterPlan.nodes.map(async (node) => ({
                  node,
                  key: await publishedIdentity(
                    kube,
                    { plan: regionPlan, cluster: clusterPlan, node, besuImage: spec.network.besuImage },
                    regionPlan.fieldManager,
                  ),
                  p2pHost: await kube.loadBalancerAddress(namespace, node.p2pServiceName),
                })),
              ),
            (all) => all.every((answer) => answer.key.state !== "waiting" && answer.p2pHost !== undefined),
          );
          const failed = answers.flatMap(({ key }) => (key.state === "failed" ? [key.reason] : []));
          if (failed.length > 0) return permanent("KeyJobFailed", `${cluster.region}: ${failed.join("; ")}`);
          return {
            ok: true as const,
            identities: answers.flatMap(({ node, key, p2pHost }) =>
              key.state !== "published" || p2pHost === undefined
                ? []
                : [
                    {
                      nodeId: node.id,
                      region: node.region,
                      role: node.role,
                      address: key.address,
                      publicKey: key.publicKey,
                      p2pHost,
                      p2pPort: P2P_PORT,
                    },
                  ],
            ),
            pending: answers.flatMap(({ node, key, p2pHost }) => [
              ...(key.state === "waiting" ? [`${node.id}: ${key.reason}`] : []),
              ...(p2pHost === undefined ? [`${node.id}: no LoadBalancer IP yet`] : []),
            ]),
          };
        });
      },
    ),

    deployBesu: define(
      contracts.deployBesu,
      async ({ cluster, regionPlan, clusterOrdinal, specDocument, networkDocument, nodes }) => {
        const clusterPlan = clusterPlanOf(regionPlan, clusterOrdinal);
        if (clusterPlan === undefined)
          return permanent("InvalidInput", `${cluster.region}: the plan has no cluster ${clusterOrdinal}`);
        const spec = await rolloutDocument(specDocument, desiredStateSchema);
        const { genesisJson, staticNodesJson, p2pHosts } = await rolloutDocument(
          networkDocument,
          contracts.rolloutNetworkSchema,
        );
        const skipped = new Set(
          clusterPlan.nodes
            .filter((node) => nodes !== undefined && !nodes.includes(node.id))
            .map((node) => node.statefulSetName),
        );
        return applyInCluster(cluster, "deploy Besu", regionPlan.fieldManager, () =>
          besuManifests({
            network: spec.network,
            plan: regionPlan,
            cluster: clusterPlan,
            genesisJson,
            staticNodesJson,
            p2pHosts,
          }).filter((manifest) => !(manifest.kind === "StatefulSet" && skipped.has(manifest.metadata.name))),
        );
      },
    ),

    checkReadiness: define(contracts.checkReadiness, async ({ cluster, namespace, nodes, waitSeconds }) =>
      inCluster(cluster, "check readiness", async (kube) => {
        const checked = await checkUntil(
          waitSeconds,
          () =>
            Promise.all(
              nodes.map(async (node) => ({ node, readiness: await kube.podReadiness(namespace, node.podName) })),
            ),
          (answers) => answers.every((answer) => answer.readiness.ready),
        );
        return {
          ok: true as const,
          ready: checked.filter((answer) => answer.readiness.ready).map((answer) => answer.node.id),
          notReady: checked.flatMap(({ node, readiness }) =>
            readiness.ready ? [] : [{ nodeId: node.id, reason: readiness.reason }],
          ),
        };
      }),
    ),

    observeNodes: define(contracts.observeNodes, async ({ cluster, namespace, nodes, scope }) =>
      inCluster(cluster, "observe nodes", async (kube) => {
        const observations: NodeObservation[] = await Promise.all(
          nodes.map(async (node) => ({
            nodeId: node.id,
            ...(await observeNode(
              rpcThroughProxy(kube, namespace, node),
              () => readinessThroughProxy(kube, namespace, node),
              scope,
            )),
          })),
        );
        recordClusterHealth(cluster.region, cluster.clusterName, clusterHealth(nodes, observations));
        return { ok: true as const, observations };
      }),
    ),

    voteValidators: define(contracts.voteValidators, async ({ cluster, namespace, nodes, propose, discard }) =>
      inCluster(cluster, "vote on validators", async (kube) => ({
        ok: true as const,
        reports: await Promise.all(
          nodes.map(async (node) => {
            const rpc = rpcThroughProxy(kube, namespace, node);
            try {
              for (const address of discard) await rpc.discardValidatorVote(address);
              for (const address of propose) await rpc.proposeValidatorVote(address, true);
              return { nodeId: node.id, ok: true, validators: await rpc.validators("latest") };
            } catch (error) {
              // One node that cannot vote is a fact for the tally, not a reason to fail the others.
              return { nodeId: node.id, ok: false, error: error instanceof Error ? error.message : String(error) };
            }
          }),
        ),
      })),
    ),

    saveDocument: define(contracts.saveDocument, async ({ name, document }) => {
      const report = rolloutReportSchema.safeParse(document);
      // A rollout's report lists the audit trail of the rollout: who asked, and every change it made.
      const blobName = await documents.saveDocument(
        name,
        report.success
          ? { ...(document as object), audit: await reportAudit(documents, report.data.status) }
          : document,
      );
      // A rollout's report is saved once, by its last phase, with its final status: the one place
      // outside the (replayed) orchestrator where the rollout's durations are known exactly once.
      if (report.success) recordRolloutDurations(rolloutDurations(report.data.status));
      return { ok: true as const, blobName };
    }),

    loadNetworkRecord: define(contracts.loadNetworkRecord, async ({ network }) => {
      const stored = await documents.readDocument(networkRecordName(network));
      if (stored === undefined) return { ok: true as const, record: null };
      const record = networkRecordSchema.safeParse(stored);
      if (!record.success)
        return permanent(
          "UnreadableNetworkRecord",
          `${networkRecordName(network)}: ${record.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
        );
      return { ok: true as const, record: record.data };
    }),

    ...createChangeHandlers({
      inCluster,
      rpc: rpcThroughProxy,
      checkUntil,
      clusterExists: async (ref) => (await arm.clusterState(ref.resourceGroup, ref.clusterName)).exists,
    }),
    ...driftActivities(deps),
    ...driftOnChainActivities(onChainDeps),
    ...deprovisionActivities(deps),
  };
  return recordingEachCall(documents, handlers);
}

const activityNames = new Map<unknown, ActivityName>(
  (Object.keys(activityContracts) as ActivityName[]).map((name) => [activityContracts[name], name]),
);

/** The handler key of a contract; throws for a contract that has no handler here. */
export function activityNameOf(contract: ActivityContract): ActivityName {
  const name = activityNames.get(contract);
  if (name === undefined || name !== contract.name) throw new Error(`activity ${contract.name} has no handler`);
  return name;
}
