/** Shared set-up for the simulated cloud's tests: a cloud in a temporary data dir and raw HTTPS calls that trust its CA. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request, type Agent } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { ContainerServiceClient, RestError } from "@azure/arm-containerservice";
import type { KubeConfig } from "@kubernetes/client-node" with { "resolution-mode": "import" };
import {
  simulatorCredential,
  startCloud,
  type CloudConnection,
  type CloudPlugin,
  type RunningCloud,
} from "../src/index.js";
import { waitFor } from "@besu-fleet/local-support";

/** Fast enough that an AKS create (5–10 simulated minutes) takes a fraction of a second. */
export const testTimeScale = 2000;

export interface TestCloud {
  cloud: RunningCloud;
  connection: CloudConnection;
  ca: string;
  dataDir: string;
  client: ContainerServiceClient;
  close(): Promise<void>;
}

export async function startTestCloud(
  options: { scenarioFile?: string; plugins?: CloudPlugin[]; dataDir?: string } = {},
): Promise<TestCloud> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "besu-fleet-cloud-"));
  const cloud = await startCloud({
    dataDir,
    timeScale: testTimeScale,
    ...(options.scenarioFile === undefined ? {} : { scenarioFile: options.scenarioFile }),
    ...(options.plugins === undefined ? {} : { plugins: options.plugins }),
  });
  const ca = readFileSync(cloud.connection.caCertPath, "utf8");
  const client = new ContainerServiceClient(simulatorCredential(), cloud.connection.subscriptionId, {
    endpoint: cloud.connection.armEndpoint,
    tlsOptions: { ca },
    // Keep the SDK's own retry policy, with short delays so that retried 5xx do not slow tests.
    retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 200 },
  });
  return {
    cloud,
    connection: cloud.connection,
    ca,
    dataDir,
    client,
    close: async () => {
      await cloud.close();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

/** An HTTPS request that trusts only the simulator's CA. */
export function httpsRequest(
  url: string,
  ca: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // A string body is sent as it is (to test malformed requests); anything else as JSON.
    const payload =
      options.body === undefined
        ? undefined
        : typeof options.body === "string"
          ? options.body
          : JSON.stringify(options.body);
    const req = request(
      url,
      // No pooling unless asked for: a test must see a closed server as closed, not as a stale pooled socket.
      {
        method: options.method ?? "GET",
        ca,
        agent: options.agent ?? false,
        headers: {
          ...(payload === undefined
            ? {}
            : { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(payload)) }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = text === "" ? undefined : (JSON.parse(text) as unknown);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** ARM call with a bearer token (resource groups, usages: operations the container service client does not cover). */
export function arm(test: TestCloud, method: string, path: string, body?: unknown): Promise<RawResponse> {
  const separator = path.includes("?") ? "&" : "?";
  return httpsRequest(`${test.connection.armEndpoint}${path}${separator}api-version=2021-04-01`, test.ca, {
    method,
    body,
    headers: { Authorization: "Bearer test" },
  });
}

export async function createResourceGroup(test: TestCloud, name: string, location: string): Promise<void> {
  const response = await arm(test, "PUT", `/subscriptions/${test.connection.subscriptionId}/resourcegroups/${name}`, {
    location,
  });
  if (response.status !== 201 && response.status !== 200)
    throw new Error(`resource group ${name}: ${response.status} ${response.text}`);
}

/** Control API call (plain HTTP on loopback). */
export async function control(
  test: TestCloud,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${test.connection.controlUrl}/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

export function clusterParameters(
  location: string,
  count = 2,
  vmSize = "Standard_D2s_v5",
): Parameters<ContainerServiceClient["managedClusters"]["createOrUpdate"]>[2] {
  return {
    location,
    dnsPrefix: "fleet",
    identity: { type: "SystemAssigned" },
    agentPoolProfiles: [{ name: "system", count, vmSize, mode: "System", osType: "Linux" }],
  };
}

/** @kubernetes/client-node 2.x is an ES module: this CommonJS project loads it dynamically. */
export function loadKubeClient(): Promise<
  typeof import("@kubernetes/client-node", { with: { "resolution-mode": "import" } })
> {
  return import("@kubernetes/client-node");
}

/**
 * Creates a cluster through the SDK's poller and returns a KubeConfig for it: the user credential
 * (the control plane's, under RBAC for Secrets) or the admin one (`system:masters`).
 */
export async function createCluster(
  test: TestCloud,
  resourceGroup: string,
  name: string,
  location: string,
  count = 2,
  credential: "user" | "admin" = "user",
): Promise<KubeConfig> {
  await test.client.managedClusters
    .createOrUpdate(resourceGroup, name, clusterParameters(location, count), { updateIntervalInMs: 10 })
    .pollUntilDone();
  return clusterKubeConfig(test, resourceGroup, name, credential);
}

/** A cloud running the given plugins with one cluster (admin credential) that holds a namespace. */
export async function startClusterWithNamespace(
  plugins: CloudPlugin[],
  where: { resourceGroup: string; cluster: string; location: string; namespace: string },
): Promise<{ test: TestCloud; admin: KubeConfig }> {
  const test = await startTestCloud({ plugins });
  await createResourceGroup(test, where.resourceGroup, where.location);
  const admin = await createCluster(test, where.resourceGroup, where.cluster, where.location, 2, "admin");
  const { CoreV1Api } = await loadKubeClient();
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: where.namespace } } });
  return { test, admin };
}

/** A Kubernetes Status body, as a failed client call carries it. */
export interface KubeStatus {
  reason?: string;
  message?: string;
  details?: { causes?: { field: string }[] };
  [field: string]: unknown;
}

/** The code and Status body a Kubernetes client call fails with (the test fails if it succeeds). */
export async function kubeFailure(promise: Promise<unknown>): Promise<{ code: number | undefined; body: KubeStatus }> {
  try {
    await promise;
  } catch (error) {
    const { code, body } = (typeof error === "object" && error !== null ? error : {}) as {
      code?: unknown;
      body?: unknown;
    };
    return {
      code: typeof code === "number" ? code : undefined,
      body: (typeof body === "string" ? JSON.parse(body) : (body ?? {})) as KubeStatus,
    };
  }
  assert.fail("expected the Kubernetes call to fail");
}

/** A Role and a RoleBinding, both named after the service account, that grant it `rules` in its namespace. */
export async function grantServiceAccount(
  kubeConfig: KubeConfig,
  namespace: string,
  serviceAccount: string,
  rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[],
): Promise<void> {
  const { RbacAuthorizationV1Api } = await loadKubeClient();
  const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name: serviceAccount }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: serviceAccount },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: serviceAccount },
      subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace }],
    },
  });
}

/** ConfigMaps named and labelled `tier` and `group`, each holding its tier. */
export async function createTieredConfigMaps(
  kubeConfig: KubeConfig,
  namespace: string,
  group: string,
  tiers: readonly (readonly [name: string, tier: string])[],
): Promise<void> {
  const { CoreV1Api } = await loadKubeClient();
  const core = kubeConfig.makeApiClient(CoreV1Api);
  for (const [name, tier] of tiers)
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name, labels: { tier, group } }, data: { tier } },
    });
}

/** A KubeConfig for an existing cluster, with the user or the admin credential. */
export async function clusterKubeConfig(
  test: TestCloud,
  resourceGroup: string,
  name: string,
  credential: "user" | "admin" = "user",
): Promise<KubeConfig> {
  const credentials =
    credential === "admin"
      ? await test.client.managedClusters.listClusterAdminCredentials(resourceGroup, name)
      : await test.client.managedClusters.listClusterUserCredentials(resourceGroup, name);
  const value = credentials.kubeconfigs?.[0]?.value;
  if (value === undefined) throw new Error("no kubeconfig returned");
  const { KubeConfig: KubeConfigClass } = await loadKubeClient();
  const kubeConfig: KubeConfig = new KubeConfigClass();
  kubeConfig.loadFromString(Buffer.from(value).toString("utf8"));
  return kubeConfig;
}

/** Polls until a condition holds (generous timeout: the simulator is fast, CI machines may not be). */
export function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  return waitFor(what, async () => probe(), timeoutMs, 50);
}

/** The RestError a call to the real SDK client fails with (the test fails if it succeeds or fails otherwise). */
export async function restError(promise: Promise<unknown>): Promise<RestError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RestError, `expected a RestError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to fail");
}
