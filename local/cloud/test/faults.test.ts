import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startCloud } from "../src/index.js";
import type { CloudPluginContext } from "../src/plugin.js";
import {
  arm,
  clusterParameters,
  control,
  createCluster,
  createResourceGroup,
  eventually,
  loadKubeClient,
  restError,
  startTestCloud,
  type TestCloud,
} from "./helpers.js";

interface LogEntry {
  seq: number;
  target: string;
  operation: string;
  status: unknown;
  region?: string;
  fault?: string;
  throttled: boolean;
}

async function operations(test: TestCloud, since = 0): Promise<LogEntry[]> {
  return ((await control(test, "GET", `operations?since=${since}`)).body as { entries: LogEntry[] }).entries;
}

async function lastSeq(test: TestCloud): Promise<number> {
  const entries = await operations(test);
  return entries[entries.length - 1]?.seq ?? 0;
}

describe("faults from a scenario file", () => {
  let test: TestCloud;
  const scenarioDir = mkdtempSync(join(tmpdir(), "besu-fleet-scenario-"));
  const scenarioFile = join(scenarioDir, "scenario.yaml");

  before(async () => {
    writeFileSync(
      scenarioFile,
      [
        "faults:",
        "  regions:",
        "    koreasouth:",
        "      quota: { cores: 40, families: { standardDSv5Family: 4 } }",
        "    japanwest:",
        "      provisioningFailure: { code: VMExtensionProvisioningError, message: 'VM has reported a failure when processing extension vmssCSE.' }",
        "events:",
        "  - afterSeconds: 60",
        "    action: { type: deleteCluster, resourceGroup: rg-later, cluster: aks-later }",
        "",
      ].join("\n"),
    );
    test = await startTestCloud({ scenarioFile });
  });

  after(async () => {
    await test.close();
    rmSync(scenarioDir, { recursive: true, force: true });
  });

  it("applies per-region quota limits and fails on the vCPU family as AKS does", async () => {
    await createResourceGroup(test, "rg-family", "koreasouth");
    const usages = await arm(
      test,
      "GET",
      `/subscriptions/${test.connection.subscriptionId}/providers/Microsoft.Compute/locations/koreasouth/usages`,
    );
    const list = (usages.body as { value: { name: { value: string }; limit: number }[] }).value;
    assert.equal(list.find((entry) => entry.name.value === "cores")?.limit, 40);
    assert.equal(list.find((entry) => entry.name.value === "standardDSv5Family")?.limit, 4);
    const error = await restError(
      test.client.managedClusters
        .createOrUpdate("rg-family", "aks", clusterParameters("koreasouth", 3), { updateIntervalInMs: 10 })
        .pollUntilDone(),
    );
    assert.equal(error.statusCode, 400);
    assert.equal(error.code, "ErrCode_InsufficientVCPUQuota");
    assert.match(
      error.message,
      /Insufficient vcpu quota requested 6, remaining 4 for family StandardDSv5Family for region koreasouth/,
    );
  });

  it("fails provisioning in a region with the configured code", async () => {
    await createResourceGroup(test, "rg-fail", "japanwest");
    // core-lro reports a failed operation as a plain Error naming the operation's error code.
    await assert.rejects(
      test.client.managedClusters
        .createOrUpdate("rg-fail", "aks-fail", clusterParameters("japanwest", 1), { updateIntervalInMs: 10 })
        .pollUntilDone(),
      /The long-running operation has failed\. VMExtensionProvisioningError\. VM has reported a failure/,
    );
    const cluster = await test.client.managedClusters.get("rg-fail", "aks-fail");
    assert.equal(cluster.provisioningState, "Failed");
    const entries = await operations(test);
    assert.ok(
      entries.some((entry) => entry.target === "lro" && entry.region === "japanwest" && entry.status === "Failed"),
    );
  });

  it("runs the scenario's timed drift events", async () => {
    const entry = await eventually("scenario event logged", async () =>
      (await operations(test)).find(
        (candidate) => candidate.target === "drift" && candidate.operation === "deleteCluster",
      ),
    );
    // Nothing named aks-later existed when the event fired.
    assert.equal(entry.status, "NotFound");
  });

  it("rejects a scenario with an unknown section", async () => {
    const badFile = join(scenarioDir, "bad.json");
    writeFileSync(badFile, JSON.stringify({ faults: {}, chaos: true }));
    const dataDir = mkdtempSync(join(tmpdir(), "besu-fleet-cloud-"));
    try {
      await assert.rejects(startCloud({ dataDir, scenarioFile: badFile, timeScale: 1000 }), /unknown section 'chaos'/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("faults and drift through the control API", () => {
  let test: TestCloud;
  let pluginContext: CloudPluginContext | undefined;

  before(async () => {
    test = await startTestCloud({
      plugins: [
        {
          name: "observer",
          start: (context) => {
            pluginContext = context;
            return { observerReady: true };
          },
          controlRoutes: [
            {
              method: "GET",
              path: "observer/clusters/:region",
              handle: ({ params }) => ({
                body:
                  pluginContext
                    ?.clusters()
                    .filter((cluster) => cluster.region === params.region)
                    .map((cluster) => cluster.name) ?? [],
              }),
            },
          ],
        },
      ],
    });
  });

  after(async () => {
    await test.close();
  });

  it("lets a plugin add cloud.json fields and control routes and see clusters and pods", async () => {
    assert.equal(test.connection.observerReady, true);
    await createResourceGroup(test, "rg-plugin", "centralindia");
    const kubeConfig = await createCluster(test, "rg-plugin", "aks-plugin", "centralindia", 1);
    const route = await control(test, "GET", "observer/clusters/centralindia");
    assert.deepEqual(route.body, ["aks-plugin"]);
    const k8s = await loadKubeClient();
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedPod({
      namespace: "default",
      body: { metadata: { name: "idle" }, spec: { containers: [{ name: "idle", image: "busybox:1.36" }] } },
    });
    const view = await eventually("pod visible and running", () =>
      pluginContext?.pods().find((pod) => pod.location.podName === "idle" && pod.running.has("idle")),
    );
    assert.equal(view.location.region, "centralindia");
    assert.match(view.location.podIP, /^10\.244\./);
  });

  it("injects transient 5xx on ARM that the SDK retries, and logs them", async () => {
    await createResourceGroup(test, "rg-5xx", "southindia");
    await test.client.managedClusters
      .createOrUpdate("rg-5xx", "aks", clusterParameters("southindia", 1), { updateIntervalInMs: 10 })
      .pollUntilDone();
    const since = await lastSeq(test);
    const set = await control(test, "PUT", "faults", {
      transient: [
        { target: "arm", region: "southindia", kind: "5xx", status: 503, rate: 1, count: 2 },
        { target: "arm", region: "southindia", kind: "reset", rate: 1, count: 1 },
      ],
    });
    assert.equal(set.status, 200);
    try {
      const cluster = await test.client.managedClusters.get("rg-5xx", "aks");
      assert.equal(cluster.name, "aks");
      const entries = await operations(test, since);
      assert.equal(entries.filter((entry) => entry.status === 503 && entry.fault !== undefined).length, 2);
      assert.equal(entries.filter((entry) => entry.status === "reset").length, 1);
      assert.ok(entries.some((entry) => entry.operation === "managedClusters.get" && entry.status === 200));
    } finally {
      await control(test, "DELETE", "faults");
    }
  });

  it("rejects invalid fault rules", async () => {
    const response = await control(test, "PUT", "faults", { transient: [{ target: "arm", kind: "boom", rate: 2 }] });
    assert.equal(response.status, 400);
  });

  it("makes a cluster's API server fail with 429 and 5xx on demand", async () => {
    await createResourceGroup(test, "rg-kfault", "westindia");
    const kubeConfig = await createCluster(test, "rg-kfault", "aks", "westindia", 1);
    const k8s = await loadKubeClient();
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    await control(test, "PUT", "faults", {
      transient: [
        { target: "kube", region: "westindia", kind: "429", rate: 1, count: 1 },
        { target: "kube", region: "westindia", kind: "5xx", rate: 1, count: 1 },
      ],
    });
    try {
      await assert.rejects(
        core.listNamespace(),
        (error: unknown) => typeof error === "object" && error !== null && "code" in error && error.code === 429,
      );
      await assert.rejects(
        core.listNamespace(),
        (error: unknown) => typeof error === "object" && error !== null && "code" in error && error.code === 500,
      );
      const namespaces = await core.listNamespace();
      assert.ok(namespaces.items.length >= 4);
    } finally {
      await control(test, "DELETE", "faults");
    }
  });

  it("changes things behind the control plane's back: pool scaled, object edited and deleted, pod killed, cluster deleted", async () => {
    await createResourceGroup(test, "rg-drift", "japaneast");
    const kubeConfig = await createCluster(test, "rg-drift", "aks-drift", "japaneast", 1);
    const k8s = await loadKubeClient();
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);

    const scaled = await control(test, "POST", "drift", {
      type: "scalePool",
      resourceGroup: "rg-drift",
      cluster: "aks-drift",
      pool: "system",
      count: 2,
    });
    assert.equal(scaled.status, 200);
    const pool = await test.client.agentPools.get("rg-drift", "aks-drift", "system");
    assert.equal(pool.count, 2);
    assert.equal((await core.listNode()).items.length, 2);

    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "static-nodes" }, data: { "static-nodes.json": "[]" } },
    });
    const edited = await control(test, "POST", "drift", {
      type: "editObject",
      resourceGroup: "rg-drift",
      cluster: "aks-drift",
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: "default",
      name: "static-nodes",
      mergePatch: { data: { "static-nodes.json": '["enode://x"]' } },
    });
    assert.equal(edited.status, 200);
    const configMap = await core.readNamespacedConfigMap({ name: "static-nodes", namespace: "default" });
    assert.equal(configMap.data?.["static-nodes.json"], '["enode://x"]');
    assert.ok(configMap.metadata?.managedFields?.some((entry) => entry.manager === "kubectl-edit"));

    const deleted = await control(test, "POST", "drift", {
      type: "deleteObject",
      resourceGroup: "rg-drift",
      cluster: "aks-drift",
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: "default",
      name: "static-nodes",
    });
    assert.equal(deleted.status, 200);
    await assert.rejects(core.readNamespacedConfigMap({ name: "static-nodes", namespace: "default" }));

    await core.createNamespacedPod({
      namespace: "default",
      body: { metadata: { name: "victim" }, spec: { containers: [{ name: "main", image: "busybox:1.36" }] } },
    });
    await eventually("victim running", async () =>
      (await core.readNamespacedPod({ name: "victim", namespace: "default" })).status?.containerStatuses?.[0]?.ready ===
      true
        ? true
        : undefined,
    );
    const killed = await control(test, "POST", "drift", {
      type: "killPod",
      resourceGroup: "rg-drift",
      cluster: "aks-drift",
      namespace: "default",
      pod: "victim",
    });
    assert.equal(killed.status, 200);
    const restarted = await eventually("victim restarted", async () => {
      const status = (await core.readNamespacedPod({ name: "victim", namespace: "default" })).status
        ?.containerStatuses?.[0];
      return status?.restartCount === 1 && status.ready ? status : undefined;
    });
    assert.equal(restarted.lastState?.terminated?.exitCode, 137);

    const missing = await control(test, "POST", "drift", {
      type: "killPod",
      resourceGroup: "rg-drift",
      cluster: "aks-drift",
      namespace: "default",
      pod: "nobody",
    });
    assert.equal(missing.status, 404);

    const gone = await control(test, "POST", "drift", {
      type: "deleteCluster",
      resourceGroup: "rg-drift",
      cluster: "aks-drift",
    });
    assert.equal(gone.status, 200);
    const error = await restError(test.client.managedClusters.get("rg-drift", "aks-drift"));
    assert.equal(error.statusCode, 404);
    const entries = await operations(test);
    assert.ok(
      entries.some(
        (entry) => entry.target === "drift" && entry.operation === "deleteCluster" && entry.status === "Succeeded",
      ),
    );
  });

  it("shows a read-only view of all state", async () => {
    const state = (await control(test, "GET", "state")).body as {
      subscriptionId: string;
      clusters: { name: string; region: string; agentPools: unknown[]; pods: unknown[] }[];
    };
    assert.equal(state.subscriptionId, test.connection.subscriptionId);
    const plugin = state.clusters.find((cluster) => cluster.name === "aks-plugin");
    assert.ok(plugin);
    assert.equal(plugin.region, "centralindia");
    assert.ok(plugin.pods.length >= 1);
    const objects = await control(test, "GET", "clusters/rg-plugin/aks-plugin/objects/namespaces");
    assert.equal(objects.status, 200);
    assert.ok((objects.body as { items: unknown[] }).items.length >= 4);
  });
});
