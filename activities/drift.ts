/**
 * The handlers of drift verification's activities (contracts in activities/drift-contracts.ts),
 * over the same adapters as the rollout's: ARM for the clusters, each cluster's Kubernetes API for
 * dry-run applies of the manifests the rollout applied (built by the same builders from the same
 * documents), blob storage for the desired state and the reports. The comparisons themselves are
 * pure (lib/domain/drift/). The webhook URL comes from the configuration (lib/config.ts), never from
 * an orchestration's input. `define` comes from activities/factory.ts as an argument, so this
 * module does not import the factory that includes it.
 */
import { z } from "zod";
import { armDrift } from "../lib/domain/drift/arm.js";
import { kubernetesDrift } from "../lib/domain/drift/kubernetes.js";
import {
  driftIndexName,
  driftIndexSchema,
  driftReportName,
  driftReportSchema,
  indexWithReport,
  type DriftReport,
} from "../lib/domain/drift/report.js";
import { besuManifests, clusterConfigurationManifests } from "../lib/domain/manifests.js";
import { deployedContractSchema, type DeployedContract } from "../lib/domain/onchain-status.js";
import { networkRecordName, networkRecordSchema, validatorPublicKeys } from "../lib/domain/network-record.js";
import { driftFindingCounts } from "../lib/domain/measurements.js";
import { desiredStateSchema } from "../lib/domain/spec.js";
import { ClassifiedError, classifyHttpStatus, classifyNetworkError } from "../lib/errors.js";
import type { DocumentStore } from "../lib/state/documents.js";
import { recordDriftFindings } from "../lib/telemetry/metrics.js";
import { rolloutNetworkSchema } from "./contracts.js";
import * as contracts from "./drift-contracts.js";
import { define } from "./define.js";
import type { ActivityDependencies } from "./factory.js";

const rolloutReportPattern = (network: string) =>
  new RegExp(`^rollouts/(rollout-${network.replace(/[^a-z0-9-]/g, "")}-(\\d+))/report\\.json$`);

/** A finished rollout's report (orchestrators/rollout/report.ts), as far as choosing a baseline needs it. */
const storedRolloutReportSchema = z
  .object({ rolloutId: z.string(), spec: z.unknown(), status: z.object({ state: z.string() }).loose() })
  .loose();
type StoredRolloutReport = z.infer<typeof storedRolloutReportSchema>;

/** A document that must exist and match its schema; anything else is permanent for this check. */
async function requiredDocument<S extends z.ZodType>(
  documents: DocumentStore,
  name: string,
  schema: S,
): Promise<z.output<S>> {
  const parsed = schema.safeParse(await documents.readDocument(name));
  if (!parsed.success)
    throw new ClassifiedError(`read ${name}`, {
      retryable: false,
      kind: "invalid",
      code: "UnusableDocument",
      message: `${name} is missing or not what it should be`,
    });
  return parsed.data;
}

/** The newest rollout of the network that Succeeded, newest first among its reports. */
async function lastSuccessfulRollout(
  documents: DocumentStore,
  network: string,
): Promise<StoredRolloutReport | undefined> {
  const pattern = rolloutReportPattern(network);
  const reports = (await documents.listDocuments(`rollouts/rollout-${network}-`))
    .map((entry) => pattern.exec(entry.name))
    .filter((match): match is RegExpExecArray => match !== null)
    .sort((left, right) => Number(right[2]) - Number(left[2]));
  for (const match of reports) {
    const stored = storedRolloutReportSchema.safeParse(await documents.readDocument(match[0]));
    if (stored.success && stored.data.status.state === "Succeeded") return stored.data;
  }
  return undefined;
}

/** The contracts a rollout recorded in its status (none when it had no on-chain sections). */
const recordedContracts = (rollout: StoredRolloutReport): DeployedContract[] => {
  const recorded = z.array(deployedContractSchema).safeParse(rollout.status.contracts ?? []);
  return recorded.success ? recorded.data : [];
};

/** The network's latest report, or null (none yet, or an unreadable one: `since` then starts again). */
async function latestReport(documents: DocumentStore, network: string): Promise<DriftReport | null> {
  const index = driftIndexSchema.safeParse(await documents.readDocument(driftIndexName(network)));
  const newest = index.success ? index.data.reports[0] : undefined;
  if (newest === undefined) return null;
  const report = driftReportSchema.safeParse(await documents.readDocument(newest.document));
  return report.success ? report.data : null;
}

const WEBHOOK_TIMEOUT_MS = 10_000;

export function driftActivities({ arm, clusters, documents, driftWebhookUrl }: ActivityDependencies) {
  return {
    loadDriftBaseline: define(contracts.loadDriftBaseline, async ({ network }) => {
      const previous = await latestReport(documents, network);
      const record = networkRecordSchema.safeParse(await documents.readDocument(networkRecordName(network)));
      const rollout = record.success ? await lastSuccessfulRollout(documents, network) : undefined;
      if (!record.success || rollout === undefined) return { ok: true as const, baseline: null, previous };
      const spec = desiredStateSchema.safeParse(rollout.spec);
      if (!spec.success) return { ok: true as const, baseline: null, previous };
      return {
        ok: true as const,
        previous,
        baseline: {
          rolloutId: rollout.rolloutId,
          specDocument: `rollouts/${rollout.rolloutId}/spec.json`,
          networkDocument: `rollouts/${rollout.rolloutId}/network.json`,
          spec: spec.data,
          contracts: recordedContracts(rollout),
          expectation: {
            chainIdHex: `0x${record.data.chainId.toString(16)}`,
            genesisHash: record.data.genesisHash,
            validators: record.data.validators,
            validatorPublicKeys: validatorPublicKeys(record.data, record.data.validators),
          },
        },
      };
    }),

    checkClusterDrift: define(
      contracts.checkClusterDrift,
      async ({ cluster, regionPlan, clusterOrdinal, specDocument, networkDocument }) => {
        const clusterPlan = regionPlan.clusters.find((candidate) => candidate.ordinal === clusterOrdinal);
        if (clusterPlan === undefined)
          throw new ClassifiedError("check drift", {
            retryable: false,
            kind: "invalid",
            code: "InvalidInput",
            message: `the plan of ${cluster.region} has no cluster ${clusterOrdinal}`,
          });
        const observedCluster = await arm.clusterConfiguration(cluster.resourceGroup, cluster.clusterName);
        const armFindings = armDrift(cluster.region, clusterPlan, observedCluster);
        // A deleted cluster took its objects and nodes with it: one finding says it all.
        if (!observedCluster.exists) return { ok: true as const, exists: false, observed: armFindings, unknown: [] };
        const spec = await requiredDocument(documents, specDocument, desiredStateSchema);
        const { genesisJson, staticNodesJson, p2pHosts } = await requiredDocument(
          documents,
          networkDocument,
          rolloutNetworkSchema,
        );
        const manifests = [
          ...clusterConfigurationManifests(regionPlan, clusterPlan, spec.cluster),
          ...besuManifests({
            network: spec.network,
            plan: regionPlan,
            cluster: clusterPlan,
            genesisJson,
            staticNodesJson,
            p2pHosts,
          }),
        ];
        try {
          const compared = await clusters.with(cluster, (kube) =>
            Promise.all(
              manifests.map(async (manifest) => {
                const stored = await kube.getObject(manifest);
                if (stored === undefined) return kubernetesDrift(cluster.region, manifest, undefined, undefined);
                return kubernetesDrift(
                  cluster.region,
                  manifest,
                  stored,
                  await kube.dryRunApply(manifest, regionPlan.fieldManager),
                );
              }),
            ),
          );
          return { ok: true as const, exists: true, observed: [...armFindings, ...compared.flat()], unknown: [] };
        } catch (error) {
          // The cluster's API could not be read: its objects are unknown, never in sync.
          return {
            ok: true as const,
            exists: true,
            observed: armFindings,
            unknown: [
              {
                kind: "kubernetes" as const,
                region: cluster.region,
                resource: cluster.clusterName,
                reason: `the Kubernetes API could not be read: ${error instanceof Error ? error.message : String(error)}`,
              },
            ],
          };
        }
      },
    ),

    saveDriftReport: define(contracts.saveDriftReport, async ({ report, keep }) => {
      const document = driftReportName(report.network, report.startedAt);
      await documents.saveDocument(document, report);
      recordDriftFindings(report.network, driftFindingCounts(report));
      const stored = driftIndexSchema.safeParse(await documents.readDocument(driftIndexName(report.network)));
      const { index, dropped } = indexWithReport(stored.success ? stored.data : undefined, report, keep);
      await documents.saveDocument(driftIndexName(report.network), index);
      for (const name of dropped) await documents.deleteDocument(name);
      return { ok: true as const, document };
    }),

    notifyDriftWebhook: define(contracts.notifyDriftWebhook, async ({ alert }) => {
      const url = driftWebhookUrl;
      if (url === undefined) return { ok: true as const, sent: false };
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        await response.arrayBuffer();
      } catch (error) {
        const classification = classifyNetworkError(error) ?? {
          retryable: true,
          kind: "network" as const,
          code: "WebhookUnreachable",
          message: error instanceof Error ? error.message : String(error),
        };
        // NOTE: the step names the host only: the URL's path or query may carry a token.
        throw new ClassifiedError(`notify the drift webhook at ${url.host}`, classification);
      }
      if (!response.ok)
        throw new ClassifiedError(
          `notify the drift webhook at ${url.host}`,
          classifyHttpStatus(response.status, `Http${response.status}`, `answered ${response.status}`),
        );
      return { ok: true as const, sent: true };
    }),
  };
}
