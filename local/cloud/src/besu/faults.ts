/**
 * Faults of the Besu simulation, shared by the control API (`POST /_sim/besu/actions`) and the
 * scenario file's `besu` section. The schemas are the documented contract of both inputs.
 */
import { z } from "zod";
import { ControlError, type CloudPluginContext } from "../plugin.js";
import type { BesuWorld } from "./world.js";

const podRef = {
  /** Cluster name; add resourceGroup when two clusters share a name. */
  cluster: z.string().min(1),
  resourceGroup: z.string().min(1).optional(),
  namespace: z.string().min(1),
  pod: z.string().min(1),
};

/** One fault or repair. */
export const BesuActionSchema = z.discriminatedUnion("type", [
  /** The pod's Besu process stops answering and leaves the network (also after container restarts) until startNode. */
  z.strictObject({ type: z.literal("stopNode"), ...podRef }),
  z.strictObject({ type: z.literal("startNode"), ...podRef }),
  /**
   * Every Besu container of this image (exactly as the pod spec names it) in the cluster exits at
   * start, as a release that crashes on that cluster would, until fixImage: running containers go
   * on, new ones crash-loop and their pods never become Ready.
   */
  z.strictObject({
    type: z.literal("crashImage"),
    cluster: z.string().min(1),
    resourceGroup: z.string().min(1).optional(),
    image: z.string().min(1),
  }),
  z.strictObject({
    type: z.literal("fixImage"),
    cluster: z.string().min(1),
    resourceGroup: z.string().min(1).optional(),
    image: z.string().min(1),
  }),
  /** Keeps the node `blocks` behind the network head (0 clears). */
  z.strictObject({ type: z.literal("lagNode"), ...podRef, blocks: z.number().int().min(0) }),
  /** Cuts every P2P link between nodes in this region and nodes elsewhere. */
  z.strictObject({ type: z.literal("partitionRegion"), region: z.string().min(1) }),
  z.strictObject({ type: z.literal("healRegion"), region: z.string().min(1) }),
  /** No block is produced on the chain (all chains when chainId is absent). */
  z.strictObject({ type: z.literal("haltChain"), chainId: z.number().int().positive().optional() }),
  z.strictObject({ type: z.literal("resumeChain"), chainId: z.number().int().positive().optional() }),
  /**
   * Replaces one key of a deployed ConfigMap or Secret (with `value`, or with garbage) behind the
   * control plane's back; with `restartPods` (default true) the pods that mount or reference it
   * restart and read the new content, as Besu reads its files only at start.
   */
  z.strictObject({
    type: z.literal("replaceObjectKey"),
    cluster: z.string().min(1),
    resourceGroup: z.string().min(1).optional(),
    namespace: z.string().min(1),
    kind: z.enum(["ConfigMap", "Secret"]),
    name: z.string().min(1),
    key: z.string().min(1),
    value: z.string().optional(),
    restartPods: z.boolean().optional(),
  }),
]);
export type BesuAction = z.infer<typeof BesuActionSchema>;

/** The `besu` section of a scenario file. */
export const BesuScenarioSchema = z.strictObject({
  events: z.array(z.strictObject({ afterSeconds: z.number().min(0), action: BesuActionSchema })).optional(),
});

const CORRUPTED_CONTENT = "corrupted by the simulator\n";

function clusterKeyFor(context: CloudPluginContext, cluster: string, resourceGroup: string | undefined): string {
  const matches = context
    .clusters()
    .filter(
      (view) =>
        view.name.toLowerCase() === cluster.toLowerCase() &&
        (resourceGroup === undefined || view.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()),
    );
  if (matches.length === 0)
    throw new ControlError(
      404,
      `no cluster named ${cluster}${resourceGroup === undefined ? "" : ` in ${resourceGroup}`}`,
    );
  if (matches.length > 1) throw new ControlError(409, `several clusters are named ${cluster}: give resourceGroup`);
  return matches[0].key;
}

const volumeSchema = z.looseObject({
  configMap: z.looseObject({ name: z.string().optional() }).optional(),
  secret: z.looseObject({ secretName: z.string().optional() }).optional(),
  projected: z
    .looseObject({
      sources: z
        .array(
          z.looseObject({
            configMap: z.looseObject({ name: z.string().optional() }).optional(),
            secret: z.looseObject({ name: z.string().optional() }).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});
const podSpecSchema = z.looseObject({ spec: z.looseObject({ volumes: z.array(volumeSchema).optional() }).optional() });

/** True when the pod mounts the object or refers to it by name anywhere in its spec (env, envFrom). */
function podUses(pod: Readonly<Record<string, unknown>>, kind: "ConfigMap" | "Secret", name: string): boolean {
  const parsed = podSpecSchema.safeParse(pod);
  const volumes = parsed.success ? (parsed.data.spec?.volumes ?? []) : [];
  const mounted = volumes.some((volume) =>
    kind === "ConfigMap"
      ? volume.configMap?.name === name ||
        (volume.projected?.sources ?? []).some((source) => source.configMap?.name === name)
      : volume.secret?.secretName === name ||
        (volume.projected?.sources ?? []).some((source) => source.secret?.name === name),
  );
  const referenceKeys = kind === "ConfigMap" ? ["configMapKeyRef", "configMapRef"] : ["secretKeyRef", "secretRef"];
  return mounted || refersTo(pod, referenceKeys, name);
}

/** Finds `{<referenceKey>: {name}}` anywhere in a pod (env valueFrom, envFrom). */
function refersTo(value: unknown, referenceKeys: readonly string[], name: string): boolean {
  if (Array.isArray(value)) return value.some((item) => refersTo(item, referenceKeys, name));
  if (typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(
    ([key, field]) =>
      (referenceKeys.includes(key) &&
        typeof field === "object" &&
        field !== null &&
        "name" in field &&
        field.name === name) ||
      refersTo(field, referenceKeys, name),
  );
}

function replaceObjectKey(
  context: CloudPluginContext,
  action: Extract<BesuAction, { type: "replaceObjectKey" }>,
): { restartedPods: string[] } {
  const clusterKey = clusterKeyFor(context, action.cluster, action.resourceGroup);
  const ref = { clusterKey, apiVersion: "v1", kind: action.kind, namespace: action.namespace, name: action.name };
  const object = context.getObject(ref);
  if (object === undefined) throw new ControlError(404, `${action.kind} ${action.namespace}/${action.name} not found`);
  const content = action.value ?? CORRUPTED_CONTENT;
  const data = typeof object.data === "object" && object.data !== null ? { ...object.data } : {};
  const replaced: Record<string, unknown> = {
    ...object,
    data: { ...data, [action.key]: action.kind === "Secret" ? Buffer.from(content).toString("base64") : content },
  };
  if (action.kind === "Secret" && typeof object.stringData === "object" && object.stringData !== null) {
    const stringData: Record<string, unknown> = { ...object.stringData };
    delete stringData[action.key];
    replaced.stringData = stringData;
  }
  context.replaceObject(ref, replaced);
  const restartedPods: string[] = [];
  if (action.restartPods !== false) {
    for (const view of context.pods(clusterKey)) {
      if (view.location.namespace !== action.namespace || !podUses(view.pod, action.kind, action.name)) continue;
      if (context.killPod(clusterKey, view.location.namespace, view.location.podName))
        restartedPods.push(view.location.podName);
    }
  }
  return { restartedPods };
}

/** Applies one action; returns what the control API answers. */
export function applyBesuAction(
  world: BesuWorld,
  context: CloudPluginContext,
  action: BesuAction,
): Record<string, unknown> {
  switch (action.type) {
    case "stopNode":
    case "startNode":
    case "lagNode": {
      const podKey = `${clusterKeyFor(context, action.cluster, action.resourceGroup)}/${action.namespace}/${action.pod}`;
      if (action.type === "lagNode") world.setLag(podKey, action.blocks);
      else world.setPodStopped(podKey, action.type === "stopNode");
      return { applied: action.type, pod: podKey };
    }
    case "crashImage":
    case "fixImage": {
      const clusterKey = clusterKeyFor(context, action.cluster, action.resourceGroup);
      world.setImageCrashing(clusterKey, action.image, action.type === "crashImage");
      return { applied: action.type, cluster: clusterKey, image: action.image };
    }
    case "partitionRegion":
    case "healRegion":
      world.setRegionPartitioned(action.region, action.type === "partitionRegion");
      return { applied: action.type, region: action.region };
    case "haltChain":
    case "resumeChain":
      world.setHalted(action.type === "haltChain", action.chainId === undefined ? undefined : BigInt(action.chainId));
      return { applied: action.type, chainId: action.chainId ?? "all" };
    case "replaceObjectKey":
      return { applied: action.type, ...replaceObjectKey(context, action) };
  }
}
