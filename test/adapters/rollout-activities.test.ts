/**
 * The activities end to end against the simulated cloud, through the real Azure and Kubernetes
 * clients: preflight, resource groups and clusters, cluster configuration, node keys, Besu and
 * readiness, node observations; and no secret in any output.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RolloutNetwork } from "../../activities/contracts.js";
import { clusterConfigurationManifests, type KubernetesManifest } from "../../lib/domain/manifests.js";
import { decideGenesis, type NodePublicIdentity } from "../../lib/domain/genesis.js";
import { identityConfigMapName, keyJob } from "../../lib/domain/manifests.js";
import { NODE_KEY_SECRET_ENTRY, type NodePlan, type RegionPlan } from "../../lib/domain/plan.js";
import { nodeIdentityFromPrivateKey } from "@besu-fleet/qbft";
import { z } from "zod";
import { ContainerServiceClient } from "@azure/arm-containerservice";
import { simulatorCredential } from "@besu-fleet/local-cloud";
import { LOOPBACK_RANGE } from "../../lib/config.js";
import { eventually, startAdapterCloud, type AdapterCloud } from "./harness.js";

type Ref = { resourceGroup: string; clusterName: string; region: string };

function refOf(plan: RegionPlan): Ref {
  const cluster = plan.clusters[0];
  assert.ok(cluster, `${plan.region} plans a cluster`);
  return { resourceGroup: plan.resourceGroup, clusterName: cluster.name, region: plan.region };
}

function firstCluster(plan: RegionPlan): RegionPlan["clusters"][number] {
  const cluster = plan.clusters[0];
  assert.ok(cluster);
  return cluster;
}

const secretListSchema = z.object({
  items: z.array(
    z.object({ metadata: z.object({ name: z.string() }), data: z.record(z.string(), z.string()).optional() }),
  ),
});

/** A node's key as its Secret holds it, read through the simulator's control API (the control plane cannot). */
async function nodeKeyOf(env: AdapterCloud, plan: RegionPlan, node: NodePlan): Promise<string | undefined> {
  const cluster = firstCluster(plan);
  const response = await env.control(
    "GET",
    `clusters/${plan.resourceGroup}/${cluster.name}/objects/secrets?namespace=${cluster.namespace}`,
  );
  const secret = secretListSchema.parse(response.body).items.find((item) => item.metadata.name === node.keySecretName);
  const value = secret?.data?.[NODE_KEY_SECRET_ENTRY];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
}

function assertOk<T extends { ok: boolean }>(result: T, what: string): asserts result is Extract<T, { ok: true }> {
  assert.equal(result.ok, true, `${what}: ${JSON.stringify(result)}`);
}

describe("rollout activities against the simulated cloud", { timeout: 300_000 }, () => {
  let env: AdapterCloud;
  /** Every activity output, for the secret scan at the end. */
  const outputs: unknown[] = [];
  const record = <T>(output: T): T => {
    outputs.push(output);
    return output;
  };
  let identities: NodePublicIdentity[] = [];
  /** Every node of every region, observed through the activity (each answer recorded for the secret scan). */
  const observeEveryNode = async () =>
    (
      await Promise.all(
        env.plans.map(async (plan) => {
          const result = record(
            await env.activities.observeNodes({
              cluster: refOf(plan),
              namespace: firstCluster(plan).namespace,
              nodes: firstCluster(plan).nodes,
            }),
          );
          assertOk(result, "observe");
          return result.observations;
        }),
      )
    ).flat();
  /** deployBesu inputs by region, to deploy again. */
  const deployInputs = new Map<string, unknown>();

  before(async () => {
    env = await startAdapterCloud();
  });

  after(async () => {
    await env?.close();
  });

  it("passes the preflight of a planned region with the vCPUs it leaves", async () => {
    const plan = env.plans[0];
    assert.ok(plan);
    const result = record(await env.activities.preflightRegion({ plan }));
    assertOk(result, "preflight");
    assert.equal(result.vcpusAvailable, 10, "the simulator's default regional quota is 10 vCPUs, none used yet");
  });

  it("fails the preflight permanently, with the numbers, when the region's quota is too small", async () => {
    const plan = env.plans[1];
    assert.ok(plan);
    assert.equal(
      (await env.control("PUT", "faults", { regions: { [plan.region]: { quota: { cores: 2 } } } })).status,
      200,
    );
    try {
      const result = record(await env.activities.preflightRegion({ plan }));
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.code, "QuotaExceeded");
      assert.match(result.message, new RegExp(`${plan.region}.*limit 2`));
    } finally {
      assert.equal((await env.control("DELETE", "faults")).status, 200);
    }
  });

  it("returns a permanent InvalidInput failure for an input that breaks the contract", async () => {
    const result = await env.activities.beginCluster({ cluster: { resourceGroup: "rg" } });
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.code, "InvalidInput");
    assert.match(result.message, /cluster\.clusterName/);
  });

  it("creates resource groups and starts clusters without waiting, then polls them to Succeeded", async () => {
    await Promise.all(
      env.plans.map(async (plan) => {
        const ref = refOf(plan);
        assertOk(
          record(
            await env.activities.ensureResourceGroup({
              resourceGroup: plan.resourceGroup,
              region: plan.region,
              network: plan.network,
            }),
          ),
          "resource group",
        );
        assertOk(
          record(
            await env.activities.ensureResourceGroup({
              resourceGroup: plan.resourceGroup,
              region: plan.region,
              network: plan.network,
            }),
          ),
          "resource group again",
        );
        const begun = record(
          await env.activities.beginCluster({ cluster: ref, plan: firstCluster(plan), network: plan.network }),
        );
        assertOk(begun, "begin cluster");
        assert.equal(begun.provisioningState, "Creating");
        // Starting again while the create runs leaves it alone (no second PUT, no 409).
        const again = record(
          await env.activities.beginCluster({ cluster: ref, plan: firstCluster(plan), network: plan.network }),
        );
        assertOk(again, "begin cluster again");
        assert.equal(again.provisioningState, "Creating");
        await eventually(`cluster in ${plan.region}`, async () => {
          const state = record(await env.activities.getClusterState({ cluster: ref }));
          assertOk(state, "cluster state");
          assert.notEqual(state.provisioningState, "Failed");
          return state.provisioningState === "Succeeded" ? true : undefined;
        });
        // A cluster that already matches its plan is not updated again.
        const converged = record(
          await env.activities.beginCluster({ cluster: ref, plan: firstCluster(plan), network: plan.network }),
        );
        assertOk(converged, "begin cluster after success");
        assert.equal(converged.provisioningState, "Succeeded");
      }),
    );
    const state = await env.control("GET", "state");
    const clusters = JSON.stringify(state.body).match(/"aks-chain138-dev-[a-z]+"/g) ?? [];
    assert.equal(new Set(clusters).size, env.plans.length, "one cluster per region, no duplicates");
  });

  it("creates every cluster hardened: the simulated AKS holds the security fields the control plane sent", async () => {
    const client = new ContainerServiceClient(simulatorCredential(), env.cloud.connection.subscriptionId, {
      endpoint: env.cloud.connection.armEndpoint,
      tlsOptions: { ca: env.ca },
    });
    for (const plan of env.plans) {
      const cluster = await client.managedClusters.get(plan.resourceGroup, firstCluster(plan).name);
      assert.equal(cluster.aadProfile?.managed, true, plan.region);
      assert.equal(cluster.aadProfile.enableAzureRbac, true);
      assert.equal(cluster.disableLocalAccounts, true);
      assert.equal(cluster.networkProfile?.networkPolicy, "cilium");
      assert.deepEqual(cluster.apiServerAccessProfile?.authorizedIPRanges, [LOOPBACK_RANGE]);
      assert.equal(cluster.securityProfile?.workloadIdentity?.enabled, true);
      const admin = client.managedClusters.listClusterAdminCredentials(plan.resourceGroup, firstCluster(plan).name);
      await assert.rejects(admin, { statusCode: 400, code: "BadRequest" }, "no static admin credential");
    }
  });

  it("returns a quota refusal of the cluster create as a permanent QuotaExceeded", async () => {
    const plan = env.plans[0];
    assert.ok(plan);
    const clusterPlan = { ...firstCluster(plan), name: "aks-over-quota" };
    assert.equal(
      (await env.control("PUT", "faults", { regions: { [plan.region]: { quota: { cores: 2 } } } })).status,
      200,
    );
    try {
      const result = record(
        await env.activities.beginCluster({
          cluster: { ...refOf(plan), clusterName: clusterPlan.name },
          plan: clusterPlan,
          network: plan.network,
        }),
      );
      assert.ok(!result.ok, JSON.stringify(result));
      assert.equal(result.code, "QuotaExceeded");
      assert.match(
        result.message,
        new RegExp(`^${plan.region}: start cluster aks-over-quota in ${plan.region}: QuotaExceeded: `),
      );
    } finally {
      assert.equal((await env.control("DELETE", "faults")).status, 200);
    }
  });

  it("reports a missing cluster as a permanent ResourceNotFound", async () => {
    const plan = env.plans[0];
    assert.ok(plan);
    const result = record(
      await env.activities.getClusterState({ cluster: { ...refOf(plan), clusterName: "aks-never-created" } }),
    );
    assert.ok(!result.ok);
    assert.equal(result.code, "ResourceNotFound");
  });

  const configureInput = (plan: RegionPlan) => ({
    cluster: refOf(plan),
    regionPlan: plan,
    clusterOrdinal: 1,
    specDocument: env.specDocument,
  });
  const hasSentries = (plan: RegionPlan) => firstCluster(plan).nodes.some((node) => node.role === "sentry");

  /** Applies the configuration a second time and asserts that no object changed. */
  const assertSecondApplyConverges = async (plan: RegionPlan) => {
    const manifests = clusterConfigurationManifests(plan, firstCluster(plan), env.spec.cluster);
    const kube = await env.deps.clusters.get(refOf(plan));
    const versions = async () =>
      Promise.all(
        manifests.map(
          async (manifest) =>
            ((await kube.getObject(manifest)) as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
        ),
      );
    const before = await versions();
    const second = record(await env.activities.configureCluster(configureInput(plan)));
    assertOk(second, "configure again");
    assert.deepEqual(await versions(), before, `${plan.region}: the second apply changed nothing`);
  };

  it("configures each cluster by server-side apply, and NetworkPolicy `from` is stored as sent", async () => {
    for (const plan of env.plans) {
      const first = record(await env.activities.configureCluster(configureInput(plan)));
      assertOk(first, "configure");
      const manifests = clusterConfigurationManifests(plan, firstCluster(plan), env.spec.cluster);
      assert.equal(first.applied, manifests.length);
      const kube = await env.deps.clusters.get(refOf(plan));
      const policies = manifests.filter(
        (manifest): manifest is KubernetesManifest & { spec: { ingress?: Array<{ from?: unknown }> } } =>
          manifest.kind === "NetworkPolicy",
      );
      assert.ok(
        policies.some((policy) => policy.spec.ingress?.some((rule) => rule.from !== undefined)),
        "the plan has a policy with `from`",
      );
      for (const policy of policies) {
        const stored = (await kube.getObject(policy)) as { spec: { ingress?: unknown } };
        assert.deepEqual(
          stored.spec.ingress,
          policy.spec.ingress,
          `${policy.metadata.name}: ingress rules stored as sent`,
        );
      }
    }
  });

  it("converges: applying the configuration again changes nothing", async () => {
    assert.ok(
      env.plans.some(hasSentries),
      "a sentry's Service has TCP and UDP on one port, keyed by port and protocol",
    );
    for (const plan of env.plans) await assertSecondApplyConverges(plan);
  });

  it("has keys made in each cluster once and returns the same public identities every time", async () => {
    const run = async () =>
      (
        await Promise.all(
          env.plans.map(async (plan) => {
            return eventually(`node keys and LoadBalancer IPs in ${plan.region}`, async () => {
              const result = record(
                await env.activities.ensureNodeKeys({
                  cluster: refOf(plan),
                  regionPlan: plan,
                  clusterOrdinal: 1,
                  specDocument: env.specDocument,
                }),
              );
              assertOk(result, "node keys");
              return result.pending.length === 0 ? result.identities : undefined;
            });
          }),
        )
      ).flat();
    const first = await run();
    const second = await run();
    assert.deepEqual(second, first);
    assert.equal(
      first.length,
      env.plans.reduce((sum, plan) => sum + firstCluster(plan).nodes.length, 0),
    );
    assert.equal(new Set(first.map((identity) => identity.publicKey)).size, first.length, "every node has its own key");
    for (const plan of env.plans)
      for (const node of firstCluster(plan).nodes) {
        const key = await nodeKeyOf(env, plan, node);
        assert.ok(key !== undefined, `${node.id} has its key in its Secret`);
        assert.equal(
          first.find((identity) => identity.nodeId === node.id)?.publicKey,
          nodeIdentityFromPrivateKey(key).publicKey,
          `${node.id}: the published public key is the Secret's`,
        );
      }
    identities = first;
  });

  it("deploys Besu, reaches readiness, and the nodes report a live chain with the expected validators", async () => {
    const decision = decideGenesis(env.spec.network, env.spec.rollout.minValidators, identities);
    assert.ok(decision.ok, JSON.stringify(decision));
    const p2pHosts = Object.fromEntries(identities.map((identity) => [identity.nodeId, identity.p2pHost]));
    const networkDocument = "rollouts/adapter-tests/network.json";
    const network: RolloutNetwork = {
      genesisJson: decision.genesisJson,
      staticNodesJson: decision.staticNodesJson,
      p2pHosts,
    };
    await env.deps.documents.saveDocument(networkDocument, network);
    for (const plan of env.plans) {
      const input = {
        cluster: refOf(plan),
        regionPlan: plan,
        clusterOrdinal: 1,
        specDocument: env.specDocument,
        networkDocument,
      };
      deployInputs.set(plan.region, input);
      const deployed: unknown = await env.activities.deployBesu(input);
      record(deployed);
      assert.deepEqual(
        deployed,
        { ok: true, applied: 2 + firstCluster(plan).nodes.length },
        "genesis and static-nodes ConfigMaps and one StatefulSet per node",
      );
    }
    await Promise.all(
      env.plans.map((plan) =>
        eventually(
          `readiness in ${plan.region}`,
          async () => {
            const result = record(
              await env.activities.checkReadiness({
                cluster: refOf(plan),
                namespace: firstCluster(plan).namespace,
                nodes: firstCluster(plan).nodes,
              }),
            );
            assertOk(result, "readiness");
            return result.notReady.length === 0 ? true : undefined;
          },
          120_000,
        ),
      ),
    );
    const earlier = await eventually(
      "blocks on every node",
      async () => {
        const observations = await observeEveryNode();
        return observations.every((observation) => (observation.blockNumber ?? 0) >= 1) ? observations : undefined;
      },
      120_000,
    );
    const later = await eventually(
      "heads advancing",
      async () => {
        const observations = await observeEveryNode();
        return observations.every(
          (observation) =>
            (observation.blockNumber ?? 0) >
            (earlier.find((entry) => entry.nodeId === observation.nodeId)?.blockNumber ?? Infinity),
        )
          ? observations
          : undefined;
      },
      120_000,
    );
    const genesisHashes = new Set(later.map((observation) => observation.genesisHash));
    assert.equal(genesisHashes.size, 1, "one genesis on every node");
    for (const observation of later) {
      assert.equal(observation.reachable, true, observation.nodeId);
      assert.equal(observation.chainId, "0x8a");
      assert.deepEqual(observation.validatorsLatest, decision.validators, `${observation.nodeId}: validator set`);
      assert.equal(observation.ready, true, `${observation.nodeId}: ready`);
    }
    const validatorKeys = identities
      .filter((identity) => identity.role === "validator")
      .map((identity) => identity.publicKey);
    for (const observation of later.filter((entry) => entry.nodeId.includes("/validator-"))) {
      const own = identities.find((identity) => identity.nodeId === observation.nodeId)?.publicKey;
      const peers = new Set(observation.peerPublicKeys ?? []);
      assert.ok(
        validatorKeys.filter((key) => key !== own).every((key) => peers.has(key)),
        `${observation.nodeId} peers directly with every other validator`,
      );
    }
  });

  it("deploys Besu again without changing anything", async () => {
    for (const plan of env.plans) {
      const kube = await env.deps.clusters.get(refOf(plan));
      const statefulSets = firstCluster(plan).nodes.map((node) => ({
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: node.statefulSetName, namespace: firstCluster(plan).namespace },
      }));
      const versions = async () =>
        Promise.all(
          statefulSets.map(
            async (object) =>
              ((await kube.getObject(object)) as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
          ),
        );
      const before = await versions();
      const again = record(await env.activities.deployBesu(deployInputs.get(plan.region)));
      assertOk(again, "deploy again");
      assert.deepEqual(await versions(), before, `${plan.region}: StatefulSets untouched`);
    }
  });

  it("deploys only the StatefulSets of the nodes it is given, besides the ConfigMaps", async () => {
    const plan = env.plans[0];
    assert.ok(plan);
    const input = deployInputs.get(plan.region) as object;
    const [first] = firstCluster(plan).nodes;
    assert.ok(first);
    assert.deepEqual(record(await env.activities.deployBesu({ ...input, nodes: [] })), { ok: true, applied: 2 });
    assert.deepEqual(record(await env.activities.deployBesu({ ...input, nodes: [first.id] })), {
      ok: true,
      applied: 3,
    });
  });

  it("readiness is re-checked inside the activity for up to waitSeconds: a node coming back is seen at once, one still down after the wait", async () => {
    const plan = env.plans[0];
    assert.ok(plan);
    const cluster = firstCluster(plan);
    const node = cluster.nodes[0];
    assert.ok(node);
    const input = (waitSeconds: number) => ({
      cluster: refOf(plan),
      namespace: cluster.namespace,
      nodes: [node],
      waitSeconds,
    });
    const podAction = (type: "stopNode" | "startNode") =>
      env.control("POST", "besu/actions", {
        type,
        cluster: cluster.name,
        resourceGroup: plan.resourceGroup,
        namespace: cluster.namespace,
        pod: node.podName,
      });
    assert.equal((await podAction("stopNode")).status, 200);
    try {
      await eventually(
        "the stopped node to turn not ready",
        async () => {
          const result = record(await env.activities.checkReadiness(input(0)));
          assertOk(result, "readiness");
          return result.notReady.length === 1 ? true : undefined;
        },
        60_000,
      );
      const downSince = Date.now();
      const down = record(await env.activities.checkReadiness(input(1)));
      assertOk(down, "readiness of a node that stays down");
      assert.equal(down.notReady.length, 1);
      assert.ok(Date.now() - downSince >= 1000, 'it kept checking for the whole wait before answering "not yet"');
    } finally {
      assert.equal((await podAction("startNode")).status, 200);
    }
    const waitingSince = Date.now();
    const back = record(await env.activities.checkReadiness(input(30)));
    assertOk(back, "readiness of a node coming back");
    assert.deepEqual(back.ready, [node.id]);
    assert.ok(
      Date.now() - waitingSince < 30_000,
      "it answered as soon as the node was ready, not at the end of its wait",
    );
  });

  /** Runs `operation` with transient fault rules in force, then clears them. */
  const withFaults = async <T>(transient: unknown[], operation: () => Promise<T>): Promise<T> => {
    assert.equal((await env.control("PUT", "faults", { transient })).status, 200);
    try {
      return await operation();
    } finally {
      assert.equal((await env.control("DELETE", "faults")).status, 200);
    }
  };

  it("returns a Kubernetes 429 as a transient failure naming activity, region, step, cause, with its Retry-After", async () => {
    const plan = env.plans[2];
    assert.ok(plan);
    const input = { cluster: refOf(plan), namespace: firstCluster(plan).namespace, nodes: firstCluster(plan).nodes };
    const result = record(
      await withFaults([{ target: "kube", region: plan.region, kind: "429", rate: 1 }], () =>
        env.activities.checkReadiness(input),
      ),
    );
    assert.ok(!result.ok && result.kind === "transient", JSON.stringify(result));
    assert.equal(result.code, "TooManyRequests");
    assert.equal(result.retryAfterMs, 1000, "the orchestrator waits at least this long before it calls again");
    assert.match(
      result.message,
      new RegExp(
        `^checkReadiness in ${plan.region}: check readiness in cluster ${firstCluster(plan).name}: TooManyRequests: `,
      ),
    );
    assertOk(await env.activities.checkReadiness(input), "readiness once the throttling is over");
  });

  it("observes every node under a 30 % Kubernetes 503 rate: proxied JSON-RPC reads and readiness are retried", async () => {
    const since = (await env.operations(0)).at(-1)?.seq ?? 0;
    const rounds = await withFaults([{ target: "kube", kind: "5xx", status: 503, rate: 0.3 }], async () => [
      await observeEveryNode(),
      await observeEveryNode(),
      await observeEveryNode(),
    ]);
    for (const observation of rounds.flat()) {
      assert.equal(observation.reachable, true, `${observation.nodeId}: ${observation.error ?? ""}`);
      assert.equal(observation.ready, true, `${observation.nodeId}: ready`);
      assert.equal(observation.error, undefined, observation.nodeId);
    }
    const proxied = (await env.operations(since)).filter(
      (entry) => entry.target === "kube" && entry.operation.includes("/proxy"),
    );
    assert.ok(
      proxied.some((entry) => entry.status === 503 && entry.fault !== undefined),
      "503s hit proxied requests",
    );
  });

  it("survives a few ARM 503s (the SDK retries them) and returns a transient failure when they persist", async () => {
    const plan = env.plans[3];
    assert.ok(plan);
    const input = { cluster: refOf(plan) };
    const survived = await withFaults(
      [{ target: "arm", region: plan.region, kind: "5xx", status: 503, rate: 1, count: 2 }],
      () => env.activities.getClusterState(input),
    );
    assertOk(record(survived), "state after two 503s");
    const result = record(
      await withFaults([{ target: "arm", region: plan.region, kind: "5xx", status: 503, rate: 1 }], () =>
        env.activities.getClusterState(input),
      ),
    );
    assert.ok(
      !result.ok && result.kind === "transient",
      `a persistent 503 is a transient failure: ${JSON.stringify(result)}`,
    );
    assert.match(
      result.message,
      new RegExp(`^getClusterState in ${plan.region}: read cluster ${firstCluster(plan).name}: `),
    );
  });

  it("never returns a private key, kubeconfig or token in any activity output", async () => {
    const serialized = JSON.stringify(outputs);
    assert.ok(outputs.length > 20, "the scan covers the outputs above");
    for (const plan of env.plans) {
      const ref = refOf(plan);
      const kubeconfig = await env.deps.arm.userKubeconfig(ref.resourceGroup, ref.clusterName);
      const token = /token:\s*(\S+)/.exec(kubeconfig)?.[1];
      assert.ok(token !== undefined && token.length > 8, "the kubeconfig has a token to look for");
      assert.ok(!serialized.includes(token), "no cluster token");
      for (const node of firstCluster(plan).nodes) {
        const key = await nodeKeyOf(env, plan, node);
        assert.ok(key !== undefined);
        assert.ok(
          !serialized.toLowerCase().includes(key.trim().replace(/^0x/, "").toLowerCase()),
          `no private key of ${node.id}`,
        );
      }
    }
    assert.ok(!serialized.includes("client-key-data"));
    assert.ok(!serialized.includes("certificate-authority-data"));
    assert.ok(!/token/i.test(serialized), "no token field");
  });

  it("fails for good when a key Job cannot read the Secret's key, without replacing or quoting it", async () => {
    const plan = env.plans[3];
    assert.ok(plan);
    const node = firstCluster(plan).nodes[0];
    assert.ok(node);
    const garbage = "0xnot-a-key-but-a-secret-looking-value";
    const action = {
      type: "replaceObjectKey",
      cluster: firstCluster(plan).name,
      resourceGroup: plan.resourceGroup,
      namespace: firstCluster(plan).namespace,
      kind: "Secret",
      name: node.keySecretName,
      key: NODE_KEY_SECRET_ENTRY,
      value: garbage,
      restartPods: false,
    };
    assert.equal((await env.control("POST", "besu/actions", action)).status, 200);
    // The identity is published already: without it, the control plane runs the key Job again.
    const kube = await env.deps.clusters.get(refOf(plan));
    await kube.deleteObject({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: identityConfigMapName(node), namespace: firstCluster(plan).namespace },
    });
    const input = { cluster: refOf(plan), regionPlan: plan, clusterOrdinal: 1, specDocument: env.specDocument };
    const result = await eventually("the key Job to fail", async () => {
      const answer = await env.activities.ensureNodeKeys(input);
      return answer.ok ? undefined : answer;
    });
    assert.equal(result.code, "KeyJobFailed", result.message);
    assert.ok(
      result.message.includes(keyJob(plan, firstCluster(plan), node, env.spec.network.besuImage).metadata.name),
    );
    assert.ok(!result.message.includes("secret-looking"), "the message does not quote the Secret");
    assert.equal(await nodeKeyOf(env, plan, node), garbage, "the Secret is left for the operator, not regenerated");
  });

  it("reports a failed provisioning as state Failed with a reason, and starts it again on the next begin", async () => {
    const plan = env.plans[1];
    assert.ok(plan);
    const clusterPlan = { ...firstCluster(plan), name: "aks-doomed" };
    const ref = { ...refOf(plan), clusterName: clusterPlan.name };
    assert.equal(
      (
        await env.control("PUT", "faults", {
          regions: {
            [plan.region]: {
              provisioningFailure: { code: "VMExtensionProvisioningError", message: "the node bootstrap failed" },
            },
          },
        })
      ).status,
      200,
    );
    try {
      const begun = record(
        await env.activities.beginCluster({ cluster: ref, plan: clusterPlan, network: plan.network }),
      );
      assertOk(begun, "begin doomed cluster");
      const failed = await eventually("the failed provisioning", async () => {
        const state = record(await env.activities.getClusterState({ cluster: ref }));
        assertOk(state, "state");
        return state.provisioningState === "Failed" ? state : undefined;
      });
      assert.match(failed.failureMessage ?? "", new RegExp(`aks-doomed in ${plan.region} failed`));
    } finally {
      assert.equal((await env.control("DELETE", "faults")).status, 200);
    }
    const retried = record(
      await env.activities.beginCluster({ cluster: ref, plan: clusterPlan, network: plan.network }),
    );
    assertOk(retried, "begin again");
    assert.equal(retried.provisioningState, "Updating");
  });
});
