/**
 * The control API's own routes (under `/_sim/`): a snapshot of the whole simulated state, the
 * objects of one cluster, the operation log, the fault rules and drift actions. Plugins add
 * routes of their own next to these.
 */
import { z } from "zod";
import type { ArmState } from "./arm/resources.js";
import type { ClusterIdentity } from "./cluster-host.js";
import { podViews, type ClusterFinder } from "./cluster-views.js";
import type { DriftRunner } from "./drift.js";
import { DriftActionSchema, FaultRulesSchema, type FaultInjector, type FaultRules } from "./faults.js";
import { isRecord } from "./http.js";
import { findByPluralInAnyGroup } from "./kube/catalog.js";
import type { KubeCluster } from "./kube/cluster.js";
import type { KubeWorld } from "./kube/world.js";
import type { OperationLog } from "./oplog.js";
import { ControlError, type ControlRoute } from "./plugin.js";

export interface CoreRouteTargets {
  subscriptionId: string;
  timeScale: number;
  arm: ArmState;
  world: KubeWorld;
  findCluster: ClusterFinder;
  operationLog: OperationLog;
  faults: FaultInjector;
  /** Replaces the fault rules everywhere they apply (the injector and ARM's throttle). */
  setFaults: (rules: FaultRules) => void;
  runDrift: DriftRunner;
}

export function coreControlRoutes(targets: CoreRouteTargets): ControlRoute[] {
  const { faults, setFaults, operationLog } = targets;
  return [
    { method: "GET", path: "state", handle: () => ({ body: stateView(targets) }) },
    {
      method: "GET",
      path: "clusters/:resourceGroup/:cluster/objects/:plural",
      handle: ({ params, query }) => {
        const cluster = targets.findCluster(
          query.get("subscriptionId") ?? undefined,
          params.resourceGroup ?? "",
          params.cluster ?? "",
        );
        if (cluster === undefined) throw new ControlError(404, "no such cluster");
        const plural = params.plural ?? "";
        const resourceType = findByPluralInAnyGroup(plural);
        if (resourceType === undefined) throw new ControlError(404, `unknown resource type '${plural}'`);
        return {
          body: cluster.list(resourceType, query.get("namespace") ?? undefined, query.get("labelSelector"), null),
        };
      },
    },
    {
      method: "GET",
      path: "operations",
      handle: ({ query }) => ({ body: { entries: operationLog.since(Number(query.get("since") ?? 0) || 0) } }),
    },
    { method: "GET", path: "faults", handle: () => ({ body: faults.current() }) },
    {
      // Who asked for which Secret, allowed or denied (kube/rbac.ts); `?cluster=` narrows to one cluster key.
      method: "GET",
      path: "kube/secret-access",
      handle: ({ query }) => {
        const cluster = query.get("cluster")?.toLowerCase();
        const entries = targets.world.secretAccess();
        return {
          body: { entries: cluster === undefined ? entries : entries.filter((entry) => entry.cluster === cluster) },
        };
      },
    },
    {
      method: "PUT",
      path: "faults",
      handle: ({ body }) => {
        const parsed = FaultRulesSchema.safeParse(body ?? {});
        if (!parsed.success) throw new ControlError(400, z.prettifyError(parsed.error));
        setFaults(parsed.data);
        return { body: faults.current() };
      },
    },
    {
      method: "DELETE",
      path: "faults",
      handle: () => {
        setFaults({});
        return { body: faults.current() };
      },
    },
    {
      method: "POST",
      path: "drift",
      handle: ({ body }) => {
        const parsed = DriftActionSchema.safeParse(body);
        if (!parsed.success) throw new ControlError(400, z.prettifyError(parsed.error));
        if (!targets.runDrift(parsed.data))
          throw new ControlError(404, `the target of ${parsed.data.type} does not exist`);
        return { body: { done: true } };
      },
    },
  ];
}

/** `GET /_sim/state`: resource groups, clusters with their pools and pods, and the fault rules. */
function stateView({ subscriptionId, timeScale, arm, world, faults }: CoreRouteTargets): Record<string, unknown> {
  return {
    subscriptionId,
    timeScale,
    resourceGroups: arm.listResourceGroups(),
    clusters: arm.allClusters().map(({ identity, resource }) => clusterState(identity, resource, world)),
    faults: faults.current(),
  };
}

function clusterState(
  cluster: ClusterIdentity,
  resource: Record<string, unknown>,
  world: KubeWorld,
): Record<string, unknown> {
  const kube = world.cluster(cluster.key);
  const properties = isRecord(resource.properties) ? resource.properties : {};
  return {
    key: cluster.key,
    resourceGroup: cluster.resourceGroup,
    name: cluster.name,
    region: cluster.region,
    provisioningState: properties.provisioningState,
    apiServerUrl: world.apiServerUrl(cluster.key) ?? null,
    agentPools: (Array.isArray(properties.agentPoolProfiles) ? properties.agentPoolProfiles.filter(isRecord) : []).map(
      (pool) => ({ name: pool.name, count: pool.count, vmSize: pool.vmSize, mode: pool.mode }),
    ),
    pods: kube === undefined ? [] : podStates(kube),
  };
}

function podStates(kube: KubeCluster): Record<string, unknown>[] {
  return podViews(kube).map((view) => {
    const status = isRecord(view.pod.status) ? view.pod.status : {};
    const containers = Array.isArray(status.containerStatuses) ? status.containerStatuses.filter(isRecord) : [];
    return {
      namespace: view.location.namespace,
      name: view.location.podName,
      podIP: view.location.podIP || null,
      phase: status.phase,
      ready: kube.podLifecycle(view.location.namespace, view.location.podName)?.isReady() ?? false,
      containers: containers.map((container) => ({
        name: container.name,
        ready: container.ready,
        restartCount: container.restartCount,
        state: container.state,
      })),
    };
  });
}
