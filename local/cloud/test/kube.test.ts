import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import type { KubeConfig, KubernetesObject, V1NetworkPolicySpec } from "@kubernetes/client-node" with {
  "resolution-mode": "import",
};
import type { ContainerEnvironment, ContainerRuntime } from "../src/kube/container-runtime.js";
import type { CloudPlugin } from "../src/plugin.js";
import {
  control,
  createCluster,
  createResourceGroup,
  createTieredConfigMaps,
  eventually,
  httpsRequest,
  kubeFailure,
  loadKubeClient,
  startClusterWithNamespace,
  type TestCloud,
} from "./helpers.js";

type KubeClient = Awaited<ReturnType<typeof loadKubeClient>>;

/** What the test runtime saw when its containers started. */
const started: {
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  greeting: string | undefined;
  podIP: string;
  podName: string;
  clusterName: string;
  resolve: ContainerEnvironment["resolve"];
}[] = [];
/** Readiness answer of `example/flaky` containers, switched by the test. */
let flakyReady = false;

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

/** A runtime for test images: `example/echo` serves HTTP on 8080, `example/crash` exits at once, `example/flaky` is ready on demand. */
const testRuntime: ContainerRuntime = {
  claims: (image) => image.startsWith("example/"),
  start: (environment: ContainerEnvironment) => {
    const image = String(
      (environment.pod.spec as { containers: { name: string; image: string }[] }).containers.find(
        (container) => container.name === environment.containerName,
      )?.image,
    );
    if (image.startsWith("example/crash"))
      return { started: false, exitCode: 1, reason: "Error", message: "fatal: no configuration file found" };
    started.push({
      argv: environment.argv,
      env: environment.env,
      greeting: environment.readFile("/etc/echo/greeting.txt"),
      podIP: environment.location.podIP,
      podName: environment.location.podName,
      clusterName: environment.location.clusterName,
      resolve: (host, port) => environment.resolve(host, port),
    });
    return {
      started: true,
      container: {
        handleHttp: (port: number, req: IncomingMessage, res: ServerResponse) => {
          if (port !== 8080) return false;
          if (req.url?.startsWith("/ready")) {
            answer(res, image.startsWith("example/flaky") && !flakyReady ? 503 : 200, { ready: true });
            return true;
          }
          answer(res, 200, {
            pod: environment.location.podName,
            path: req.url,
            greeting: environment.readFile("/etc/echo/greeting.txt") ?? null,
          });
          return true;
        },
        stop: () => undefined,
      },
    };
  },
};

const testPlugin: CloudPlugin = { name: "test-runtime", runtimes: [testRuntime] };

/** The cluster waits (`lro` entries other than ARM's operations) the operation log holds for a region. */
async function modelledWaits(
  test: TestCloud,
  region: string,
): Promise<{ operation: string; durationMs: number; cluster?: string }[]> {
  const { entries } = (await control(test, "GET", "operations")).body as {
    entries: { target: string; region?: string; cluster?: string; operation: string; durationMs: number }[];
  };
  return entries.filter(
    (entry) =>
      entry.target === "lro" &&
      entry.region === region &&
      entry.cluster !== undefined &&
      /^(pods|services)\./.test(entry.operation),
  );
}

describe("simulated Kubernetes API through the real @kubernetes/client-node", () => {
  let test: TestCloud;
  let k8s: KubeClient;
  let kubeConfig: KubeConfig;

  before(async () => {
    k8s = await loadKubeClient();
    ({ test, admin: kubeConfig } = await startClusterWithNamespace([testPlugin], {
      resourceGroup: "rg-kube",
      cluster: "aks-kube",
      location: "northeurope",
      namespace: "besu",
    }));
  });

  after(async () => {
    await test.close();
  });

  it("serves discovery, namespaces and nodes per agent pool", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const namespaces = await core.listNamespace();
    assert.deepEqual(namespaces.items.map((namespace) => namespace.metadata?.name).sort(), [
      "besu",
      "default",
      "kube-node-lease",
      "kube-public",
      "kube-system",
    ]);
    const nodes = await core.listNode();
    assert.equal(nodes.items.length, 2);
    assert.equal(nodes.items[0]?.metadata?.labels?.["topology.kubernetes.io/region"], "northeurope");
    const apis = kubeConfig.makeApiClient(k8s.ApisApi);
    const groups = await apis.getAPIVersions();
    assert.ok(groups.groups.some((group) => group.name === "apps"));
  });

  it("applies server-side twice without a change, then with one", async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
    const manifest: KubernetesObject & { data: Record<string, string> } = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "genesis", namespace: "besu", labels: { app: "besu" } },
      data: { "genesis.json": "{}" },
    };
    const first = await objects.patch(
      manifest,
      undefined,
      undefined,
      "besu-fleet",
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    const second = await objects.patch(
      manifest,
      undefined,
      undefined,
      "besu-fleet",
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion);
    assert.equal(second.metadata?.managedFields?.[0]?.manager, "besu-fleet");
    assert.equal(second.metadata?.managedFields?.[0]?.operation, "Apply");
    const changed = await objects.patch(
      { ...manifest, data: { "genesis.json": '{"config":{}}' } },
      undefined,
      undefined,
      "besu-fleet",
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    assert.notEqual(changed.metadata?.resourceVersion, first.metadata?.resourceVersion);
    // A field no longer applied by its only manager is removed.
    const pruned = (await objects.patch(
      { ...manifest, metadata: { name: "genesis", namespace: "besu" } },
      undefined,
      undefined,
      "besu-fleet",
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as KubernetesObject;
    assert.equal(pruned.metadata?.labels?.app, undefined);
  });

  it("keys Service ports by port and protocol: TCP and UDP on one port applied twice stay two ports", async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
    const service: KubernetesObject & { spec: Record<string, unknown> } = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "p2p", namespace: "besu" },
      // ClusterIP: a LoadBalancer's IP arrives later and would change the resourceVersion between the applies.
      spec: {
        type: "ClusterIP",
        selector: { app: "p2p" },
        ports: [
          { name: "rlpx", port: 30303, protocol: "TCP" },
          { name: "discovery", port: 30303, protocol: "UDP" },
        ],
      },
    };
    const first = await objects.patch(
      service,
      undefined,
      undefined,
      "besu-fleet",
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    const second = (await objects.patch(
      service,
      undefined,
      undefined,
      "besu-fleet",
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as KubernetesObject & { spec: { ports: { name: string }[] } };
    assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion);
    assert.deepEqual(
      second.spec.ports.map((port) => port.name),
      ["rlpx", "discovery"],
    );
  });

  it("applies a Secret with stringData twice without a change", async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
    const secret: KubernetesObject & { stringData: Record<string, string> } = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "node-key", namespace: "besu" },
      stringData: { key: "0xabc" },
    };
    const first = await objects.patch(
      secret,
      undefined,
      undefined,
      "besu-fleet",
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    const second = (await objects.patch(
      secret,
      undefined,
      undefined,
      "besu-fleet",
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as KubernetesObject & { data?: Record<string, string> };
    assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion);
    assert.equal(Buffer.from(second.data?.key ?? "", "base64").toString("utf8"), "0xabc");
  });

  it("reports apply conflicts between field managers unless forced", async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
    const manifest = (value: string): KubernetesObject & { data: Record<string, string> } => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "owned", namespace: "besu" },
      data: { level: value },
    });
    await objects.patch(manifest("one"), undefined, undefined, "team-a", false, k8s.PatchStrategy.ServerSideApply);
    const conflict = await kubeFailure(
      objects.patch(manifest("two"), undefined, undefined, "team-b", false, k8s.PatchStrategy.ServerSideApply),
    );
    assert.equal(conflict.code, 409);
    assert.equal(conflict.body.reason, "Conflict");
    assert.match(conflict.body.message ?? "", /conflict with "team-a": \.data\.level/);
    const forced = (await objects.patch(
      manifest("two"),
      undefined,
      undefined,
      "team-b",
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as KubernetesObject & { data?: Record<string, string> };
    assert.equal(forced.data?.level, "two");
    assert.deepEqual(
      forced.metadata?.managedFields?.map((entry) => entry.manager),
      ["team-b"],
    );
  });

  it("answers 404, 409 AlreadyExists and 422 Invalid with Status bodies", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const missing = await kubeFailure(core.readNamespacedConfigMap({ name: "nope", namespace: "besu" }));
    assert.equal(missing.code, 404);
    assert.equal(missing.body.reason, "NotFound");
    assert.equal(missing.body.message, 'configmaps "nope" not found');
    await core.createNamespacedConfigMap({ namespace: "besu", body: { metadata: { name: "dup" }, data: { a: "1" } } });
    const duplicate = await kubeFailure(
      core.createNamespacedConfigMap({ namespace: "besu", body: { metadata: { name: "dup" }, data: { a: "1" } } }),
    );
    assert.equal(duplicate.code, 409);
    assert.equal(duplicate.body.reason, "AlreadyExists");
    const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    const invalid = await kubeFailure(
      apps.createNamespacedDeployment({
        namespace: "besu",
        body: {
          metadata: { name: "broken" },
          spec: {
            selector: { matchLabels: { app: "x" } },
            template: { metadata: { labels: { app: "y" } }, spec: { containers: [{ name: "c", image: "" }] } },
          },
        },
      }),
    );
    assert.equal(invalid.code, 422);
    assert.equal(invalid.body.reason, "Invalid");
    const fields = invalid.body.details?.causes?.map((cause) => cause.field) ?? [];
    assert.ok(fields.includes("spec.template.metadata.labels"));
    assert.ok(fields.includes("spec.template.spec.containers[0].image"));
    const stale = await kubeFailure(
      core.replaceNamespacedConfigMap({
        name: "dup",
        namespace: "besu",
        body: { metadata: { name: "dup", resourceVersion: "1" }, data: { a: "2" } },
      }),
    );
    assert.equal(stale.code, 409);
    assert.equal(stale.body.reason, "Conflict");
  });

  it("merge-patches, JSON-patches, lists by label selector and deletes", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    await createTieredConfigMaps(kubeConfig, "besu", "sel", [
      ["cm-a", "validator"],
      ["cm-b", "validator"],
      ["cm-c", "sentry"],
    ]);
    const validators = await core.listNamespacedConfigMap({
      namespace: "besu",
      labelSelector: "group=sel,tier=validator",
    });
    assert.deepEqual(
      validators.items.map((item) => item.metadata?.name),
      ["cm-a", "cm-b"],
    );
    const notValidators = await core.listNamespacedConfigMap({
      namespace: "besu",
      labelSelector: "group=sel,tier notin (validator)",
    });
    assert.deepEqual(
      notValidators.items.map((item) => item.metadata?.name),
      ["cm-c"],
    );
    const merged = await core.patchNamespacedConfigMap(
      { name: "cm-a", namespace: "besu", body: { data: { extra: "yes" } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(merged.data, { tier: "validator", extra: "yes" });
    const patched = await core.patchNamespacedConfigMap({
      name: "cm-a",
      namespace: "besu",
      body: [{ op: "replace", path: "/data/tier", value: "sentry" }],
    });
    assert.equal(patched.data?.tier, "sentry");
    await core.deleteNamespacedConfigMap({ name: "cm-a", namespace: "besu" });
    const afterDelete = await core.listNamespacedConfigMap({ namespace: "besu", labelSelector: "group=sel" });
    assert.deepEqual(
      afterDelete.items.map((item) => item.metadata?.name),
      ["cm-b", "cm-c"],
    );
  });

  it("runs a Deployment's pods, gives them config through mounts and env, and rolls them on a template change", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    await core.createNamespacedConfigMap({
      namespace: "besu",
      body: { metadata: { name: "echo-config" }, data: { "greeting.txt": "hello" } },
    });
    await core.createNamespacedSecret({
      namespace: "besu",
      body: { metadata: { name: "echo-secret" }, stringData: { token: "s3cret" } },
    });
    const deployment = (image: string): Parameters<typeof apps.createNamespacedDeployment>[0]["body"] => ({
      metadata: { name: "echo" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "echo" } },
        template: {
          metadata: { labels: { app: "echo" } },
          spec: {
            volumes: [{ name: "config", configMap: { name: "echo-config" } }],
            containers: [
              {
                name: "echo",
                image,
                args: ["--port=8080", "--token=$(TOKEN)"],
                env: [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "echo-secret", key: "token" } } }],
                ports: [{ name: "http", containerPort: 8080 }],
                volumeMounts: [{ name: "config", mountPath: "/etc/echo" }],
                readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 5 },
              },
            ],
          },
        },
      },
    });
    await apps.createNamespacedDeployment({ namespace: "besu", body: deployment("example/echo:1") });
    const ready = await eventually("deployment ready", async () => {
      const current = await apps.readNamespacedDeployment({ name: "echo", namespace: "besu" });
      return current.status?.readyReplicas === 2 ? current : undefined;
    });
    assert.equal(ready.status?.observedGeneration, 1);
    assert.equal(ready.status?.updatedReplicas, 2);
    const seen = started.find((entry) => entry.greeting === "hello");
    assert.ok(seen, "the container read its ConfigMap through the volume mount");
    assert.deepEqual(seen.argv, ["--port=8080", "--token=s3cret"]);
    assert.equal(seen.env.TOKEN, "s3cret");
    assert.match(seen.podIP, /^10\.244\./);
    const firstPods = (await core.listNamespacedPod({ namespace: "besu", labelSelector: "app=echo" })).items.map(
      (pod) => pod.metadata?.name,
    );

    await apps.replaceNamespacedDeployment({ name: "echo", namespace: "besu", body: deployment("example/echo:2") });
    const rolled = await eventually("rollout done", async () => {
      const pods = (await core.listNamespacedPod({ namespace: "besu", labelSelector: "app=echo" })).items;
      const current = await apps.readNamespacedDeployment({ name: "echo", namespace: "besu" });
      const done =
        pods.length === 2 &&
        pods.every((pod) => pod.spec?.containers[0]?.image === "example/echo:2") &&
        current.status?.readyReplicas === 2 &&
        current.status.updatedReplicas === 2;
      return done ? pods : undefined;
    });
    assert.ok(rolled.every((pod) => !firstPods.includes(pod.metadata?.name)));
    const final = await apps.readNamespacedDeployment({ name: "echo", namespace: "besu" });
    assert.equal(final.status?.observedGeneration, 2);
  });

  it("forwards the service proxy subresource to a ready pod's container", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedService({
      namespace: "besu",
      body: {
        metadata: { name: "echo" },
        spec: { selector: { app: "echo" }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
    });
    // The typed client hands back the parsed body when the container answers JSON.
    const body: unknown = await eventually("proxy answers", () =>
      core.connectGetNamespacedServiceProxyWithPath({ name: "echo:http", namespace: "besu", path: "status/now" }),
    );
    const parsed = (typeof body === "string" ? JSON.parse(body) : body) as {
      pod: string;
      path: string;
      greeting: string;
    };
    assert.equal(parsed.path, "/status/now");
    assert.equal(parsed.greeting, "hello");
    assert.match(parsed.pod, /^echo-/);
    const endpoints = await core.readNamespacedEndpoints({ name: "echo", namespace: "besu" });
    assert.equal(endpoints.subsets?.[0]?.addresses?.length, 2);
    const noService = await kubeFailure(
      core.connectGetNamespacedServiceProxyWithPath({ name: "nothing:80", namespace: "besu", path: "x" }),
    );
    assert.equal(noService.code, 404);
  });

  it("lets the service proxy and pods through only where the NetworkPolicies allow it, the proxy entering from kube-system", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const networking = kubeConfig.makeApiClient(k8s.NetworkingV1Api);
    const viaProxy = () =>
      core.connectGetNamespacedServiceProxyWithPath({ name: "echo:http", namespace: "besu", path: "ping" });
    const dropped = async (why: string) => {
      const failure = await kubeFailure(viaProxy());
      assert.equal(failure.code, 503, why);
      assert.match(failure.body.message ?? "", /i\/o timeout/, why);
    };
    const policy = (name: string, spec: V1NetworkPolicySpec) =>
      networking.createNamespacedNetworkPolicy({ namespace: "besu", body: { metadata: { name }, spec } });
    const remove = (name: string) => networking.deleteNamespacedNetworkPolicy({ name, namespace: "besu" });
    // A connection from an echo pod (the newest started: the rollout above replaced the first ones).
    const fromEchoPod = started.filter((container) => container.podName.startsWith("echo-")).at(-1);
    assert.ok(fromEchoPod !== undefined);
    const podReaches = () => fromEchoPod.resolve("echo", 80).length;

    // Selected by no policy: open.
    await viaProxy();
    assert.equal(podReaches(), 2);
    await policy("deny-all", { podSelector: {}, policyTypes: ["Ingress"] });
    await dropped("a pod a policy selects takes only what a rule allows");
    // Another port, or only pods of the namespace: the proxy is still not let in.
    await policy("other-port", {
      podSelector: { matchLabels: { app: "echo" } },
      ingress: [{ ports: [{ protocol: "TCP", port: 9090 }] }],
    });
    await policy("same-namespace", {
      podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["echo"] }] },
      ingress: [{ _from: [{ podSelector: {} }], ports: [{ port: "http" }] }],
    });
    await dropped("neither rule covers the API server's connection");
    assert.equal(podReaches(), 2, "a pod of the namespace is let in on the named port");
    await remove("same-namespace");
    assert.equal(podReaches(), 0, "only port 9090 is open to pods now");
    await policy("from-kube-system", {
      podSelector: { matchLabels: { app: "echo" } },
      ingress: [
        {
          _from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
          ports: [{ port: "http" }],
        },
      ],
    });
    await viaProxy();
    await remove("from-kube-system");
    await dropped("the allowing policy is gone");
    await policy("pod-network", {
      podSelector: {},
      ingress: [{ _from: [{ ipBlock: { cidr: "10.244.0.0/16", except: ["10.244.0.0/24"] } }] }],
    });
    await dropped("the proxy's address is in the block's exception");
    await remove("pod-network");
    await policy("pod-network", { podSelector: {}, ingress: [{ _from: [{ ipBlock: { cidr: "10.244.0.0/16" } }] }] });
    await viaProxy();
    for (const name of ["deny-all", "other-port", "pod-network"]) await remove(name);
  });

  it("keeps a pod unready until its readiness probe passes", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedPod({
      namespace: "besu",
      body: {
        metadata: { name: "flaky" },
        spec: {
          containers: [
            {
              name: "flaky",
              image: "example/flaky:1",
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 2, failureThreshold: 1 },
            },
          ],
        },
      },
    });
    await eventually("flaky running", async () => {
      const pod = await core.readNamespacedPod({ name: "flaky", namespace: "besu" });
      return pod.status?.phase === "Running" && pod.status.containerStatuses?.[0]?.started === true ? pod : undefined;
    });
    const unready = await core.readNamespacedPod({ name: "flaky", namespace: "besu" });
    assert.equal(unready.status?.containerStatuses?.[0]?.ready, false);
    const readyBefore = (await modelledWaits(test, "northeurope")).filter(
      (entry) => entry.operation === "pods.ready",
    ).length;
    flakyReady = true;
    const readyPod = await eventually("flaky ready", async () => {
      const pod = await core.readNamespacedPod({ name: "flaky", namespace: "besu" });
      return pod.status?.containerStatuses?.[0]?.ready === true ? pod : undefined;
    });
    assert.equal(readyPod.status?.conditions?.find((condition) => condition.type === "Ready")?.status, "True");
    // The modelled waits are in the operation log, in simulated ms: each pod's start delay, and one
    // more Ready (this pod's, once its probe passed) that came after at least the start delay.
    const waits = await modelledWaits(test, "northeurope");
    const starts = waits.filter((entry) => entry.operation === "pods.start");
    const readies = waits.filter((entry) => entry.operation === "pods.ready");
    assert.ok(
      starts.length > 0 && starts.every((entry) => entry.durationMs >= 2_000 && entry.durationMs <= 6_000),
      JSON.stringify(starts),
    );
    assert.equal(readies.length, readyBefore + 1);
    assert.ok(
      readies.every((entry) => entry.durationMs >= 2_000),
      JSON.stringify(readies),
    );
  });

  it("puts a container that exits at once into CrashLoopBackOff with the reason in its status and log", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedPod({
      namespace: "besu",
      body: { metadata: { name: "crasher" }, spec: { containers: [{ name: "main", image: "example/crash:1" }] } },
    });
    const pod = await eventually("crash loop", async () => {
      const current = await core.readNamespacedPod({ name: "crasher", namespace: "besu" });
      const status = current.status?.containerStatuses?.[0];
      return status?.state?.waiting?.reason === "CrashLoopBackOff" && (status.restartCount ?? 0) >= 2
        ? current
        : undefined;
    });
    const status = pod.status?.containerStatuses?.[0];
    assert.equal(status?.lastState?.terminated?.exitCode, 1);
    assert.equal(status?.lastState?.terminated?.message, "fatal: no configuration file found");
    const log = await core.readNamespacedPodLog({ name: "crasher", namespace: "besu" });
    assert.match(log, /no configuration file found/);
  });

  it("runs StatefulSet pods in order with claims, and gives LoadBalancer Services an external IP", async () => {
    const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    await apps.createNamespacedStatefulSet({
      namespace: "besu",
      body: {
        metadata: { name: "validator" },
        spec: {
          replicas: 2,
          serviceName: "validator",
          selector: { matchLabels: { app: "validator" } },
          // The containers mount the claim template "data" as a volume, as StatefulSets do.
          template: {
            metadata: { labels: { app: "validator" } },
            spec: {
              containers: [
                {
                  name: "besu",
                  image: "example/echo:1",
                  ports: [{ containerPort: 8080 }],
                  volumeMounts: [{ name: "data", mountPath: "/data" }],
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } },
            },
          ],
        },
      },
    });
    await eventually("statefulset ready", async () => {
      const current = await apps.readNamespacedStatefulSet({ name: "validator", namespace: "besu" });
      return current.status?.readyReplicas === 2 ? current : undefined;
    });
    const pods = await core.listNamespacedPod({ namespace: "besu", labelSelector: "app=validator" });
    assert.deepEqual(
      pods.items.map((pod) => pod.metadata?.name),
      ["validator-0", "validator-1"],
    );
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: "besu" });
    assert.deepEqual(
      claims.items.map((claim) => [claim.metadata?.name, claim.status?.phase]),
      [
        ["data-validator-0", "Bound"],
        ["data-validator-1", "Bound"],
      ],
    );

    await core.createNamespacedService({
      namespace: "besu",
      body: {
        metadata: { name: "validator-p2p" },
        spec: { type: "LoadBalancer", selector: { app: "validator" }, ports: [{ port: 30303, targetPort: 8080 }] },
      },
    });
    const service = await eventually("external IP", async () => {
      const current = await core.readNamespacedService({ name: "validator-p2p", namespace: "besu" });
      return current.status?.loadBalancer?.ingress?.[0]?.ip === undefined ? undefined : current;
    });
    assert.match(service.status?.loadBalancer?.ingress?.[0]?.ip ?? "", /^198\.1[89]\./);
    const assigned = (await modelledWaits(test, "northeurope")).filter(
      (entry) => entry.operation === "services.loadBalancerIP",
    );
    assert.equal(assigned.length, 1);
    assert.ok(
      (assigned[0]?.durationMs ?? 0) >= 30_000 && (assigned[0]?.durationMs ?? 0) <= 90_000,
      `services.loadBalancerIP ${JSON.stringify(assigned[0])}`,
    );
  });

  it("routes addresses from inside pods: pod IPs, Service names and IPs, StatefulSet pod names, other clusters' LoadBalancer IPs", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const echo = started
      .filter((entry) => entry.clusterName === "aks-kube" && entry.podName.startsWith("echo-"))
      .at(-1);
    assert.ok(echo);
    const ports = (host: string, port: number): string[] =>
      echo
        .resolve(host, port)
        .map((endpoint) => `${endpoint.location.podName}:${endpoint.port}`)
        .sort();
    const echoPods = (await core.listNamespacedPod({ namespace: "besu", labelSelector: "app=echo" })).items
      .map((pod) => `${pod.metadata?.name}:8080`)
      .sort();
    assert.deepEqual(ports("echo", 80), echoPods);
    assert.deepEqual(ports("echo.besu.svc.cluster.local", 80), echoPods);
    const service = await core.readNamespacedService({ name: "echo", namespace: "besu" });
    assert.deepEqual(ports(service.spec?.clusterIP ?? "", 80), echoPods);
    assert.deepEqual(ports("echo", 81), []);
    assert.deepEqual(ports("validator-1.validator", 8080), [], "no governing Service yet");
    await core.createNamespacedService({
      namespace: "besu",
      body: {
        metadata: { name: "validator" },
        spec: { clusterIP: "None", selector: { app: "validator" }, ports: [{ port: 8080 }] },
      },
    });
    assert.deepEqual(ports("validator-1.validator", 8080), ["validator-1:8080"]);
    assert.deepEqual(ports("validator", 8080), ["validator-0:8080", "validator-1:8080"]);
    assert.deepEqual(ports(echo.podIP, 8080), [`${echo.podName}:8080`]);
    assert.deepEqual(ports("example.com", 443), []);

    const externalIP =
      (await core.readNamespacedService({ name: "validator-p2p", namespace: "besu" })).status?.loadBalancer
        ?.ingress?.[0]?.ip ?? "";
    await createResourceGroup(test, "rg-kube-other", "uksouth");
    const otherConfig = await createCluster(test, "rg-kube-other", "aks-other", "uksouth", 1);
    await otherConfig.makeApiClient(k8s.CoreV1Api).createNamespacedPod({
      namespace: "default",
      body: {
        metadata: { name: "remote" },
        spec: { containers: [{ name: "echo", image: "example/echo:1", ports: [{ containerPort: 8080 }] }] },
      },
    });
    const remote = await eventually("remote pod started", () =>
      started.find((entry) => entry.clusterName === "aks-other" && entry.podName === "remote"),
    );
    const reached = remote
      .resolve(externalIP, 30303)
      .map((endpoint) => [endpoint.location.clusterName, endpoint.location.podName, endpoint.port]);
    assert.deepEqual(reached.sort(), [
      ["aks-kube", "validator-0", 8080],
      ["aks-kube", "validator-1", 8080],
    ]);
    // Another cluster's Service names and pod IPs are not reachable.
    assert.deepEqual(remote.resolve("echo.besu", 80), []);
    assert.deepEqual(remote.resolve(echo.podIP, 8080), []);
  });

  it("applies a workload twice without a new generation or a rollout", async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const manifest: KubernetesObject & { spec: unknown } = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "sentry", namespace: "besu", labels: { app: "sentry" } },
      spec: {
        replicas: 1,
        serviceName: "sentry",
        selector: { matchLabels: { app: "sentry" } },
        template: {
          metadata: { labels: { app: "sentry" } },
          spec: {
            containers: [
              {
                name: "besu",
                image: "example/echo:1",
                ports: [{ name: "rpc", containerPort: 8080 }],
                env: [{ name: "MODE", value: "sentry" }],
              },
            ],
          },
        },
      },
    };
    const first = await objects.patch(
      manifest,
      undefined,
      undefined,
      "besu-fleet",
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    assert.equal(first.metadata?.generation, 1);
    const pod = await eventually(
      "sentry pod",
      async () => (await core.listNamespacedPod({ namespace: "besu", labelSelector: "app=sentry" })).items[0],
    );
    const second = await objects.patch(
      manifest,
      undefined,
      undefined,
      "besu-fleet",
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    assert.equal(second.metadata?.generation, 1);
    assert.deepEqual(
      second.metadata?.managedFields?.find((entry) => entry.manager === "besu-fleet")?.time,
      first.metadata?.managedFields?.find((entry) => entry.manager === "besu-fleet")?.time,
    );
    const pods = await core.listNamespacedPod({ namespace: "besu", labelSelector: "app=sentry" });
    assert.deepEqual(
      pods.items.map((item) => item.metadata?.uid),
      [pod.metadata?.uid],
    );
  });

  it("answers malformed requests with Status errors and keeps serving", async () => {
    const server = kubeConfig.getCurrentCluster()?.server;
    const token = kubeConfig.getCurrentUser()?.token;
    assert.ok(server && token);
    const headers = { Authorization: `Bearer ${token}` };
    const garbage = await httpsRequest(`${server}/api/v1/namespaces/besu/configmaps`, test.ca, {
      method: "POST",
      body: "not an object",
      headers,
    });
    assert.equal(garbage.status, 400);
    assert.equal((garbage.body as { kind: string }).kind, "Status");
    const wrongKind = await httpsRequest(`${server}/api/v1/namespaces/besu/configmaps`, test.ca, {
      method: "POST",
      body: { apiVersion: "v1", kind: "Secret", metadata: { name: "x" } },
      headers,
    });
    assert.equal(wrongKind.status, 400);
    const badSelector = await httpsRequest(
      `${server}/api/v1/namespaces/besu/configmaps?labelSelector=${encodeURIComponent("a in (b")}`,
      test.ca,
      { headers },
    );
    assert.equal(badSelector.status, 400);
    const unknown = await httpsRequest(`${server}/apis/example.com/v1/widgets`, test.ca, { headers });
    assert.equal(unknown.status, 404);
    const badPatch = await httpsRequest(`${server}/api/v1/namespaces/besu/configmaps/dup`, test.ca, {
      method: "PATCH",
      body: [{ op: "remove", path: "/data/none" }],
      headers: { ...headers, "Content-Type": "application/json-patch+json" },
    });
    assert.equal(badPatch.status, 422);
    const noManager = await httpsRequest(`${server}/api/v1/namespaces/besu/configmaps/dup`, test.ca, {
      method: "PATCH",
      body: { apiVersion: "v1", kind: "ConfigMap" },
      headers: { ...headers, "Content-Type": "application/apply-patch+yaml" },
    });
    assert.equal(noManager.status, 422);
    const badEncoding = await httpsRequest(`${server}/api/v1/namespaces/%E0%A4%A/configmaps`, test.ca, { headers });
    assert.equal(badEncoding.status, 400);
    const still = await httpsRequest(`${server}/api/v1/namespaces`, test.ca, { headers });
    assert.equal(still.status, 200);
  });

  it("streams changes to a watch (the client's Watch)", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: "besu",
      body: { metadata: { name: "watched-before", labels: { watch: "yes" } } },
    });
    const events: string[] = [];
    const watch = new k8s.Watch(kubeConfig);
    const request = await watch.watch(
      "/api/v1/namespaces/besu/configmaps",
      { labelSelector: "watch=yes" },
      (phase: string, object: KubernetesObject) => events.push(`${phase} ${object.metadata?.name}`),
      () => undefined,
    );
    try {
      await core.createNamespacedConfigMap({
        namespace: "besu",
        body: { metadata: { name: "watched-after", labels: { watch: "yes" } } },
      });
      await core.createNamespacedConfigMap({ namespace: "besu", body: { metadata: { name: "not-watched" } } });
      await core.patchNamespacedConfigMap(
        { name: "watched-after", namespace: "besu", body: { data: { a: "1" } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedConfigMap({ name: "watched-before", namespace: "besu" });
      await eventually("watch events", () => (events.length >= 4 ? events : undefined));
      assert.deepEqual(events, [
        "ADDED watched-before",
        "ADDED watched-after",
        "MODIFIED watched-after",
        "DELETED watched-before",
      ]);
    } finally {
      request.abort();
    }
    // An informer lists, then watches from the list's resourceVersion: changes in between are replayed.
    const listed = await core.listNamespacedConfigMap({ namespace: "besu", labelSelector: "watch=yes" });
    await core.patchNamespacedConfigMap(
      { name: "watched-after", namespace: "besu", body: { data: { a: "2" } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    const replayed: string[] = [];
    const resumed = await watch.watch(
      "/api/v1/namespaces/besu/configmaps",
      { labelSelector: "watch=yes", resourceVersion: listed.metadata?.resourceVersion },
      (phase: string, object: KubernetesObject & { data?: Record<string, string> }) =>
        replayed.push(`${phase} ${object.metadata?.name} ${object.data?.a}`),
      () => undefined,
    );
    try {
      await eventually("replayed event", () => (replayed.length >= 1 ? replayed : undefined));
      assert.deepEqual(replayed, ["MODIFIED watched-after 2"]);
    } finally {
      resumed.abort();
    }
  });

  it("refuses requests without the cluster's token", async () => {
    const server = kubeConfig.getCurrentCluster()?.server;
    assert.ok(server);
    const response = await httpsRequest(`${server}/api/v1/namespaces`, test.ca, {
      headers: { Authorization: "Bearer wrong" },
    });
    assert.equal(response.status, 401);
    assert.equal((response.body as { reason: string }).reason, "Unauthorized");
  });
});
