/** Drift verification's pure parts: the report model, ignore rules, and the ARM, Kubernetes and Besu comparisons. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { armDrift } from "../../lib/domain/drift/arm.js";
import { besuDrift, type BesuExpectation } from "../../lib/domain/drift/besu.js";
import { kubernetesDrift, parseApplyConflicts, valueAtFieldPath } from "../../lib/domain/drift/kubernetes.js";
import {
  buildDriftReport,
  indexWithReport,
  isAlertWorthy,
  type DriftReportInput,
  type ObservedDrift,
} from "../../lib/domain/drift/report.js";
import { driftSpecSchema } from "../../lib/domain/drift/spec.js";
import { planRegion } from "../../lib/domain/plan.js";
import type { ObservedNode } from "../../lib/domain/verification.js";
import { validSpec } from "./helpers.js";

const T0 = "2026-12-03T10:00:00.000Z";
const T1 = "2026-12-03T10:15:00.000Z";

const editedGenesis: ObservedDrift = {
  kind: "kubernetes",
  region: "northeurope",
  resource: "ConfigMap/besu-genesis",
  field: ".data.genesis.json",
  desired: "{…}",
  actual: "{} (set by kubectl-edit)",
  severity: "warning",
};

function report(change: Partial<DriftReportInput> = {}) {
  return buildDriftReport({
    network: "chain138",
    trigger: "timer",
    startedAt: T0,
    finishedAt: T0,
    observed: [],
    unknown: [],
    actions: [],
    ignore: [],
    ...change,
  });
}

describe("drift report", () => {
  test("no finding and nothing unobserved is InSync", () => {
    assert.equal(report().state, "InSync");
  });

  test("something that could not be observed is Unknown, never InSync", () => {
    const unknown = [{ kind: "kubernetes" as const, region: "uksouth", resource: "aks", reason: "ECONNREFUSED" }];
    assert.equal(report({ unknown }).state, "Unknown");
    assert.equal(report({ unknown, observed: [editedGenesis] }).state, "Drifted");
  });

  test("since carries over from the previous report for the same finding, new findings start now", () => {
    const first = report({ observed: [editedGenesis] });
    const other = { ...editedGenesis, resource: "ConfigMap/besu-static-nodes" };
    const second = report({ startedAt: T1, finishedAt: T1, observed: [editedGenesis, other], previous: first });
    assert.deepEqual(
      second.findings.map((finding) => [finding.resource, finding.since]),
      [
        ["ConfigMap/besu-genesis", T0],
        ["ConfigMap/besu-static-nodes", T1],
      ],
    );
  });

  test("ignore rules report matching findings as ignored, keep their since, and leave the state InSync", () => {
    const ignore = driftSpecSchema.parse({
      ignore: [{ kind: "kubernetes", resource: "northeurope/ConfigMap/besu-*", field: ".data", reason: "demo" }],
    }).ignore;
    const first = report({ observed: [editedGenesis], ignore });
    assert.equal(first.state, "InSync");
    assert.equal(first.findings.length, 0);
    assert.equal(first.ignored[0]?.resource, "ConfigMap/besu-genesis");
    assert.match(first.ignored[0]?.rule ?? "", /demo/);
    const later = report({ startedAt: T1, finishedAt: T1, observed: [editedGenesis], previous: first });
    assert.equal(later.findings[0]?.since, T0);
    const otherField = driftSpecSchema.parse({ ignore: [{ field: ".metadata" }] }).ignore;
    assert.equal(report({ observed: [editedGenesis], ignore: otherField }).state, "Drifted");
    const otherKind = driftSpecSchema.parse({ ignore: [{ kind: "arm" }] }).ignore;
    assert.equal(report({ observed: [editedGenesis], ignore: otherKind }).state, "Drifted");
  });

  test("the index keeps the newest reports and names the ones to delete", () => {
    let index;
    const dropped: string[] = [];
    for (const minute of [0, 15, 30]) {
      const at = `2026-12-03T10:${String(minute).padStart(2, "0")}:00.000Z`;
      const next = indexWithReport(index, report({ startedAt: at, finishedAt: at }), 2);
      index = next.index;
      dropped.push(...next.dropped);
    }
    assert.deepEqual(
      index?.reports.map((entry) => entry.startedAt),
      ["2026-12-03T10:30:00.000Z", "2026-12-03T10:15:00.000Z"],
    );
    assert.deepEqual(dropped, ["drift/chain138/reports/2026-12-03t10-00-00-000z.json"]);
  });

  test("alerts on InSync to Drifted or Unknown and back, not on Drifted to Unknown", () => {
    assert.equal(isAlertWorthy("InSync", "Drifted"), true);
    assert.equal(isAlertWorthy("Unknown", "InSync"), true);
    assert.equal(isAlertWorthy("Drifted", "Unknown"), false);
    assert.equal(isAlertWorthy("InSync", "InSync"), false);
    assert.equal(isAlertWorthy(undefined, "InSync"), false);
  });
});

describe("ARM drift", () => {
  const plan = planRegion(validSpec(), "northeurope").clusters[0];
  assert.ok(plan);
  const matching = {
    exists: true,
    provisioningState: "Succeeded",
    kubernetesVersion: `${plan.kubernetesVersion}.3`,
    pools: plan.nodePools.map((pool) => ({ name: pool.name, count: pool.count, vmSize: pool.vmSize })),
  };

  test("a cluster as planned has no drift", () => {
    assert.deepEqual(armDrift("northeurope", plan, matching), []);
  });

  test("a deleted cluster is one critical finding", () => {
    const drift = armDrift("northeurope", plan, { exists: false, pools: [] });
    assert.deepEqual(
      drift.map((finding) => [finding.resource, finding.field, finding.actual, finding.severity]),
      [[plan.name, "(cluster)", "deleted", "critical"]],
    );
  });

  test("a pool scaled by hand names the pool and both counts", () => {
    const [first, ...rest] = matching.pools;
    assert.ok(first);
    const drift = armDrift("northeurope", plan, { ...matching, pools: [{ ...first, count: 3 }, ...rest] });
    assert.deepEqual(
      drift.map((finding) => [finding.field, finding.desired, finding.actual]),
      [[`nodePools[${first.name}].count`, String(first.count), "3"]],
    );
  });
});

describe("Kubernetes drift", () => {
  const manifest = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "besu-genesis", namespace: "besu-chain138", labels: { app: "besu" } },
    data: { "genesis.json": '{"config":{}}' },
  };
  const stored = { ...manifest, metadata: { ...manifest.metadata, uid: "1", resourceVersion: "7" } };

  test("reads paths whose keys contain dots", () => {
    assert.equal(valueAtFieldPath(manifest, ".data.genesis.json"), '{"config":{}}');
    assert.equal(valueAtFieldPath(manifest, ".data.other"), undefined);
  });

  test("parses conflicts as Kubernetes and as the simulator write them", () => {
    assert.deepEqual(
      parseApplyConflicts(
        'Apply failed with 2 conflicts: conflict with "kubectl-edit" using v1: .data.a\nconflict with "helm": .spec.replicas',
      ),
      [
        { manager: "kubectl-edit", field: ".data.a" },
        { manager: "helm", field: ".spec.replicas" },
      ],
    );
  });

  test("an object as applied has no drift", () => {
    assert.deepEqual(kubernetesDrift("northeurope", manifest, stored, { kind: "applied", object: stored }), []);
  });

  test("a deleted object is one finding", () => {
    const drift = kubernetesDrift("northeurope", manifest, undefined, undefined);
    assert.deepEqual(
      drift.map((finding) => [finding.resource, finding.field, finding.actual]),
      [["ConfigMap/besu-genesis", "(object)", "deleted"]],
    );
  });

  test("a field another manager took names the field, both values and the manager", () => {
    const edited = { ...stored, data: { "genesis.json": "{}" } };
    const drift = kubernetesDrift("northeurope", manifest, edited, {
      kind: "conflicts",
      conflicts: [{ manager: "kubectl-edit", field: ".data.genesis.json" }],
    });
    assert.deepEqual(
      drift.map((finding) => [finding.field, finding.desired, finding.actual]),
      [[".data.genesis.json", '{"config":{}}', "{} (set by kubectl-edit)"]],
    );
  });

  test("a field of ours removed by hand shows where the dry run would put it back", () => {
    const removed = { ...stored, metadata: { ...stored.metadata, labels: {} } };
    const drift = kubernetesDrift("northeurope", manifest, removed, { kind: "applied", object: stored });
    assert.deepEqual(
      drift.map((finding) => [finding.field, finding.desired, finding.actual]),
      [[".metadata.labels.app", "besu", "(absent)"]],
    );
  });
});

describe("Besu drift", () => {
  const validators = ["0x01", "0x02", "0x03", "0x04"].map((a) => a.padEnd(42, "0"));
  const key = (n: number): string => `0x${String(n).repeat(128).slice(0, 128)}`;
  const regions = ["northeurope", "uksouth", "francecentral", "swedencentral"];
  const expected: BesuExpectation = {
    chainIdHex: "0x8a",
    genesisHash: "0xgenesis",
    validators,
    validatorPublicKeys: [1, 2, 3, 4].map(key),
    maxHeadSpread: 3,
  };
  const node = (index: number, head: number, change: Partial<ObservedNode> = {}): ObservedNode => ({
    nodeId: `${regions[index]}/validator-1`,
    region: regions[index] as string,
    role: "validator",
    publicKey: key(index + 1),
    reachable: true,
    chainId: "0x8a",
    genesisHash: "0xgenesis",
    blockNumber: head,
    syncing: false,
    peerPublicKeys: [1, 2, 3, 4].filter((n) => n !== index + 1).map(key),
    validatorsLatest: validators,
    validatorsPending: validators,
    ready: true,
    ...change,
  });
  const first = [0, 1, 2, 3].map((i) => node(i, 10));
  const fields = (drift: ObservedDrift[]) => drift.map((finding) => `${finding.resource} ${finding.field}`);

  test("a healthy network has no drift", () => {
    assert.deepEqual(
      besuDrift(
        expected,
        first,
        [0, 1, 2, 3].map((i) => node(i, 12)),
      ),
      [],
    );
  });

  test("a stopped validator is unreachable, and nothing else is reported", () => {
    const second = [0, 1, 2, 3].map((i) => (i === 1 ? node(i, 0, { reachable: false, error: "503" }) : node(i, 12)));
    assert.deepEqual(fields(besuDrift(expected, first, second)), ["uksouth/validator-1 reachable"]);
  });

  test("a partitioned validator stops advancing and loses its validator peers", () => {
    const second = [0, 1, 2, 3].map((i) =>
      i === 3
        ? node(i, 10, { peerPublicKeys: [], ready: false })
        : node(i, 12, { peerPublicKeys: [1, 2, 3].filter((n) => n !== i + 1).map(key) }),
    );
    assert.deepEqual(fields(besuDrift(expected, first, second)), [
      "swedencentral/validator-1 head",
      "swedencentral/validator-1 validatorPeers",
      "swedencentral/validator-1 ready",
    ]);
  });

  test("a pending vote nobody asked for is reported", () => {
    const extra = "0x05".padEnd(42, "0");
    const second = [0, 1, 2, 3].map((i) => node(i, 12, i === 0 ? { validatorsPending: [...validators, extra] } : {}));
    const drift = besuDrift(expected, first, second);
    assert.deepEqual(fields(drift), ["northeurope/validator-1 pendingVotes"]);
    assert.equal(drift[0]?.actual, `+${extra}`);
  });
});
