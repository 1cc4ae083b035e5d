/**
 * The simulated Azure cloud: ARM (resource groups, AKS, quota, throttling) over HTTPS, a
 * Kubernetes API server per cluster, a Key Vault holding the deployer key, the control API, faults and scenarios, and the plugin seam
 * through which Besu nodes and EVM chains join. `startCloud` is the one entry point; it reads as
 * the list of what starts, in order, and each step is a small function below it.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { regions } from "./arm/catalog.js";
import { ArmState } from "./arm/resources.js";
import { ArmServer } from "./arm/server.js";
import { SubscriptionThrottle } from "./arm/throttle.js";
import { SimClock } from "./clock.js";
import type { ClusterApiHost } from "./cluster-host.js";
import { clusterFinder } from "./cluster-views.js";
import { CloudConnectionSchema, connectionFileName, type CloudConnection } from "./connection.js";
import { ControlServer } from "./control.js";
import { coreControlRoutes } from "./control-routes.js";
import { createDriftRunner } from "./drift.js";
import { EvmRequestFaults } from "./evm/request-faults.js";
import { FaultInjector, type FaultRules } from "./faults.js";
import { createVault } from "./keyvault/index.js";
import { KubectlRuntime } from "./kube/kubectl.js";
import { KubeWorld } from "./kube/world.js";
import { OperationLog } from "./oplog.js";
import { createPluginContext } from "./plugin-context.js";
import type { CloudPlugin, CloudPluginContext } from "./plugin.js";
import { applyPluginSections, coreSections, loadScenario, scheduleDriftEvents } from "./scenario.js";
import { issueLoopbackCertificate, loadOrCreateCa, type CertificateAuthority, type ServerCertificate } from "./tls.js";

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

export async function startCloud(options: StartCloudOptions): Promise<RunningCloud> {
  const { dataDir } = options;
  const log = options.log ?? (() => undefined);
  const timeScale = options.timeScale ?? defaultTimeScale;
  const plugins = options.plugins ?? [];
  const pluginNames = checkPluginNames(plugins);
  mkdirSync(dataDir, { recursive: true });
  const scenario = options.scenarioFile === undefined ? undefined : loadScenario(options.scenarioFile, pluginNames);

  const clock = startClock(timeScale, log);
  const tls = loadTls(dataDir);
  const identity = loadOrCreateIdentity(dataDir);
  const faults = createFaultInjection();
  const operationLog = new OperationLog();
  // kubectl is part of every cluster's world (Jobs publish what they made with it); plugins add theirs.
  const runtimes = [...plugins.flatMap((plugin) => plugin.runtimes ?? []), new KubectlRuntime()];
  const world = new KubeWorld({
    clock,
    certificate: tls.certificate,
    faults: faults.injector,
    operationLog,
    runtimes,
    log,
  });
  const arm = createArm({ identity, clock, tls, faults, operationLog, clusterApi: world, log });
  const vault = createVault({
    dataDir,
    tenantId: identity.tenantId,
    certificate: tls.certificate,
    clock,
    log,
    operationLog,
    faults: faults.injector,
  });
  const control = new ControlServer(log);
  const findCluster = clusterFinder(world, identity.subscriptionId);
  const runDrift = createDriftRunner({
    subscriptionId: identity.subscriptionId,
    arm: arm.state,
    findCluster,
    operationLog,
    log,
  });
  const startedPlugins: CloudPlugin[] = [];
  const close = once(() => closeCloud(startedPlugins, clock, [arm.server, vault, control, world], log));

  try {
    control.add(
      coreControlRoutes({
        subscriptionId: identity.subscriptionId,
        timeScale,
        arm: arm.state,
        world,
        findCluster,
        operationLog,
        faults: faults.injector,
        setFaults: faults.set,
        runDrift,
      }),
    );
    control.add(vault.controlRoutes());
    for (const plugin of plugins) control.add(plugin.controlRoutes ?? []);
    const armEndpoint = await arm.server.start();
    const vaultUrl = await vault.start();
    const controlUrl = await control.start();
    await world.start();
    faults.set(scenario?.core.faults ?? {});
    const deployer = vault.deployer();
    const coreFields = connectionFields({ armEndpoint, controlUrl, caCertPath: tls.ca.certPath, identity, timeScale });
    coreFields.keyVault = { vaultUrl, deployerKeyId: deployer.keyId, deployerAddress: deployer.address };
    const evmFaults = new EvmRequestFaults({ faults: faults.injector, operationLog, clock });
    const context = createPluginContext({
      dataDir,
      timeScale,
      log,
      controlUrl,
      arm: arm.state,
      world,
      deployer,
      evmFaults,
    });
    const fields = await startPlugins(plugins, context, coreFields, startedPlugins);
    scheduleDriftEvents(scenario, clock, runDrift, log);
    await applyPluginSections(plugins, scenario);
    const connection = writeConnectionFile(dataDir, fields);
    log(`simulated cloud: ARM ${armEndpoint}, Key Vault ${vaultUrl}, control ${controlUrl}, time scale ${timeScale}`);
    return { connection, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Plugin names key scenario sections and cloud.json fields, so they must be unique and not a core section's. */
function checkPluginNames(plugins: readonly CloudPlugin[]): Set<string> {
  const names = new Set(plugins.map((plugin) => plugin.name));
  if (names.size !== plugins.length) throw new Error("plugin names must be unique");
  for (const reserved of coreSections)
    if (names.has(reserved)) throw new Error(`'${reserved}' cannot be a plugin name`);
  return names;
}

/** Simulated time; what a timed action throws is logged, not allowed to take the process down. */
function startClock(timeScale: number, log: (line: string) => void): SimClock {
  return new SimClock(timeScale, (error) =>
    log(
      `simulator error in a timed action: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    ),
  );
}

/** The CA (kept in the data directory, so clients trust it across restarts) and the loopback servers' certificate. */
interface Tls {
  ca: CertificateAuthority;
  certificate: ServerCertificate;
}

function loadTls(dataDir: string): Tls {
  const ca = loadOrCreateCa(dataDir);
  return { ca, certificate: issueLoopbackCertificate(ca) };
}

const identitySchema = z.object({ subscriptionId: z.uuid(), tenantId: z.uuid() });
type Identity = z.infer<typeof identitySchema>;

/** The subscription and tenant stay the same across restarts of one data directory. */
function loadOrCreateIdentity(dataDir: string): Identity {
  const path = join(dataDir, "identity.json");
  if (existsSync(path)) return identitySchema.parse(JSON.parse(readFileSync(path, "utf8")));
  const identity = { subscriptionId: randomUUID(), tenantId: randomUUID() };
  writeFileSync(path, `${JSON.stringify(identity, null, 2)}\n`);
  return identity;
}

/** The fault injector and ARM's throttle, which fault rules configure together. */
interface FaultInjection {
  injector: FaultInjector;
  throttle: SubscriptionThrottle;
  set: (rules: FaultRules) => void;
}

function createFaultInjection(): FaultInjection {
  const injector = new FaultInjector();
  const throttle = new SubscriptionThrottle();
  return {
    injector,
    throttle,
    set: (rules) => {
      injector.set(rules);
      throttle.configure(rules.throttling ?? {});
    },
  };
}

/** The subscription's state and the HTTPS server that maps ARM requests onto it. */
function createArm(parts: {
  identity: Identity;
  clock: SimClock;
  tls: Tls;
  faults: FaultInjection;
  operationLog: OperationLog;
  clusterApi: ClusterApiHost;
  log: (line: string) => void;
}): { state: ArmState; server: ArmServer } {
  const { identity, clock, tls, faults, operationLog, clusterApi, log } = parts;
  const state = new ArmState({
    subscriptionId: identity.subscriptionId,
    tenantId: identity.tenantId,
    clock,
    faults: faults.injector,
    operationLog,
    clusterApi,
    log,
  });
  const server = new ArmServer({
    state,
    tenantId: identity.tenantId,
    certificate: tls.certificate,
    caPem: tls.ca.certPem,
    throttle: faults.throttle,
    faults: faults.injector,
    operationLog,
    clock,
    log,
  });
  return { state, server };
}

/** The fields of cloud.json that the cloud itself sets (plugins add theirs). */
function connectionFields(cloud: {
  armEndpoint: string;
  controlUrl: string;
  caCertPath: string;
  identity: Identity;
  timeScale: number;
}): Record<string, unknown> {
  return {
    armEndpoint: cloud.armEndpoint,
    caCertPath: cloud.caCertPath,
    subscriptionId: cloud.identity.subscriptionId,
    tenantId: cloud.identity.tenantId,
    controlUrl: cloud.controlUrl,
    timeScale: cloud.timeScale,
    regions: Object.keys(regions),
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
}

/**
 * Starts the plugins in order (each joins `started` first, so that a failed start is still
 * closed) and merges the fields they return into the connection fields; none may overwrite one.
 */
async function startPlugins(
  plugins: readonly CloudPlugin[],
  context: CloudPluginContext,
  coreFields: Record<string, unknown>,
  started: CloudPlugin[],
): Promise<Record<string, unknown>> {
  const fields = { ...coreFields };
  for (const plugin of plugins) {
    started.push(plugin);
    const extra = await plugin.start?.(context);
    for (const [key, value] of Object.entries(extra ?? {})) {
      if (key in fields)
        throw new Error(`plugin ${plugin.name} tried to set cloud.json field '${key}', which is already set`);
      fields[key] = value;
    }
  }
  return fields;
}

function writeConnectionFile(dataDir: string, fields: Record<string, unknown>): CloudConnection {
  const connection = CloudConnectionSchema.parse(fields);
  writeFileSync(join(dataDir, connectionFileName), `${JSON.stringify(connection, null, 2)}\n`);
  return connection;
}

/** Plugins close first, in reverse order (a failure is logged, not allowed to stop the rest), then the clock and the servers. */
async function closeCloud(
  startedPlugins: readonly CloudPlugin[],
  clock: SimClock,
  servers: readonly { close(): Promise<void> }[],
  log: (line: string) => void,
): Promise<void> {
  for (const plugin of [...startedPlugins].reverse()) {
    try {
      await plugin.close?.();
    } catch (error) {
      log(`plugin ${plugin.name} failed to close: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  clock.close();
  await Promise.allSettled(servers.map((server) => server.close()));
}

/** `close()` may be called more than once (and after a failed start); the work happens once. */
function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= action();
    return running;
  };
}
export { BesuCloudFieldsSchema, createBesuPlugin, type BesuCloudFields } from "./besu/plugin.js";
export type { OperationLogEntry } from "./oplog.js";
