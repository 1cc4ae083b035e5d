import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BESU_PATHS,
  besuArguments,
  besuManifests,
  clusterConfigurationManifests,
  READINESS_PATH,
  type KubernetesManifest,
} from "../../lib/domain/manifests.js";
import { planRegion, type ClusterPlan, type RegionPlan } from "../../lib/domain/plan.js";
import type { DesiredState } from "../../lib/domain/spec.js";
import { validSpec } from "./helpers.js";

/** Reads a nested field of a plain manifest without casting: each step must be an object or array. */
function field(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) assert.fail(`no ${String(key)} in ${JSON.stringify(current)}`);
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function arrayField(value: unknown, ...path: Array<string | number>): unknown[] {
  const found = field(value, ...path);
  assert.ok(Array.isArray(found), `${path.join(".")} is not an array`);
  return found;
}

function byName(manifests: KubernetesManifest[], kind: string, name: string): KubernetesManifest {
  const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
  assert.ok(
    found,
    `no ${kind} ${name} in ${manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`).join(", ")}`,
  );
  return found;
}

const spec: DesiredState = validSpec({
  network: {
    name: "chain138",
    besuImage: "hyperledger/besu:24.10.0",
    resources: { sentry: { cpu: "1", memory: "4Gi", storage: "50Gi" } },
  },
  regions: [
    { name: "uksouth", validators: 2, sentries: 1 },
    { name: "ukwest", validators: 2, sentries: 0 },
  ],
});
const plan: RegionPlan = planRegion(spec, "uksouth");
const cluster: ClusterPlan = plan.clusters[0];
const p2pHosts = {
  "uksouth/validator-1": "20.1.1.1",
  "uksouth/validator-2": "20.1.1.2",
  "uksouth/sentry-1": "20.1.1.3",
};
const genesisJson = '{"config":{"chainId":138}}\n';
const staticNodesJson = '["enode://aa@20.1.1.1:30303"]\n';
const configuration = clusterConfigurationManifests(plan, cluster, spec.cluster);
const besu = besuManifests({ network: spec.network, plan, cluster, genesisJson, staticNodesJson, p2pHosts });

describe("cluster configuration manifests (phase A)", () => {
  it("lists namespace, RBAC, storage class, policies, budgets and Services in apply order", () => {
    assert.deepEqual(
      configuration.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`),
      [
        "Namespace/besu-chain138",
        "ServiceAccount/besu-node",
        "Role/besu-node",
        "RoleBinding/besu-node",
        "ServiceAccount/besu-keygen",
        "Role/besu-keygen",
        "RoleBinding/besu-keygen",
        "StorageClass/besu-data",
        "NetworkPolicy/besu-default-deny-ingress",
        "NetworkPolicy/besu-allow-p2p",
        "NetworkPolicy/besu-allow-validator-rpc",
        "NetworkPolicy/besu-allow-sentry-rpc",
        "PodDisruptionBudget/besu-validators",
        "PodDisruptionBudget/besu-sentries",
        "Service/besu-validator-1",
        "Service/besu-validator-1-p2p",
        "Service/besu-validator-2",
        "Service/besu-validator-2-p2p",
        "Service/besu-sentry-1",
        "Service/besu-sentry-1-p2p",
        "Service/besu-rpc",
      ],
    );
  });

  it("puts namespaced objects in the network's namespace and labels everything", () => {
    for (const manifest of configuration) {
      const clusterScoped = manifest.kind === "Namespace" || manifest.kind === "StorageClass";
      assert.equal(
        manifest.metadata.namespace,
        clusterScoped ? undefined : "besu-chain138",
        `${manifest.kind}/${manifest.metadata.name}`,
      );
      assert.equal(manifest.metadata.labels?.["app.kubernetes.io/managed-by"], "besu-fleet");
      assert.equal(manifest.metadata.labels?.["besu-fleet.io/region"], "uksouth");
    }
    assert.equal(
      byName(configuration, "Namespace", "besu-chain138").metadata.labels?.["pod-security.kubernetes.io/enforce"],
      "restricted",
    );
  });

  it("binds a token-less service account to read-only access on exactly the node's objects", () => {
    assert.equal(field(byName(configuration, "ServiceAccount", "besu-node"), "automountServiceAccountToken"), false);
    const rules = arrayField(byName(configuration, "Role", "besu-node"), "rules");
    assert.deepEqual(rules, [
      {
        apiGroups: [""],
        resources: ["configmaps"],
        resourceNames: ["besu-genesis", "besu-static-nodes"],
        verbs: ["get"],
      },
      {
        apiGroups: [""],
        resources: ["secrets"],
        resourceNames: ["besu-validator-1-key", "besu-validator-2-key", "besu-sentry-1-key"],
        verbs: ["get"],
      },
    ]);
    assert.deepEqual(field(byName(configuration, "RoleBinding", "besu-node"), "subjects"), [
      { kind: "ServiceAccount", name: "besu-node", namespace: "besu-chain138" },
    ]);
  });

  it("keeps data volumes on Azure disks that outlive their claims", () => {
    const storageClass = byName(configuration, "StorageClass", "besu-data");
    assert.equal(field(storageClass, "provisioner"), "disk.csi.azure.com");
    assert.deepEqual(field(storageClass, "parameters"), { skuName: "Premium_LRS" });
    assert.equal(field(storageClass, "reclaimPolicy"), "Retain");
    assert.equal(field(storageClass, "volumeBindingMode"), "WaitForFirstConsumer");
  });

  it("denies ingress by default and opens P2P to all, validator RPC to the cluster, sentry RPC to clients", () => {
    assert.deepEqual(field(byName(configuration, "NetworkPolicy", "besu-default-deny-ingress"), "spec"), {
      podSelector: {},
      policyTypes: ["Ingress"],
    });
    assert.deepEqual(field(byName(configuration, "NetworkPolicy", "besu-allow-p2p"), "spec", "ingress"), [
      {
        ports: [
          { protocol: "TCP", port: 30303 },
          { protocol: "UDP", port: 30303 },
        ],
      },
    ]);
    const validatorRpc = arrayField(
      byName(configuration, "NetworkPolicy", "besu-allow-validator-rpc"),
      "spec",
      "ingress",
    );
    assert.deepEqual(
      validatorRpc,
      [
        {
          from: [
            { podSelector: {} },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } },
          ],
          ports: [{ protocol: "TCP", port: 8545 }],
        },
      ],
      "wire JSON uses `from`, never the client model's `_from`",
    );
    assert.deepEqual(field(byName(configuration, "NetworkPolicy", "besu-allow-sentry-rpc"), "spec", "podSelector"), {
      matchLabels: { "app.kubernetes.io/name": "besu", "app.kubernetes.io/component": "sentry" },
    });
  });

  it("allows one disruption per role in the cluster", () => {
    assert.deepEqual(field(byName(configuration, "PodDisruptionBudget", "besu-validators"), "spec"), {
      maxUnavailable: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": "besu", "app.kubernetes.io/component": "validator" } },
    });
  });

  it("gives every node a public P2P LoadBalancer that routes before readiness, and an RPC Service", () => {
    const p2p = byName(configuration, "Service", "besu-validator-2-p2p");
    assert.equal(field(p2p, "spec", "type"), "LoadBalancer");
    assert.equal(field(p2p, "spec", "publishNotReadyAddresses"), true);
    assert.deepEqual(field(p2p, "spec", "selector"), {
      "app.kubernetes.io/name": "besu",
      "app.kubernetes.io/instance": "besu-validator-2",
    });
    assert.deepEqual(
      arrayField(p2p, "spec", "ports").map((port) => [field(port, "protocol"), field(port, "port")]),
      [["TCP", 30303]],
      "validators do not take part in discovery",
    );
    const sentryP2p = byName(configuration, "Service", "besu-sentry-1-p2p");
    assert.deepEqual(
      arrayField(sentryP2p, "spec", "ports").map((port) => [field(port, "protocol"), field(port, "port")]),
      [
        ["TCP", 30303],
        ["UDP", 30303],
      ],
    );
    const rpc = byName(configuration, "Service", "besu-validator-2");
    assert.equal(field(rpc, "spec", "type"), "ClusterIP");
    assert.equal(field(arrayField(rpc, "spec", "ports")[0], "port"), 8545);
    assert.deepEqual(field(byName(configuration, "Service", "besu-rpc"), "spec", "selector"), {
      "app.kubernetes.io/name": "besu",
      "app.kubernetes.io/component": "sentry",
    });
  });

  it("leaves out sentry objects in a region without sentries", () => {
    const validatorsOnly = planRegion(spec, "ukwest");
    const names = clusterConfigurationManifests(validatorsOnly, validatorsOnly.clusters[0], spec.cluster).map(
      (manifest) => manifest.metadata.name,
    );
    assert.equal(names.includes("besu-sentries"), false);
    assert.equal(names.includes("besu-rpc"), false);
    assert.equal(names.includes("besu-allow-sentry-rpc"), false);
    assert.equal(names.includes("besu-validators"), true);
  });
});

describe("Besu manifests (phase B)", () => {
  it("lists the ConfigMaps, then validator and sentry StatefulSets", () => {
    assert.deepEqual(
      besu.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`),
      [
        "ConfigMap/besu-genesis",
        "ConfigMap/besu-static-nodes",
        "StatefulSet/besu-validator-1",
        "StatefulSet/besu-validator-2",
        "StatefulSet/besu-sentry-1",
      ],
    );
    assert.deepEqual(field(byName(besu, "ConfigMap", "besu-genesis"), "data"), { "genesis.json": genesisJson });
    assert.deepEqual(field(byName(besu, "ConfigMap", "besu-static-nodes"), "data"), {
      "static-nodes.json": staticNodesJson,
    });
  });

  it("runs one Besu replica per StatefulSet, selected by its own labels, with its Service", () => {
    const statefulSet = byName(besu, "StatefulSet", "besu-validator-1");
    assert.equal(field(statefulSet, "spec", "replicas"), 1);
    assert.equal(field(statefulSet, "spec", "podManagementPolicy"), "OrderedReady");
    assert.deepEqual(field(statefulSet, "spec", "updateStrategy"), { type: "OnDelete" });
    assert.equal(field(statefulSet, "spec", "serviceName"), "besu-validator-1");
    const selector = field(statefulSet, "spec", "selector", "matchLabels");
    const podLabels = field(statefulSet, "spec", "template", "metadata", "labels");
    for (const [key, value] of Object.entries(selector as Record<string, string>))
      assert.equal(field(podLabels, key), value);
    assert.equal(field(podLabels, "app.kubernetes.io/component"), "validator");
    assert.equal(field(statefulSet, "spec", "template", "spec", "automountServiceAccountToken"), false);
    assert.equal(field(statefulSet, "spec", "template", "spec", "serviceAccountName"), "besu-node");
  });

  it("starts Besu with the documented flags, the node's public address and its role's APIs", () => {
    const container = arrayField(
      byName(besu, "StatefulSet", "besu-validator-2"),
      "spec",
      "template",
      "spec",
      "containers",
    )[0];
    assert.equal(field(container, "image"), "hyperledger/besu:24.10.0");
    const args = arrayField(container, "args");
    for (const flag of [
      "--genesis-file=/etc/besu/genesis/genesis.json",
      "--node-private-key-file=/etc/besu/keys/nodekey",
      "--data-path=/data",
      "--static-nodes-file=/etc/besu/static-nodes/static-nodes.json",
      "--p2p-host=20.1.1.2",
      "--p2p-port=30303",
      "--nat-method=NONE",
      "--discovery-enabled=false",
      "--rpc-http-enabled=true",
      "--rpc-http-api=ETH,NET,QBFT,WEB3,ADMIN",
      "--host-allowlist=*",
      "--min-gas-price=0",
    ])
      assert.ok(args.includes(flag), `missing ${flag}`);
    const sentryArgs = besuArguments(cluster.nodes[2], "20.1.1.3");
    assert.ok(sentryArgs.includes("--rpc-http-api=ETH,NET,QBFT,WEB3"));
    assert.ok(sentryArgs.includes("--discovery-enabled=true"));
    assert.equal(
      sentryArgs.some((flag) => flag.includes("ADMIN")),
      false,
      "no ADMIN API on RPC-serving sentries",
    );
  });

  it("probes liveness and readiness as Besu defines them, on the RPC port", () => {
    const container = arrayField(
      byName(besu, "StatefulSet", "besu-sentry-1"),
      "spec",
      "template",
      "spec",
      "containers",
    )[0];
    assert.deepEqual(field(container, "livenessProbe", "httpGet"), { path: "/liveness", port: "json-rpc" });
    assert.deepEqual(field(container, "readinessProbe", "httpGet"), { path: READINESS_PATH, port: "json-rpc" });
    assert.equal(READINESS_PATH, "/readiness?minPeers=1&maxBlocksBehind=2");
    const ports = arrayField(container, "ports").map(
      (port) =>
        `${String(field(port, "name"))}:${String(field(port, "containerPort"))}/${String(field(port, "protocol"))}`,
    );
    assert.deepEqual(ports, ["json-rpc:8545/TCP", "rlpx:30303/TCP", "discovery:30303/UDP", "metrics:9545/TCP"]);
    assert.deepEqual(field(container, "resources"), {
      requests: { cpu: "1", memory: "4Gi" },
      limits: { memory: "4Gi" },
    });
  });

  it("mounts genesis, static nodes and the node key by reference, and claims a `data` volume", () => {
    const statefulSet = byName(besu, "StatefulSet", "besu-validator-1");
    const volumes = arrayField(statefulSet, "spec", "template", "spec", "volumes");
    assert.deepEqual(volumes, [
      { name: "genesis", configMap: { name: "besu-genesis" } },
      { name: "static-nodes", configMap: { name: "besu-static-nodes" } },
      {
        name: "node-key",
        secret: {
          secretName: "besu-validator-1-key",
          defaultMode: 0o440,
          items: [{ key: "nodekey", path: "nodekey" }],
        },
      },
    ]);
    const mounts = arrayField(statefulSet, "spec", "template", "spec", "containers", 0, "volumeMounts");
    assert.deepEqual(
      mounts.map((mount) => field(mount, "mountPath")),
      [BESU_PATHS.data, BESU_PATHS.genesisDirectory, BESU_PATHS.staticNodesDirectory, BESU_PATHS.keyDirectory],
    );
    const claim = arrayField(statefulSet, "spec", "volumeClaimTemplates")[0];
    assert.equal(field(claim, "metadata", "name"), "data");
    assert.deepEqual(field(claim, "spec"), {
      accessModes: ["ReadWriteOnce"],
      storageClassName: "besu-data",
      resources: { requests: { storage: "20Gi" } },
    });
    assert.deepEqual(field(statefulSet, "spec", "persistentVolumeClaimRetentionPolicy"), {
      whenDeleted: "Retain",
      whenScaled: "Retain",
    });
  });

  it("never contains a Secret or key material, and is plain JSON", () => {
    for (const manifest of [...configuration, ...besu]) assert.notEqual(manifest.kind, "Secret");
    assert.deepEqual(JSON.parse(JSON.stringify([...configuration, ...besu])), [...configuration, ...besu]);
  });

  it("refuses to render a node without its public P2P address", () => {
    const { "uksouth/sentry-1": _omitted, ...partial } = p2pHosts;
    void _omitted;
    assert.throws(
      () => besuManifests({ network: spec.network, plan, cluster, genesisJson, staticNodesJson, p2pHosts: partial }),
      /no public P2P address for uksouth\/sentry-1/,
    );
  });

  it("is deterministic", () => {
    assert.deepEqual(
      besuManifests({ network: spec.network, plan, cluster, genesisJson, staticNodesJson, p2pHosts }),
      besu,
    );
    assert.deepEqual(clusterConfigurationManifests(plan, cluster, spec.cluster), configuration);
  });
});
