/**
 * The simulated Azure cloud: ARM (resource groups, AKS, quota, throttling) over HTTPS, a
 * Kubernetes API server per cluster, the control API, faults and scenarios, and the plugin seam
 * through which Besu nodes and EVM chains join. `startCloud` is the one entry point.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { regions } from "./arm/catalog.js";
import { ArmState } from "./arm/resources.js";
import { ArmServer } from "./arm/server.js";
import { SubscriptionThrottle } from "./arm/throttle.js";
import { SimClock } from "./clock.js";
import { CloudConnectionSchema, connectionFileName, type CloudConnection } from "./connection.js";
import { ControlServer } from "./control.js";
import { DriftActionSchema, FaultInjector, FaultRulesSchema, ScenarioCoreSchema, type DriftAction, type FaultRules } from "./faults.js";
import { isRecord } from "./http.js";
import { findByKind, findByPluralInAnyGroup, groupVersion } from "./kube/catalog.js";
import type { KubeCluster } from "./kube/cluster.js";
import { KubeError } from "./kube/errors.js";
import { KubeWorld } from "./kube/world.js";
import { OperationLog } from "./oplog.js";
import { ControlError, type CloudPlugin, type CloudPluginContext, type ControlRoute, type ObjectRef, type PodView } from "./plugin.js";
import { issueLoopbackCertificate, loadOrCreateCa } from "./tls.js";

export { CloudConnectionSchema, readCloudConnection, simulatorCredential, type CloudConnection } from "./connection.js";
export type { CloudPlugin, CloudPluginContext } from "./plugin.js";

/** The demo default: a 24-region rollout (AKS create 5–10 simulated minutes) takes a couple of minutes. */
export const defaultTimeScale = 10;

export interface StartCloudOptions {
  /** Where the CA, the identity and `cloud.json` live. Created if missing. */
  dataDir: string;
  /** A scenario file (JSON or YAML): faults, timed drift events and plugin sections. */
  scenarioFile?: string;
  /** Simulated time runs this many times faster than wall time (default {@link defaultTimeScale}). */
  timeScale?: number;
  plugins?: CloudPlugin[];
  log?: (line: string) => void;
}

export interface RunningCloud {
  /** What was written to `<dataDir>/cloud.json`. */
  connection: CloudConnection;
  /** Stops every server and timer of the cloud and its plugins. */
  close(): Promise<void>;
}

const identitySchema = z.object({ subscriptionId: z.uuid(), tenantId: z.uuid() });

/** The subscription and tenant stay the same across restarts of one data directory. */
function loadOrCreateIdentity(dataDir: string): z.infer<typeof identitySchema> {
  const path = join(dataDir, "identity.json");
  if (existsSync(path)) return identitySchema.parse(JSON.parse(readFileSync(path, "utf8")));
  const identity = { subscriptionId: randomUUID(), tenantId: randomUUID() };
  writeFileSync(path, `${JSON.stringify(identity, null, 2)}\n`);
  return identity;
}

function loadScenario(file: string, pluginNames: Set<string>): { core: z.infer<typeof ScenarioCoreSchema>; sections: Map<string, unknown> } {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`scenario file ${file} could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (parsed === null || parsed === undefined) parsed = {};
  if (!isRecord(parsed)) throw new Error(`scenario file ${file} must hold an object`);
  const sections = new Map<string, unknown>();
  const coreInput: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === "faults" || key === "events") coreInput[key] = value;
    else if (pluginNames.has(key)) sections.set(key, value);
    else throw new Error(`scenario file ${file}: unknown section '${key}' (core sections: faults, events; plugins: ${[...pluginNames].join(", ") || "none"})`);
  }
  const core = ScenarioCoreSchema.safeParse(coreInput);
  if (!core.success) throw new Error(`scenario file ${file} is invalid: ${z.prettifyError(core.error)}`);
  return { core: core.data, sections };
}

export async function startCloud(options: StartCloudOptions): Promise<RunningCloud> {
  const log = options.log ?? (() => undefined);
  const timeScale = options.timeScale ?? defaultTimeScale;
  const plugins = options.plugins ?? [];
  const pluginNames = new Set(plugins.map((plugin) => plugin.name));
  if (pluginNames.size !== plugins.length) throw new Error("plugin names must be unique");
  for (const reserved of ["faults", "events"]) if (pluginNames.has(reserved)) throw new Error(`'${reserved}' cannot be a plugin name`);
  mkdirSync(options.dataDir, { recursive: true });
  const scenario = options.scenarioFile === undefined ? undefined : loadScenario(options.scenarioFile, pluginNames);

  const clock = new SimClock(timeScale, (error) => log(`simulator error in a timed action: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
  const ca = loadOrCreateCa(options.dataDir);
  const certificate = issueLoopbackCertificate(ca);
  const identity = loadOrCreateIdentity(options.dataDir);
  const faults = new FaultInjector();
  const throttle = new SubscriptionThrottle();
  const operationLog = new OperationLog();
  const setFaults = (rules: FaultRules): void => {
    faults.set(rules);
    throttle.configure(rules.throttling ?? {});
  };
  const world = new KubeWorld({ clock, certificate, faults, operationLog, runtimes: plugins.flatMap((plugin) => plugin.runtimes ?? []), log });
  const arm = new ArmState({ subscriptionId: identity.subscriptionId, tenantId: identity.tenantId, clock, faults, operationLog, clusterApi: world, log });
  const armServer = new ArmServer({ state: arm, tenantId: identity.tenantId, certificate, caPem: ca.certPem, throttle, faults, operationLog, clock, log });
  const control = new ControlServer(log);
  const startedPlugins: CloudPlugin[] = [];

  const clusterOf = (subscriptionId: string | undefined, resourceGroup: string, name: string): KubeCluster | undefined =>
    world.cluster(`${subscriptionId ?? identity.subscriptionId}/${resourceGroup}/${name}`);

  const runDrift = (action: DriftAction): boolean => {
    let done: boolean;
    const subscriptionId = action.subscriptionId ?? identity.subscriptionId;
    switch (action.type) {
      case "deleteCluster":
        done = arm.driftDeleteCluster(subscriptionId, action.resourceGroup, action.cluster);
        break;
      case "scalePool":
        done = arm.driftScalePool(subscriptionId, action.resourceGroup, action.cluster, action.pool, action.count);
        break;
      case "killPod":
        done = clusterOf(subscriptionId, action.resourceGroup, action.cluster)?.killPod(action.namespace, action.pod) ?? false;
        break;
      case "editObject":
      case "deleteObject": {
        const cluster = clusterOf(subscriptionId, action.resourceGroup, action.cluster);
        const resourceType = findByKind(action.apiVersion, action.kind);
        if (cluster === undefined || resourceType === undefined) {
          done = false;
          break;
        }
        try {
          if (action.type === "editObject") cluster.patch(resourceType, action.namespace, action.name, "application/merge-patch+json", action.mergePatch, { fieldManager: "kubectl-edit" });
          else cluster.delete(resourceType, action.namespace, action.name);
          done = true;
        } catch (error) {
          if (error instanceof KubeError && error.code === 404) done = false;
          else throw error;
        }
        break;
      }
    }
    operationLog.record({ time: new Date().toISOString(), target: "drift", cluster: `${subscriptionId}/${action.resourceGroup}/${action.cluster}`.toLowerCase(), operation: action.type, status: done ? "Succeeded" : "NotFound", durationMs: 0, throttled: false });
    log(`drift: ${action.type} on ${action.resourceGroup}/${action.cluster}: ${done ? "done" : "target not found"}`);
    return done;
  };

  const podViews = (cluster: KubeCluster): PodView[] =>
    cluster.allPods().map(({ pod, lifecycle }) => {
      const metadata = isRecord(pod.metadata) ? pod.metadata : {};
      return {
        clusterKey: cluster.info.key,
        location: {
          subscriptionId: cluster.info.subscriptionId,
          resourceGroup: cluster.info.resourceGroup,
          clusterName: cluster.info.name,
          region: cluster.info.region,
          namespace: String(metadata.namespace),
          podName: String(metadata.name),
          podIP: lifecycle?.ip ?? "",
        },
        pod,
        running: lifecycle?.running() ?? new Map(),
      };
    });

  const stateView = (): Record<string, unknown> => ({
    subscriptionId: identity.subscriptionId,
    timeScale,
    resourceGroups: arm.listResourceGroups(),
    clusters: arm.allClusters().map(({ identity: cluster, resource }) => {
      const kube = world.cluster(cluster.key);
      const properties = isRecord(resource.properties) ? resource.properties : {};
      return {
        key: cluster.key,
        resourceGroup: cluster.resourceGroup,
        name: cluster.name,
        region: cluster.region,
        provisioningState: properties.provisioningState,
        apiServerUrl: world.apiServerUrl(cluster.key) ?? null,
        agentPools: (Array.isArray(properties.agentPoolProfiles) ? properties.agentPoolProfiles.filter(isRecord) : []).map((pool) => ({ name: pool.name, count: pool.count, vmSize: pool.vmSize, mode: pool.mode })),
        pods:
          kube === undefined
            ? []
            : podViews(kube).map((view) => {
                const status = isRecord(view.pod.status) ? view.pod.status : {};
                const containers = Array.isArray(status.containerStatuses) ? status.containerStatuses.filter(isRecord) : [];
                return {
                  namespace: view.location.namespace,
                  name: view.location.podName,
                  podIP: view.location.podIP || null,
                  phase: status.phase,
                  ready: kube.podLifecycle(view.location.namespace, view.location.podName)?.isReady() ?? false,
                  containers: containers.map((container) => ({ name: container.name, ready: container.ready, restartCount: container.restartCount, state: container.state })),
                };
              }),
      };
    }),
    faults: faults.current(),
  });

  const coreRoutes: ControlRoute[] = [
    { method: "GET", path: "state", handle: () => ({ body: stateView() }) },
    {
      method: "GET",
      path: "clusters/:resourceGroup/:cluster/objects/:plural",
      handle: ({ params, query }) => {
        const cluster = clusterOf(query.get("subscriptionId") ?? undefined, params.resourceGroup ?? "", params.cluster ?? "");
        if (cluster === undefined) throw new ControlError(404, "no such cluster");
        const plural = params.plural ?? "";
        const resourceType = findByPluralInAnyGroup(plural);
        if (resourceType === undefined) throw new ControlError(404, `unknown resource type '${plural}'`);
        return { body: cluster.list(resourceType, query.get("namespace") ?? undefined, query.get("labelSelector"), null) };
      },
    },
    {
      method: "GET",
      path: "operations",
      handle: ({ query }) => ({ body: { entries: operationLog.since(Number(query.get("since") ?? 0) || 0) } }),
    },
    { method: "GET", path: "faults", handle: () => ({ body: faults.current() }) },
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
        if (!runDrift(parsed.data)) throw new ControlError(404, `the target of ${parsed.data.type} does not exist`);
        return { body: { done: true } };
      },
    },
  ];

  const objectCluster = (ref: ObjectRef): { cluster: KubeCluster; resourceType: NonNullable<ReturnType<typeof findByKind>> } | undefined => {
    const cluster = world.cluster(ref.clusterKey);
    const resourceType = findByKind(ref.apiVersion, ref.kind);
    return cluster === undefined || resourceType === undefined ? undefined : { cluster, resourceType };
  };

  const closeAll = async (): Promise<void> => {
    for (const plugin of [...startedPlugins].reverse()) {
      try {
        await plugin.close?.();
      } catch (error) {
        log(`plugin ${plugin.name} failed to close: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    clock.close();
    await Promise.allSettled([armServer.close(), control.close(), world.close()]);
  };

  try {
    control.add(coreRoutes);
    for (const plugin of plugins) control.add(plugin.controlRoutes ?? []);
    const armEndpoint = await armServer.start();
    const controlUrl = await control.start();
    await world.start();
    setFaults(scenario?.core.faults ?? {});

    const context: CloudPluginContext = {
      dataDir: options.dataDir,
      timeScale,
      log,
      controlUrl,
      clusters: () =>
        arm.allClusters().flatMap(({ identity: cluster }) => {
          const url = world.apiServerUrl(cluster.key);
          return url === undefined ? [] : [{ key: cluster.key, subscriptionId: cluster.subscriptionId, resourceGroup: cluster.resourceGroup, name: cluster.name, region: cluster.region, apiServerUrl: url }];
        }),
      pods: (clusterKey) => (clusterKey === undefined ? world.allClusters() : [world.cluster(clusterKey)].filter((cluster): cluster is KubeCluster => cluster !== undefined)).flatMap(podViews),
      resolve: (fromClusterKey, host, port) => world.resolve(fromClusterKey.toLowerCase(), "default", host, port),
      getObject: (ref) => {
        const found = objectCluster(ref);
        return found === undefined ? undefined : found.cluster.read(found.resourceType.plural, found.resourceType.namespaced ? ref.namespace : undefined, ref.name);
      },
      replaceObject: (ref, object) => {
        const found = objectCluster(ref);
        if (found === undefined) return false;
        const namespace = found.resourceType.namespaced ? ref.namespace : undefined;
        if (found.cluster.read(found.resourceType.plural, namespace, ref.name) === undefined) return false;
        const body: Record<string, unknown> = { ...object, apiVersion: groupVersion(found.resourceType), kind: found.resourceType.kind };
        if (isRecord(body.metadata)) delete body.metadata.resourceVersion;
        found.cluster.replace(found.resourceType, namespace, ref.name, body, { fieldManager: "kubectl-replace" });
        return true;
      },
      deleteObject: (ref) => {
        const found = objectCluster(ref);
        if (found === undefined) return false;
        return found.cluster.systemDelete(found.resourceType.plural, found.resourceType.namespaced ? ref.namespace : undefined, ref.name);
      },
      killPod: (clusterKey, namespace, podName) => world.cluster(clusterKey)?.killPod(namespace, podName) ?? false,
    };

    const connection: Record<string, unknown> = {
      armEndpoint,
      caCertPath: ca.certPath,
      subscriptionId: identity.subscriptionId,
      tenantId: identity.tenantId,
      controlUrl,
      timeScale,
      regions: Object.keys(regions),
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    for (const plugin of plugins) {
      startedPlugins.push(plugin);
      const extra = await plugin.start?.(context);
      for (const [key, value] of Object.entries(extra ?? {})) {
        if (key in connection) throw new Error(`plugin ${plugin.name} tried to set cloud.json field '${key}', which is already set`);
        connection[key] = value;
      }
    }
    for (const event of scenario?.core.events ?? []) {
      clock.after(event.afterSeconds * 1000, () => {
        try {
          runDrift(event.action);
        } catch (error) {
          log(`scenario event ${event.action.type} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      });
    }
    for (const plugin of plugins) {
      const section = scenario?.sections.get(plugin.name);
      if (section !== undefined) {
        if (plugin.applyScenario === undefined) throw new Error(`plugin ${plugin.name} takes no scenario section`);
        await plugin.applyScenario(section);
      }
    }
    const parsed = CloudConnectionSchema.parse(connection);
    writeFileSync(join(options.dataDir, connectionFileName), `${JSON.stringify(parsed, null, 2)}\n`);
    log(`simulated cloud: ARM ${armEndpoint}, control ${controlUrl}, time scale ${timeScale}`);
    let closing: Promise<void> | undefined;
    return {
      connection: parsed,
      close: () => {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
export { createBesuPlugin } from "./besu/plugin.js";
export type { OperationLogEntry } from "./oplog.js";
