/**
 * kubectl's everyday verbs on a simulated cluster, through the real @kubernetes/client-node: the
 * scale subresource, deletecollection, Services publishing not-ready addresses, and RBAC for a
 * service account's token.
 */
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import type { KubeConfig } from "@kubernetes/client-node" with { "resolution-mode": "import" };
import type { ContainerRuntime } from "../src/kube/container-runtime.js";
import type { CloudPlugin } from "../src/plugin.js";
import {
  createTieredConfigMaps,
  eventually,
  grantServiceAccount,
  kubeFailure,
  loadKubeClient,
  startClusterWithNamespace,
  type TestCloud,
} from "./helpers.js";

type KubeClient = Awaited<ReturnType<typeof loadKubeClient>>;

const NAMESPACE = "verbs";

/** `example/web` serves HTTP on 8080 and is ready; `example/warming` serves too but its readiness check fails. */
const testRuntime: ContainerRuntime = {
  claims: (image) => image.startsWith("example/"),
  start: (environment) => {
    const image = String(
      (environment.pod.spec as { containers: { name: string; image: string }[] }).containers.find(
        (container) => container.name === environment.containerName,
      )?.image,
    );
    return {
      started: true,
      container: {
        handleHttp: (port: number, req: IncomingMessage, res: ServerResponse) => {
          if (port !== 8080) return false;
          const notReady = req.url?.startsWith("/ready") === true && image.startsWith("example/warming");
          res.writeHead(notReady ? 503 : 200, { "Content-Type": "application/json" });
          res.end(JSON.stringify({ pod: environment.location.podName }));
          return true;
        },
        stop: () => undefined,
      },
    };
  },
};

const testPlugin: CloudPlugin = { name: "verbs-runtime", runtimes: [testRuntime] };

function statefulSet(name: string, replicas: number): Record<string, unknown> {
  return {
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "web", image: "example/web:1", ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

describe("kubectl's everyday verbs on a simulated cluster", () => {
  let test: TestCloud;
  let k8s: KubeClient;
  let admin: KubeConfig;

  before(async () => {
    k8s = await loadKubeClient();
    ({ test, admin } = await startClusterWithNamespace([testPlugin], {
      resourceGroup: "rg-verbs",
      cluster: "aks-verbs",
      location: "westeurope",
      namespace: NAMESPACE,
    }));
  });

  after(async () => {
    await test.close();
  });

  it("reads and writes a StatefulSet's scale: replicas, status, selector; 409 on a stale version, 422 on negative replicas", async () => {
    const apps = admin.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedStatefulSet({ namespace: NAMESPACE, body: statefulSet("web", 1) });
    await eventually("web-0 runs", async () => {
      const current = await apps.readNamespacedStatefulSet({ name: "web", namespace: NAMESPACE });
      return current.status?.replicas === 1 ? current : undefined;
    });
    const scale = await apps.readNamespacedStatefulSetScale({ name: "web", namespace: NAMESPACE });
    assert.equal(scale.kind, "Scale");
    assert.equal(scale.apiVersion, "autoscaling/v1");
    assert.equal(scale.spec?.replicas, 1);
    assert.equal(scale.status?.replicas, 1);
    assert.equal(scale.status?.selector, "app=web");

    // What `kubectl scale statefulset web --replicas=3` sends: a merge patch of the scale.
    const patched = await apps.patchNamespacedStatefulSetScale(
      { name: "web", namespace: NAMESPACE, body: { spec: { replicas: 3 } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    assert.equal(patched.spec?.replicas, 3);
    const scaled = await eventually("three pods", async () => {
      const current = await apps.readNamespacedStatefulSet({ name: "web", namespace: NAMESPACE });
      return current.status?.replicas === 3 ? current : undefined;
    });
    assert.equal(scaled.spec?.replicas, 3);

    const stale = await kubeFailure(
      apps.replaceNamespacedStatefulSetScale({
        name: "web",
        namespace: NAMESPACE,
        body: { metadata: { name: "web", resourceVersion: scale.metadata?.resourceVersion }, spec: { replicas: 2 } },
      }),
    );
    assert.equal(stale.code, 409);
    assert.equal(stale.body.reason, "Conflict");
    assert.match(String(stale.body.message), /^Operation cannot be fulfilled on statefulsets\.apps "web"/);

    const negative = await kubeFailure(
      apps.patchNamespacedStatefulSetScale(
        { name: "web", namespace: NAMESPACE, body: { spec: { replicas: -1 } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      ),
    );
    assert.equal(negative.code, 422);
    assert.deepEqual(negative.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      reason: "Invalid",
      details: {
        name: "web",
        group: "autoscaling",
        kind: "Scale",
        causes: [
          {
            reason: "FieldValueInvalid",
            message: "Invalid value: -1: must be greater than or equal to 0",
            field: "spec.replicas",
          },
        ],
      },
      code: 422,
    });

    const current = await apps.readNamespacedStatefulSetScale({ name: "web", namespace: NAMESPACE });
    const replaced = await apps.replaceNamespacedStatefulSetScale({
      name: "web",
      namespace: NAMESPACE,
      body: { metadata: { name: "web", resourceVersion: current.metadata?.resourceVersion }, spec: { replicas: 1 } },
    });
    assert.equal(replaced.spec?.replicas, 1);
    assert.equal((await apps.readNamespacedStatefulSet({ name: "web", namespace: NAMESPACE })).spec?.replicas, 1);
  });

  it("scales a Deployment through its scale subresource, and lists scale in discovery", async () => {
    const apps = admin.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: NAMESPACE,
      body: {
        metadata: { name: "api" },
        spec: {
          replicas: 1,
          selector: {
            matchLabels: { app: "api" },
            matchExpressions: [{ key: "tier", operator: "In", values: ["web", "edge"] }],
          },
          template: {
            metadata: { labels: { app: "api", tier: "web" } },
            spec: { containers: [{ name: "web", image: "example/web:1" }] },
          },
        },
      },
    });
    const scale = await apps.readNamespacedDeploymentScale({ name: "api", namespace: NAMESPACE });
    assert.equal(scale.status?.selector, "app=api,tier in (edge,web)");
    await apps.patchNamespacedDeploymentScale(
      { name: "api", namespace: NAMESPACE, body: { spec: { replicas: 2 } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch),
    );
    await eventually("two api pods", async () => {
      const pods = await admin
        .makeApiClient(k8s.CoreV1Api)
        .listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app=api" });
      return pods.items.length === 2 ? pods : undefined;
    });
    const discovery = await admin.makeApiClient(k8s.AppsV1Api).getAPIResources();
    const subresource = discovery.resources.find((resource) => resource.name === "deployments/scale");
    assert.deepEqual([subresource?.group, subresource?.version, subresource?.kind], ["autoscaling", "v1", "Scale"]);
  });

  it("deletes a collection by label and field selectors, and only that", async () => {
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await createTieredConfigMaps(admin, NAMESPACE, "collection", [
      ["cm-a", "validator"],
      ["cm-b", "validator"],
      ["cm-c", "sentry"],
    ]);
    await core.deleteCollectionNamespacedConfigMap({
      namespace: NAMESPACE,
      labelSelector: "group=collection,tier=validator",
      fieldSelector: "metadata.name!=cm-b",
    });
    const left = await core.listNamespacedConfigMap({ namespace: NAMESPACE, labelSelector: "group=collection" });
    assert.deepEqual(
      left.items.map((item) => item.metadata?.name),
      ["cm-b", "cm-c"],
    );
    await core.deleteCollectionNamespacedConfigMap({ namespace: NAMESPACE, labelSelector: "group=collection" });
    const none = await core.listNamespacedConfigMap({ namespace: NAMESPACE, labelSelector: "group=collection" });
    assert.equal(none.items.length, 0);
  });

  it("routes a Service with publishNotReadyAddresses to pods that are not ready, and others only to ready pods", async () => {
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name: "warming", labels: { app: "warming" } },
        spec: {
          containers: [
            {
              name: "web",
              image: "example/warming:1",
              ports: [{ name: "http", containerPort: 8080 }],
              readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 2, failureThreshold: 1 },
            },
          ],
        },
      },
    });
    for (const [name, publish] of [
      ["warming-all", true],
      ["warming-ready", false],
    ] as const) {
      await core.createNamespacedService({
        namespace: NAMESPACE,
        body: {
          metadata: { name },
          spec: {
            selector: { app: "warming" },
            publishNotReadyAddresses: publish,
            ports: [{ name: "http", port: 80, targetPort: "http" }],
          },
        },
      });
    }
    const published = await eventually("the not-ready pod published", async () => {
      const endpoints = await core.readNamespacedEndpoints({ name: "warming-all", namespace: NAMESPACE });
      return endpoints.subsets?.[0]?.addresses?.length === 1 ? endpoints : undefined;
    });
    assert.equal(published.subsets?.[0]?.addresses?.[0]?.targetRef?.name, "warming");
    assert.equal(published.subsets?.[0]?.notReadyAddresses, undefined);
    const held = await eventually("the not-ready pod held back", async () => {
      const endpoints = await core.readNamespacedEndpoints({ name: "warming-ready", namespace: NAMESPACE });
      return endpoints.subsets?.[0]?.notReadyAddresses?.length === 1 ? endpoints : undefined;
    });
    assert.equal(held.subsets?.[0]?.addresses, undefined);
    const pod = await core.readNamespacedPod({ name: "warming", namespace: NAMESPACE });
    assert.equal(pod.status?.conditions?.find((condition) => condition.type === "Ready")?.status, "False");

    const reached: unknown = await core.connectGetNamespacedServiceProxyWithPath({
      name: "warming-all:http",
      namespace: NAMESPACE,
      path: "hello",
    });
    assert.deepEqual(typeof reached === "string" ? JSON.parse(reached) : reached, { pod: "warming" });
    const refused = await kubeFailure(
      core.connectGetNamespacedServiceProxyWithPath({
        name: "warming-ready:http",
        namespace: NAMESPACE,
        path: "hello",
      }),
    );
    assert.equal(refused.code, 503);
  });

  it("authorizes a service account token by its Role for every resource and subresource, with Kubernetes' 403 bodies", async () => {
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: "scaler" } } });
    await grantServiceAccount(admin, NAMESPACE, "scaler", [
      { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["get"] },
      { apiGroups: ["apps"], resources: ["statefulsets/scale"], resourceNames: ["web"], verbs: ["get", "patch"] },
    ]);
    const tokenRequest = await core.createNamespacedServiceAccountToken({
      name: "scaler",
      namespace: NAMESPACE,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const token = tokenRequest.status?.token;
    assert.ok(token !== undefined && token !== "");
    const { KubeConfig: KubeConfigClass } = k8s;
    const asScaler: KubeConfig = new KubeConfigClass();
    const cluster = admin.getCurrentCluster();
    assert.ok(cluster !== null);
    asScaler.loadFromOptions({
      clusters: [cluster],
      users: [{ name: "scaler", token }],
      contexts: [{ name: "scaler", cluster: cluster.name, user: "scaler" }],
      currentContext: "scaler",
    });
    const apps = asScaler.makeApiClient(k8s.AppsV1Api);
    assert.equal((await apps.readNamespacedStatefulSet({ name: "web", namespace: NAMESPACE })).metadata?.name, "web");
    const scaled = await apps.patchNamespacedStatefulSetScale(
      { name: "web", namespace: NAMESPACE, body: { spec: { replicas: 2 } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    assert.equal(scaled.spec?.replicas, 2);

    const user = `system:serviceaccount:${NAMESPACE}:scaler`;
    const secret = await kubeFailure(
      asScaler.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: "anything", namespace: NAMESPACE }),
    );
    assert.equal(secret.code, 403);
    assert.deepEqual(secret.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `secrets "anything" is forbidden: User "${user}" cannot get resource "secrets" in API group "" in the namespace "${NAMESPACE}"`,
      reason: "Forbidden",
      details: { name: "anything", kind: "secrets" },
      code: 403,
    });
    const update = await kubeFailure(
      apps.replaceNamespacedStatefulSetScale({ name: "web", namespace: NAMESPACE, body: { spec: { replicas: 1 } } }),
    );
    assert.equal(update.code, 403);
    assert.equal(
      update.body.message,
      `statefulsets.apps "web" is forbidden: User "${user}" cannot update resource "statefulsets/scale" in API group "apps" in the namespace "${NAMESPACE}"`,
    );
    const list = await kubeFailure(asScaler.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: NAMESPACE }));
    assert.equal(list.code, 403);
    assert.equal(
      list.body.message,
      `pods is forbidden: User "${user}" cannot list resource "pods" in API group "" in the namespace "${NAMESPACE}"`,
    );
    const log = await kubeFailure(
      asScaler.makeApiClient(k8s.CoreV1Api).readNamespacedPodLog({ name: "web-0", namespace: NAMESPACE }),
    );
    assert.equal(log.code, 403);
    assert.match(String(log.body.message), /cannot get resource "pods\/log" in API group ""/);

    // The token dies with its service account.
    await core.deleteNamespacedServiceAccount({ name: "scaler", namespace: NAMESPACE });
    const orphaned = await kubeFailure(apps.readNamespacedStatefulSet({ name: "web", namespace: NAMESPACE }));
    assert.equal(orphaned.code, 401);
  });
});
