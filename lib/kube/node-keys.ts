/**
 * A node's public identity as its cluster publishes it. The key is born in the cluster by the
 * node's key Job (lib/domain/manifests/node-keys.ts), which writes it to a Secret this process
 * cannot read and the public key to an identity ConfigMap; this module reads that ConfigMap, and
 * starts the Job while there is none. A Job that finished without a ConfigMap to show for it
 * (the ConfigMap was deleted since) is deleted, so that the next call starts it afresh; a Job
 * that failed is left for the operator, whose logs say why.
 */
import { z } from "zod";
import { addressFromPublicKey } from "@besu-fleet/qbft";
import { identityConfigMapName, keyJob, PUBLIC_KEY_ENTRY } from "../domain/manifests.js";
import type { ClusterPlan, NodePlan, RegionPlan } from "../domain/plan.js";
import { ClassifiedError } from "../errors.js";
import type { KubeCluster } from "./cluster.js";

/** What the cluster says about one node's key: its public identity, or why there is none yet. */
export type PublishedIdentity =
  | { state: "published"; publicKey: string; address: string }
  | { state: "waiting"; reason: string }
  | { state: "failed"; reason: string };

const PUBLIC_KEY = /^0x[0-9a-f]{128}$/;

const identitySchema = z.looseObject({ data: z.record(z.string(), z.string()).optional() });
const jobSchema = z.looseObject({
  status: z
    .looseObject({
      conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
    })
    .optional(),
});

/** Where one node's key Job runs and from what image. */
export interface KeyJobTarget {
  plan: RegionPlan;
  cluster: ClusterPlan;
  node: NodePlan;
  besuImage: string;
}

function configMapRef(cluster: ClusterPlan, node: NodePlan) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: identityConfigMapName(node), namespace: cluster.namespace },
  };
}

/** The node's published identity, starting its key Job when nothing is published yet. */
export async function publishedIdentity(
  kube: KubeCluster,
  target: KeyJobTarget,
  fieldManager: string,
): Promise<PublishedIdentity> {
  const { plan, cluster, node, besuImage } = target;
  const published = identitySchema.safeParse(await kube.getObject(configMapRef(cluster, node)));
  if (published.success) {
    const publicKey = published.data.data?.[PUBLIC_KEY_ENTRY]?.trim().toLowerCase();
    if (publicKey === undefined || !PUBLIC_KEY.test(publicKey))
      throw new ClassifiedError(`read identity of ${node.id}`, {
        retryable: false,
        kind: "invalid",
        code: "InvalidNodeIdentity",
        message: `ConfigMap ${cluster.namespace}/${identityConfigMapName(node)} has no ${PUBLIC_KEY_ENTRY} of 0x + 128 hex characters`,
      });
    return { state: "published", publicKey, address: addressFromPublicKey(publicKey) };
  }
  const job = keyJob(plan, cluster, node, besuImage);
  const stored = jobSchema.safeParse(await kube.getObject(job));
  if (!stored.success) {
    await kube.apply([job], fieldManager);
    return { state: "waiting", reason: `key Job ${job.metadata.name} started` };
  }
  const finished = stored.data.status?.conditions?.find(
    (condition) => (condition.type === "Complete" || condition.type === "Failed") && condition.status === "True",
  )?.type;
  if (finished === "Failed")
    return {
      state: "failed",
      reason: `key Job ${cluster.namespace}/${job.metadata.name} failed (its pod's logs say why); delete the Job to run it again`,
    };
  if (finished === "Complete") {
    await kube.deleteObject(job);
    return { state: "waiting", reason: `key Job ${job.metadata.name} ran before, but its identity ConfigMap is gone` };
  }
  return { state: "waiting", reason: `key Job ${job.metadata.name} running` };
}
