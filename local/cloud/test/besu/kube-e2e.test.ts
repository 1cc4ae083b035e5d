/**
 * End to end through the simulated cloud: Besu manifests shaped like Besu's Kubernetes examples
 * (StatefulSet per validator, ConfigMaps for genesis/static nodes/config.toml, a Secret with the
 * node key) applied with the real @kubernetes/client-node, then JSON-RPC through the API server's
 * service proxy and faults through the control API.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { KubeConfig, V1ContainerStatus as ContainerStatus } from "@kubernetes/client-node" with {
  "resolution-mode": "import",
};
import { decodeQbftExtraData, quorumSize } from "@besu-fleet/qbft";
import { BesuCloudFieldsSchema, createBesuPlugin } from "../../src/besu/plugin.js";
import {
  control,
  createCluster,
  createResourceGroup,
  eventually,
  httpsRequest,
  loadKubeClient,
  startTestCloud,
  type TestCloud,
} from "../helpers.js";
import { nodeAt, qbftGenesis } from "./fake-cluster.js";

type KubeClient = Awaited<ReturnType<typeof loadKubeClient>>;

const VALIDATORS = [0, 1, 2, 3].map((index) =>
  nodeAt(`e2e-validator-${index}`, `validator-${index}.besu.svc.cluster.local`),
);

const CONFIG_TOML = `
data-path="/data"
genesis-file="/etc/genesis/genesis.json"
static-nodes-file="/config/static/static-nodes.json"
p2p-enabled=true
p2p-port=30303
discovery-enabled=false
rpc-http-enabled=true
rpc-http-host="0.0.0.0"
rpc-http-port=8545
rpc-http-api=["ETH","NET","WEB3","QBFT","ADMIN"]
rpc-http-cors-origins=["*"]
host-allowlist=["*"]
metrics-enabled=true
metrics-host="0.0.0.0"
metrics-port=9545
logging="INFO"
`;

function statefulSet(index: number, keySecret: string): Record<string, unknown> {
  const name = `validator-${index}`;
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      serviceName: name,
      podManagementPolicy: "OrderedReady",
      updateStrategy: { type: "RollingUpdate" },
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name,
              image: "hyperledger/besu:24.12.2",
              env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
              command: ["/bin/sh", "-c"],
              args: [
                "exec /opt/besu/bin/besu \\\n  --config-file=/etc/besu/config.toml \\\n  --node-private-key-file=/secrets/nodekey \\\n  --p2p-host=${POD_IP} \\\n  --Xdns-enabled=true --Xdns-update-enabled=true\n",
              ],
              ports: [
                { name: "json-rpc", containerPort: 8545 },
                { name: "rlpx", containerPort: 30303 },
                { name: "discovery", containerPort: 30303, protocol: "UDP" },
                { name: "metrics", containerPort: 9545 },
              ],
              volumeMounts: [
                { name: "key", mountPath: "/secrets", readOnly: true },
                { name: "genesis", mountPath: "/etc/genesis", readOnly: true },
                { name: "static-nodes", mountPath: "/config/static", readOnly: true },
                { name: "config-toml", mountPath: "/etc/besu", readOnly: true },
                { name: "data", mountPath: "/data" },
              ],
              livenessProbe: { httpGet: { path: "/liveness", port: 8545 }, initialDelaySeconds: 60, periodSeconds: 30 },
            },
          ],
          volumes: [
            { name: "key", secret: { secretName: keySecret } },
            { name: "genesis", configMap: { name: "besu-genesis" } },
            { name: "static-nodes", configMap: { name: "besu-static-nodes" } },
            { name: "config-toml", configMap: { name: "besu-config-toml" } },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
        },
      ],
    },
  };
}

describe("Besu manifests in the simulated cloud", { timeout: 120_000 }, () => {
  let test: TestCloud;
  let k8s: KubeClient;
  let kubeConfig: KubeConfig;

  /** JSON-RPC through `services/<svc>:8545/proxy/` with the cluster's token. */
  const rpcViaProxy = async (
    service: string,
    method: string,
    params: unknown[] = [],
  ): Promise<{ result?: unknown; error?: { code: number } }> => {
    const cluster = kubeConfig.getCurrentCluster();
    const user = kubeConfig.getCurrentUser();
    assert.ok(cluster && user?.token);
    const response = await httpsRequest(
      `${cluster.server}/api/v1/namespaces/besu/services/${service}:8545/proxy/`,
      test.ca,
      {
        method: "POST",
        body: { jsonrpc: "2.0", id: 1, method, params },
        headers: { Authorization: `Bearer ${user.token}` },
      },
    );
    assert.equal(response.status, 200, response.text);
    return response.body as { result?: unknown; error?: { code: number } };
  };
  const blockNumberVia = async (service: string): Promise<number> =>
    Number((await rpcViaProxy(service, "eth_blockNumber")).result);

  before(async () => {
    k8s = await loadKubeClient();
    test = await startTestCloud({ plugins: [createBesuPlugin()] });
    await createResourceGroup(test, "rg-besu", "westeurope");
    kubeConfig = await createCluster(test, "rg-besu", "aks-besu", "westeurope", 2, "admin");
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: "besu" } } });
    const genesis = qbftGenesis(
      VALIDATORS.map((validator) => validator.identity),
      { blockPeriodSeconds: 60, requestTimeoutSeconds: 120 },
    );
    await core.createNamespacedConfigMap({
      namespace: "besu",
      body: { metadata: { name: "besu-genesis" }, data: { "genesis.json": genesis } },
    });
    await core.createNamespacedConfigMap({
      namespace: "besu",
      body: {
        metadata: { name: "besu-static-nodes" },
        data: { "static-nodes.json": JSON.stringify(VALIDATORS.map((validator) => validator.enode)) },
      },
    });
    await core.createNamespacedConfigMap({
      namespace: "besu",
      body: { metadata: { name: "besu-config-toml" }, data: { "config.toml": CONFIG_TOML } },
    });
    for (const [index, validator] of VALIDATORS.entries()) {
      await core.createNamespacedSecret({
        namespace: "besu",
        body: { metadata: { name: `validator-${index}-key` }, stringData: { nodekey: validator.key } },
      });
      await core.createNamespacedService({
        namespace: "besu",
        body: {
          metadata: { name: `validator-${index}` },
          spec: {
            selector: { app: `validator-${index}` },
            ports: [
              { name: "json-rpc", port: 8545, targetPort: 8545 },
              { name: "rlpx", port: 30303, targetPort: 30303 },
            ],
          },
        },
      });
      await apps.createNamespacedStatefulSet({ namespace: "besu", body: statefulSet(index, `validator-${index}-key`) });
    }
  });

  after(async () => {
    await test?.close();
  });

  it("runs a 4-validator network whose JSON-RPC answers through the service proxy", async () => {
    await eventually(
      "blocks through the proxy",
      async () => ((await blockNumberVia("validator-0")) >= 3 ? true : undefined),
      60_000,
    );
    assert.equal((await rpcViaProxy("validator-2", "eth_chainId")).result, "0x8a");
    assert.equal(Number((await rpcViaProxy("validator-1", "net_peerCount")).result), 3);
    assert.deepEqual(
      (await rpcViaProxy("validator-3", "qbft_getValidatorsByBlockNumber", ["latest"])).result,
      VALIDATORS.map((validator) => validator.identity.address).sort(),
    );
    const block = (await rpcViaProxy("validator-0", "eth_getBlockByNumber", ["latest", false])).result as {
      extraData: string;
    };
    assert.ok(
      decodeQbftExtraData(block.extraData).seals.length >= quorumSize(4),
      "latest block carries a quorum of committer seals",
    );
  });

  it("stalls when two validators are stopped through the control API and recovers when they start", async () => {
    const stop = (pod: string, type: "stopNode" | "startNode") =>
      control(test, "POST", "besu/actions", { type, cluster: "aks-besu", namespace: "besu", pod });
    assert.equal((await stop("validator-2-0", "stopNode")).status, 200);
    assert.equal((await stop("validator-3-0", "stopNode")).status, 200);
    const networks = await control(test, "GET", "besu/networks");
    assert.equal(networks.status, 200);
    const stalledAt = await eventually(
      "stall",
      async () => {
        const first = await blockNumberVia("validator-0");
        await new Promise((resolve) => setTimeout(resolve, 300));
        return (await blockNumberVia("validator-0")) === first ? first : undefined;
      },
      30_000,
    );
    await stop("validator-2-0", "startNode");
    await stop("validator-3-0", "startNode");
    await eventually(
      "recovery",
      async () => ((await blockNumberVia("validator-0")) > stalledAt + 1 ? true : undefined),
      60_000,
    );
  });

  /** Waits until validator-3-0's container status satisfies `done`, and returns it. */
  const untilValidator3 = (what: string, done: (status: ContainerStatus) => boolean, timeoutMs: number) =>
    eventually(
      what,
      async () => {
        const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
        const status = (await core.readNamespacedPod({ name: "validator-3-0", namespace: "besu" })).status
          ?.containerStatuses?.[0];
        return status !== undefined && done(status) ? status : undefined;
      },
      timeoutMs,
    );

  it("a corrupted node-key Secret crash-loops that validator with Besu's reason; restoring it brings the node back", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const replaceKey = (value?: string) =>
      control(test, "POST", "besu/actions", {
        type: "replaceObjectKey",
        cluster: "aks-besu",
        namespace: "besu",
        kind: "Secret",
        name: "validator-3-key",
        key: "nodekey",
        ...(value === undefined ? {} : { value }),
      });
    const corrupted = await replaceKey();
    assert.equal(corrupted.status, 200);
    assert.deepEqual((corrupted.body as { restartedPods: string[] }).restartedPods, ["validator-3-0"]);
    const crashing = await untilValidator3(
      "crash loop",
      (status) => status.lastState?.terminated?.message?.includes("Unable to load node key") === true,
      30_000,
    );
    assert.equal(crashing.ready, false);
    const log = await core.readNamespacedPodLog({ name: "validator-3-0", namespace: "besu" });
    assert.match(log, /Unable to load node key/);
    assert.ok(!log.includes(VALIDATORS[3].key.slice(2)), "the key never appears in a log");
    await replaceKey(VALIDATORS[3].key);
    await untilValidator3("validator-3 answers again", (status) => status.ready, 60_000);
    await eventually(
      "validator-3 peered again",
      async () => (Number((await rpcViaProxy("validator-3", "net_peerCount")).result) === 3 ? true : undefined),
      30_000,
    );
  });

  it("a crashing image crash-loops the pods started with it in that cluster, until it is fixed", async () => {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const image = (type: "crashImage" | "fixImage") =>
      control(test, "POST", "besu/actions", { type, cluster: "aks-besu", image: "hyperledger/besu:24.12.2" });
    assert.equal((await image("crashImage")).status, 200);
    assert.equal(Number((await rpcViaProxy("validator-2", "net_peerCount")).result), 3, "running containers go on");
    await core.deleteNamespacedPod({ name: "validator-3-0", namespace: "besu" });
    const crashing = await untilValidator3(
      "crash loop",
      (status) => status.lastState?.terminated?.message?.includes("crashImage") === true,
      30_000,
    );
    assert.equal(crashing.ready, false);
    assert.equal((await image("fixImage")).status, 200);
    await untilValidator3("validator-3 answers again", (status) => status.ready, 60_000);
  });

  it("publishes the chains and the mainnet stand-in's Chainlink contracts in cloud.json", async () => {
    const connection = BesuCloudFieldsSchema.parse(JSON.parse(readFileSync(join(test.dataDir, "cloud.json"), "utf8")));
    const mainnet = connection.evm.mainnet;
    assert.ok(mainnet, "the mainnet stand-in runs by default");
    assert.equal(connection.evm.chain138.deployer.keyId, connection.evm.mainnet?.deployer.keyId);
    assert.ok(
      statSync(join(test.dataDir, "keyvault", "keys.json")).mode % 0o1000 === 0o600,
      "the vault's keys are readable by the owner only",
    );
    const call = async (url: string, method: string, params: unknown[]): Promise<unknown> => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      });
      return ((await response.json()) as { result?: unknown }).result;
    };
    assert.equal(await call(connection.evm.chain138.rpcUrl, "eth_chainId", []), "0x8a");
    assert.ok(
      BigInt(
        String(
          await call(connection.evm.chain138.rpcUrl, "eth_getBalance", [
            connection.evm.chain138.deployer.address,
            "latest",
          ]),
        ),
      ) > 0n,
    );
    const typeAndVersion = String(
      await call(mainnet.rpcUrl, "eth_call", [{ to: mainnet.contracts.router, data: "0x181f5a77" }, "latest"]),
    );
    assert.match(Buffer.from(typeAndVersion.slice(2), "hex").toString("utf8"), /Router 1\.2\.0/);
  });
});
