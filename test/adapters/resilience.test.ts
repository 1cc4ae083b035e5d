/**
 * Retries and deadlines of the adapters' requests against the simulated cloud's injected faults,
 * through the real clients: each Kubernetes request is retried on its own (not the activity),
 * Retry-After is waited for, permanent refusals and non-idempotent writes are sent once, a 401
 * fetches the cluster's credentials again once, deadlines hold; ARM and blob calls time out.
 */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { createActivities } from "../../activities/factory.js";
import { ArmAdapter } from "../../lib/azure/arm.js";
import { LOOPBACK_RANGE } from "../../lib/config.js";
import { clusterConfigurationManifests } from "../../lib/domain/manifests.js";
import type { ClusterPlan, RegionPlan } from "../../lib/domain/plan.js";
import { ClassifiedError } from "../../lib/errors.js";
import { KubeStatusError } from "../../lib/kube/cluster.js";
import { KubeClusters } from "../../lib/kube/clusters.js";
import { DocumentStore } from "../../lib/state/documents.js";
import { simulatorCredential } from "@besu-fleet/local-cloud";
import {
  eventually,
  startAdapterCloud,
  TEST_KUBE_REQUEST_POLICY,
  type AdapterCloud,
  type LoggedOperation,
} from "./harness.js";

describe("adapter retries and deadlines against the simulated cloud's faults", { timeout: 300_000 }, () => {
  let env: AdapterCloud;
  let plan: RegionPlan;
  let clusterPlan: ClusterPlan;
  let ref: { resourceGroup: string; clusterName: string; region: string };
  const namespaceObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } };

  /** Requests the simulator served after `since` (a sequence number): ARM's in our region, or our cluster's. */
  const operations = async (since: number, target: "arm" | "kube"): Promise<LoggedOperation[]> =>
    (await env.operations(since)).filter(
      (entry) =>
        entry.target === target &&
        (target === "arm" ? entry.region === plan.region : entry.cluster?.endsWith(`/${ref.clusterName}`) === true),
    );
  const lastSeq = async (): Promise<number> => (await env.operations(0)).at(-1)?.seq ?? 0;

  /** Runs `operation` with the given fault rules in force, then clears them. */
  const withFaults = async <T>(faults: unknown, operation: () => Promise<T>): Promise<T> => {
    assert.equal((await env.control("PUT", "faults", faults)).status, 200);
    try {
      return await operation();
    } finally {
      assert.equal((await env.control("DELETE", "faults")).status, 200);
    }
  };
  const kubeFault = (rule: Record<string, unknown>) => ({
    transient: [{ target: "kube", region: plan.region, ...rule }],
  });

  before(async () => {
    env = await startAdapterCloud();
    const first = env.plans[0];
    const cluster = first?.clusters[0];
    assert.ok(first && cluster);
    plan = first;
    clusterPlan = cluster;
    ref = { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region };
    await env.deps.arm.ensureResourceGroup(plan.resourceGroup, plan.region, {});
    await env.deps.arm.beginCluster(plan.resourceGroup, plan.region, plan.network, cluster);
    await eventually("the cluster", async () =>
      (await env.deps.arm.clusterState(ref.resourceGroup, ref.clusterName)).provisioningState === "Succeeded"
        ? true
        : undefined,
    );
  });

  after(async () => {
    await env?.close();
  });

  it("configures a cluster under a 30 % 503 rate: each request is retried, not the activity", async () => {
    const manifests = clusterConfigurationManifests(plan, clusterPlan, env.spec.cluster);
    const since = await lastSeq();
    await withFaults(kubeFault({ kind: "5xx", status: 503, rate: 0.3 }), async () => {
      for (let run = 1; run <= 2; run++) {
        const result = await env.activities.configureCluster({
          cluster: ref,
          regionPlan: plan,
          clusterOrdinal: 1,
          specDocument: env.specDocument,
        });
        assert.deepEqual(result, { ok: true, applied: manifests.length }, `run ${run}`);
      }
    });
    const served = await operations(since, "kube");
    const applied = served.filter((entry) => entry.operation.startsWith("PATCH ") && entry.fault === undefined);
    assert.equal(applied.length, 2 * manifests.length, "every manifest applied once per run, none twice");
    assert.ok(
      served.some((entry) => entry.status === 503 && entry.fault !== undefined),
      "503s were injected and ridden out",
    );
  });

  it("waits for the Retry-After of a 429, then succeeds", async () => {
    const kube = await env.deps.clusters.get(ref);
    const since = await lastSeq();
    const started = Date.now();
    const object = await withFaults(kubeFault({ kind: "429", rate: 1, count: 1 }), () =>
      kube.getObject(namespaceObject),
    );
    assert.ok(object !== undefined);
    assert.ok(Date.now() - started >= 1_000, "the simulator asks for 1 s");
    assert.deepEqual(
      (await operations(since, "kube")).map((entry) => entry.status),
      [429, 200],
    );
  });

  it("sends a permanently refused request once (422 Invalid)", async () => {
    const kube = await env.deps.clusters.get(ref);
    const since = await lastSeq();
    const invalid = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "Not_A_DNS_Name", namespace: "default" },
      data: {},
    };
    await assert.rejects(
      kube.apply([invalid], "besu-fleet-test"),
      (error) => error instanceof KubeStatusError && error.status === 422,
    );
    assert.deepEqual(
      (await operations(since, "kube")).map((entry) => entry.status),
      [422],
    );
  });

  it("sends a non-idempotent write (POST) once, even when it met a 503", async () => {
    const kube = await env.deps.clusters.get(ref);
    const since = await lastSeq();
    const configMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "resilience-test" },
      data: { entry: "value" },
    };
    const create = () =>
      kube.request("POST", "/api/v1/namespaces/default/configmaps", {
        body: { text: JSON.stringify(configMap), contentType: "application/json" },
      });
    await withFaults(kubeFault({ kind: "5xx", status: 503, rate: 1, count: 1 }), () =>
      assert.rejects(create(), (error) => error instanceof KubeStatusError && error.status === 503),
    );
    assert.deepEqual(
      (await operations(since, "kube")).map((entry) => entry.status),
      [503],
    );
    assert.equal((await create()).status, 201, "created when sent again by its caller");
  });

  describe("credentials the API server refuses (401)", () => {
    /** A client cache whose fetches hand out a wrong token for the first `stale` calls. */
    const clustersWithStaleCredentials = (stale: number) => {
      const fetched: string[] = [];
      const clusters = new KubeClusters(async (resourceGroup, clusterName) => {
        const kubeconfig = await env.deps.arm.userKubeconfig(resourceGroup, clusterName);
        fetched.push(clusterName);
        return fetched.length <= stale ? kubeconfig.replace(/token: \S+/, "token: not-the-cluster-token") : kubeconfig;
      }, TEST_KUBE_REQUEST_POLICY);
      return { clusters, fetched };
    };

    it("fetch the cluster's credentials again once, shared by the requests refused together", async () => {
      const { clusters, fetched } = clustersWithStaleCredentials(1);
      const kube = await clusters.get(ref);
      const since = await lastSeq();
      const objects = await Promise.all([1, 2, 3, 4].map(() => kube.getObject(namespaceObject)));
      assert.ok(objects.every((object) => object !== undefined));
      assert.equal(fetched.length, 2, "the first fetch and one more");
      const statuses = (await operations(since, "kube")).map((entry) => entry.status);
      assert.deepEqual(statuses.filter((status) => status === 401).length, 4);
      assert.deepEqual(statuses.filter((status) => status === 200).length, 4);
      kube.close();
    });

    it("and fail for good when the fresh ones are refused too, without asking a third time", async () => {
      const { clusters, fetched } = clustersWithStaleCredentials(Number.POSITIVE_INFINITY);
      const kube = await clusters.get(ref);
      const since = await lastSeq();
      await assert.rejects(
        kube.getObject(namespaceObject),
        (error) => error instanceof KubeStatusError && error.status === 401,
      );
      assert.equal(fetched.length, 2);
      assert.deepEqual(
        (await operations(since, "kube")).map((entry) => entry.status),
        [401, 401],
      );
      kube.close();
    });
  });

  it("gives a request no more than its deadline across attempts, and the activity returns it as transient", async () => {
    const clusters = new KubeClusters(
      (resourceGroup, clusterName) => env.deps.arm.userKubeconfig(resourceGroup, clusterName),
      { attemptTimeoutMs: 250, deadlineMs: 1_000, baseDelayMs: 10, maxDelayMs: 10 },
    );
    await clusters.get(ref);
    const activities = createActivities({ ...env.deps, clusters });
    const node = clusterPlan.nodes[0];
    assert.ok(node);
    const started = Date.now();
    const result = await withFaults({ latency: [{ target: "kube", region: plan.region, ms: 600 }] }, () =>
      activities.checkReadiness({ cluster: ref, namespace: clusterPlan.namespace, nodes: [node] }),
    );
    const elapsed = Date.now() - started;
    assert.ok(!result.ok && result.kind === "transient", `a timeout is transient: ${JSON.stringify(result)}`);
    assert.match(
      result.message,
      new RegExp(
        `^checkReadiness in ${plan.region}: check readiness in cluster ${ref.clusterName}: ETIMEDOUT: GET /api/v1/namespaces/.*: no answer within \\d+ ms$`,
      ),
    );
    assert.ok(elapsed >= 900 && elapsed < 1_800, `ended at the 1 s deadline, not later (${elapsed} ms)`);
    (await clusters.get(ref)).close();
  });

  it("gives each ARM request a timeout, which the SDK's retry policy retries", async () => {
    const arm = new ArmAdapter({
      credential: simulatorCredential(),
      subscriptionId: env.cloud.connection.subscriptionId,
      endpoint: env.cloud.connection.armEndpoint,
      caCertificate: env.ca,
      retryOptions: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 10 },
      requestTimeoutMs: 200,
      apiServerAccess: { authorizedIpRanges: [LOOPBACK_RANGE] },
    });
    const since = await lastSeq();
    const started = Date.now();
    const error = await withFaults({ latency: [{ target: "arm", region: plan.region, ms: 500 }] }, () =>
      arm.clusterState(ref.resourceGroup, ref.clusterName).then(
        () => undefined,
        (thrown: unknown) => thrown,
      ),
    );
    assert.ok(error instanceof ClassifiedError, String(error));
    assert.equal(error.classification.kind, "timeout");
    assert.equal(error.classification.retryable, true);
    assert.match(error.message, /no answer within 200 ms/);
    assert.ok(Date.now() - started < 1_000, "two tries of 200 ms");
    // The simulator logs a request once it has answered it, after the injected latency.
    const tries = await eventually(
      "both tries in the operation log",
      async () => {
        const served = await operations(since, "arm");
        return served.length >= 2 ? served : undefined;
      },
      5_000,
    );
    assert.equal(tries.length, 2, "the first try and the SDK's one retry");
  });

  it("refuses a bad timeout option at construction", () => {
    assert.throws(
      () =>
        new ArmAdapter({
          credential: simulatorCredential(),
          subscriptionId: "s",
          endpoint: "https://127.0.0.1",
          requestTimeoutMs: 0,
          apiServerAccess: { authorizedIpRanges: [LOOPBACK_RANGE] },
        }),
      { message: "requestTimeoutMs must be a finite number of milliseconds, at least 1; got 0" },
    );
    assert.throws(() => new KubeClusters(async () => "", { maxAttempts: 0 }), {
      message: "maxAttempts must be an integer of at least 1; got 0",
    });
  });
});

describe("blob calls against a storage endpoint that never answers", () => {
  let server: Server;
  const sockets: Socket[] = [];

  before(async () => {
    // Accepts connections and then says nothing: a stalled account, not a refused one.
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("give up at the call timeout with a transient timeout", async () => {
    const address = server.address();
    assert.ok(address !== null && typeof address === "object");
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${address.port}/devstoreaccount1;`;
    const store = new DocumentStore(connectionString, "besu-fleet-state", { callTimeoutMs: 300 });
    const started = Date.now();
    const error = await store.saveDocument("rollouts/x.json", { x: 1 }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof ClassifiedError, String(error));
    assert.deepEqual(error.classification, {
      retryable: true,
      kind: "timeout",
      code: "ETIMEDOUT",
      message: "create container besu-fleet-state: no answer within 300 ms",
    });
    assert.ok(Date.now() - started < 2_000);
    assert.throws(() => new DocumentStore(connectionString, "c", { callTimeoutMs: -5 }), {
      message: "callTimeoutMs must be a finite number of milliseconds, at least 1; got -5",
    });
  });
});
