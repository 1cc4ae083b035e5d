/**
 * How other simulations (the Besu nodes and EVM chains of `local/cloud/besu` and `local/cloud/evm`)
 * plug into the simulated cloud without the cloud knowing about them.
 *
 * Lifecycle, in `startCloud`:
 * 1. the ARM server, the control server and the Kubernetes machinery start, with the scenario's
 *    `faults` already in force;
 * 2. every plugin's `start(context)` runs, in the order given; the fields it returns are merged
 *    into `cloud.json` (top level; a plugin may not overwrite a core field or another plugin's);
 * 3. the scenario's timed `events` are scheduled, then each plugin's `applyScenario` receives its
 *    section (the value under the plugin's name);
 * 4. `cloud.json` is written.
 * On `close()`, plugins' `close()` run in reverse order before the cloud's own servers stop.
 *
 * Container runtimes are consulted in plugin order before the built-in "runs and serves nothing"
 * behaviour; the first runtime whose `claims(image)` is true starts the container.
 */
import type { EvmRequestFaults } from "./evm/request-faults.js";
import type { ContainerRuntime, PodLocation, RunningContainer, PodEndpoint } from "./kube/container-runtime.js";

/** A JSON request to a control route. */
export interface ControlRequest {
  /** Values of the `:name` segments of the route path. */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** Parsed JSON body (undefined when the request had none). Validate it (zod) before use. */
  body: unknown;
}

/** A JSON answer from a control route; `status` defaults to 200. */
export interface ControlResponse {
  status?: number;
  body: unknown;
}

/**
 * A route of the control API. `path` is relative to `/_sim/` and may hold `:name` segments,
 * e.g. `besu/nodes/:cluster/:pod/stop` is served at `POST /_sim/besu/nodes/<cluster>/<pod>/stop`.
 * Throwing a {@link ControlError} answers with its status; any other error answers 500.
 */
export interface ControlRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  handle(request: ControlRequest): Promise<ControlResponse> | ControlResponse;
}

/** An error whose status and message a control route wants the caller to see. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ControlError";
  }
}

/** A cluster as the plugin sees it. `key` is `<subscriptionId>/<resourceGroup>/<clusterName>` (lower case). */
export interface ClusterView {
  key: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  region: string;
  /** `https://127.0.0.1:<port>` while the cluster's API server runs. */
  apiServerUrl: string;
}

/** A pod and the containers of it that are running right now. */
export interface PodView {
  clusterKey: string;
  location: PodLocation;
  /** The pod object as the API server stores it (a copy; editing it changes nothing). */
  pod: Readonly<Record<string, unknown>>;
  /** Running container instances by container name (absent when not running: crash loop, starting, stopped). */
  running: ReadonlyMap<string, RunningContainer>;
}

/** Identifies one Kubernetes object in one cluster. `namespace` is omitted for cluster-scoped kinds. */
export interface ObjectRef {
  clusterKey: string;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** What the cloud offers a plugin while it runs. Reads are snapshots; edits are out-of-band changes. */
export interface CloudPluginContext {
  /** The data directory given to `startCloud`; a plugin keeps its files under `<dataDir>/<plugin name>/`. */
  dataDir: string;
  /** Simulated time runs this many times faster than wall time. */
  timeScale: number;
  /** Writes a line to the cloud's log. Never pass secrets. */
  log(line: string): void;
  /** The control API base URL (`http://127.0.0.1:<port>/_sim`). */
  controlUrl: string;
  /**
   * The operator's deployer account: a key of the simulated Key Vault, which alone holds its
   * private key (sign through the vault). Chains fund its address.
   */
  deployer: { keyId: string; address: string };
  /** The fault rules' `evm` target: a chain's JSON-RPC server lets it see each request first. */
  evmFaults: EvmRequestFaults;
  clusters(): ClusterView[];
  /** All pods of all clusters (optionally of one cluster). */
  pods(clusterKey?: string): PodView[];
  /**
   * Resolves `host:port` as seen from a pod in the `default` namespace of a cluster (the same
   * routing a container's `ContainerEnvironment.resolve` uses).
   */
  resolve(fromClusterKey: string, host: string, port: number): PodEndpoint[];
  /** Reads an object as the API server stores it, or undefined. */
  getObject(ref: ObjectRef): Record<string, unknown> | undefined;
  /**
   * Replaces an object behind the control plane's back, as `kubectl replace` would: validated
   * (throws the API server's error when invalid), new resourceVersion, manager `kubectl-replace`.
   * Returns false when the object does not exist.
   */
  replaceObject(ref: ObjectRef, object: Record<string, unknown>): boolean;
  /** Deletes an object behind the control plane's back (with what it owns); false when it did not exist. */
  deleteObject(ref: ObjectRef): boolean;
  /** Kills a pod's containers: they restart as the kubelet would restart them. False when no such pod. */
  killPod(clusterKey: string, namespace: string, podName: string): boolean;
}

/** A simulation that extends the cloud. Every member except `name` is optional. */
export interface CloudPlugin {
  /** Short unique name, used in logs and as its scenario-file section key. */
  name: string;
  /** Runtimes for the images this plugin simulates. */
  runtimes?: readonly ContainerRuntime[];
  /** Extra routes of the control API (under `/_sim/`). */
  controlRoutes?: readonly ControlRoute[];
  /**
   * Starts the plugin. The returned object is merged into `cloud.json` (e.g. RPC URLs, chain
   * addresses); keep secrets out of it unless they are the simulator's published dev keys.
   */
  start?(context: CloudPluginContext): Promise<Record<string, unknown> | void> | Record<string, unknown> | void;
  /**
   * Applies this plugin's section of the scenario file (the value under the key `name`), as
   * parsed from JSON/YAML. Throw to reject the scenario; startCloud then fails with that message.
   */
  applyScenario?(section: unknown): Promise<void> | void;
  /** Frees every port and timer the plugin holds. */
  close?(): Promise<void> | void;
}
