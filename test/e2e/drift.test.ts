/**
 * Drift verification end to end on the full local stack (bench/stack.ts: Azurite, the simulated
 * cloud with Besu nodes, the app on the local host): a four-region network is rolled out, then
 * drift is injected through the simulator's control API (`/_sim/drift`, `/_sim/besu/actions`,
 * fault rules) and each check, run through `POST /api/drift/{network}`, must report exactly the
 * drift injected — region, resource and field — and nothing else. The webhook is a server of this
 * test that refuses its first delivery.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { z } from "zod";
import { waitFor } from "@besu-fleet/local-support";
import { BenchStack, exampleSpec } from "../../bench/stack.js";
import { driftReportSchema, type DriftReport } from "../../lib/domain/drift/report.js";

/** As test/e2e/rollout.test.ts: 5 s blocks at 50× keep heads comparable between regions. */
const TIME_SCALE = 50;
const BLOCK_PERIOD_SECONDS = 5;
const NETWORK = "drifte2e";
const REGIONS = ["northeurope", "uksouth", "francecentral", "swedencentral"];
const NAMESPACE = `besu-${NETWORK}`;
const CHECK_TIMEOUT_MS = 120_000;

let stack: BenchStack;
let webhook: http.Server;
const alerts: { state: string; previousState: string | null }[] = [];
let webhookCalls = 0;

const rg = (region: string): string => `rg-${NETWORK}-${region}`;
const aks = (region: string): string => `aks-${NETWORK}-${region}`;

function spec(drift: Record<string, unknown> = {}) {
  const example = exampleSpec();
  return {
    ...example,
    network: {
      ...example.network,
      name: NETWORK,
      qbft: { ...example.network.qbft, blockperiodseconds: BLOCK_PERIOD_SECONDS, requesttimeoutseconds: 10 },
    },
    regions: REGIONS.map((name, index) => ({ name, validators: 1, sentries: index === 0 ? 1 : 0 })),
    cluster: {
      kubernetesVersion: "1.32",
      vcpuBudgetPerRegion: 10,
      nodePools: [
        { name: "system", mode: "System", vmSize: "Standard_D2s_v5", count: 1 },
        { name: "besu", mode: "User", vmSize: "Standard_D2s_v5", count: 1 },
      ],
    },
    rollout: {
      ...example.rollout,
      maxParallelRegions: 4,
      minValidators: 4,
      pollIntervalSeconds: 1,
      retry: { maxAttempts: 4, firstRetryIntervalSeconds: 1, backoffCoefficient: 1.5, maxRetryIntervalSeconds: 2 },
    },
    drift,
  };
}

async function rollOut(drift: Record<string, unknown> = {}): Promise<void> {
  const rolloutId = await stack.startRollout(spec(drift));
  const status = await stack.waitForEnd(rolloutId, 180_000, 500);
  assert.equal(status.state, "Succeeded", JSON.stringify(status.regions.map((region) => region.lastError)));
}

const latestSchema = z.object({ report: driftReportSchema.nullable(), running: z.unknown() });

/** Runs a check through the API and returns its report. */
async function check(): Promise<DriftReport> {
  return stack.driftCheck(NETWORK, CHECK_TIMEOUT_MS, 500).catch(async (error: unknown) => {
    const latest = await stack.api("GET", `drift/${NETWORK}`);
    throw new Error(`${String(error)}\nlatest: ${latest.text}\nhost output:\n${stack.hostOutput().slice(-4000)}`);
  });
}

/** Waits for the check that runs now to finish. */
const untilIdle = (): Promise<true> =>
  waitFor(
    "the running drift check to finish",
    async () =>
      latestSchema.parse((await stack.api("GET", `drift/${NETWORK}`)).body).running === null ? true : undefined,
    CHECK_TIMEOUT_MS,
    500,
  );

const described = (report: DriftReport): string[] =>
  report.findings.map((finding) => `${finding.kind} ${finding.region} ${finding.resource} ${finding.field}`).sort();

/** Checks until the network is back in sync (healing by hand takes a moment to show). */
async function untilInSync(): Promise<DriftReport> {
  let last: DriftReport | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    last = await check();
    if (last.state === "InSync") return last;
  }
  assert.fail(`still not in sync: ${JSON.stringify(last?.findings ?? [])} ${JSON.stringify(last?.unknown ?? [])}`);
}

const drift = (action: Record<string, unknown>) => stack.control("POST", "drift", action);
const besu = (action: Record<string, unknown>) => stack.control("POST", "besu/actions", action);

before(async () => {
  webhook = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      webhookCalls += 1;
      // The first delivery fails: the check retries it and still finishes.
      if (webhookCalls === 1) {
        response.writeHead(503).end();
        return;
      }
      alerts.push(
        z
          .object({ state: z.string(), previousState: z.string().nullable() })
          .parse(JSON.parse(Buffer.concat(chunks).toString("utf8"))),
      );
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
  const { port } = webhook.address() as AddressInfo;
  stack = await BenchStack.start(TIME_SCALE, { appSettings: { DRIFT_WEBHOOK_URL: `http://127.0.0.1:${port}/hook` } });
  await rollOut();
});

after(async () => {
  await stack?.close();
  webhook?.close();
});

test("a network as rolled out is InSync, and a second run while one runs is refused", async () => {
  const first = await stack.api("POST", `drift/${NETWORK}`);
  assert.equal(first.status, 202, first.text);
  const second = await stack.api("POST", `drift/${NETWORK}`);
  assert.equal(second.status, 409, second.text);
  await untilIdle();
  const report = await untilInSync();
  assert.deepEqual(report.findings, []);
  assert.deepEqual(report.unknown, []);
});

test("the timer starts a check per recorded network, and a tick while it runs is skipped", async () => {
  const ticks = [await stack.runFunction("driftTimer"), await stack.runFunction("driftTimer")];
  assert.deepEqual(
    ticks.map((tick) => tick.status),
    [202, 202],
  );
  await waitFor(
    "the second tick to say it skipped",
    async () => (stack.hostOutput().includes(`drift: check of ${NETWORK} skipped`) ? true : undefined),
    CHECK_TIMEOUT_MS,
    250,
  );
  await untilIdle();
  const latest = latestSchema.parse((await stack.api("GET", `drift/${NETWORK}`)).body);
  assert.equal(latest.report?.trigger, "timer");
  assert.equal(latest.report?.state, "InSync");
});

test("an edited ConfigMap is one Kubernetes finding naming the field and the editor; since carries over", async () => {
  await drift({
    type: "editObject",
    resourceGroup: rg("uksouth"),
    cluster: aks("uksouth"),
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: NAMESPACE,
    name: "besu-static-nodes",
    mergePatch: { data: { "static-nodes.json": "[]" } },
  });
  const report = await check();
  assert.equal(report.state, "Drifted");
  assert.deepEqual(described(report), ["kubernetes uksouth ConfigMap/besu-static-nodes .data.static-nodes.json"]);
  assert.match(report.findings[0]?.actual ?? "", /kubectl-edit/);
  const again = await check();
  assert.equal(again.findings[0]?.since, report.findings[0]?.since);
});

test("a node pool scaled by hand is one ARM finding", async () => {
  await drift({
    type: "scalePool",
    resourceGroup: rg("francecentral"),
    cluster: aks("francecentral"),
    pool: "besu",
    count: 2,
  });
  const report = await check();
  assert.ok(
    described(report).includes("arm francecentral aks-drifte2e-francecentral nodePools[besu].count"),
    JSON.stringify(report.findings),
  );
  await drift({
    type: "scalePool",
    resourceGroup: rg("francecentral"),
    cluster: aks("francecentral"),
    pool: "besu",
    count: 1,
  });
});

test("a stopped validator whose killed pod does not come back is one Besu finding for that node", async () => {
  const pod = {
    cluster: aks("swedencentral"),
    resourceGroup: rg("swedencentral"),
    namespace: NAMESPACE,
    pod: "besu-validator-1-0",
  };
  await besu({ type: "stopNode", ...pod });
  await drift({
    type: "killPod",
    resourceGroup: pod.resourceGroup,
    cluster: pod.cluster,
    namespace: NAMESPACE,
    pod: pod.pod,
  });
  const report = await check();
  const besuFindings = report.findings.filter((finding) => finding.kind === "besu");
  assert.deepEqual([...new Set(besuFindings.map((finding) => finding.resource))], ["swedencentral/validator-1"]);
  await besu({ type: "startNode", ...pod });
});

test("an unreachable cluster API makes the network Unknown, not InSync", async () => {
  // The edited ConfigMap is put back first, so that nothing else is drift.
  await rollOut();
  await untilInSync();
  await stack.control("PUT", "faults", {
    transient: [{ target: "kube", region: "northeurope", kind: "5xx", status: 503, rate: 1 }],
  });
  try {
    const report = await check();
    assert.equal(report.state, "Unknown", JSON.stringify(report.findings));
    assert.ok(report.unknown.some((entry) => entry.kind === "kubernetes" && entry.region === "northeurope"));
    assert.ok(
      report.unknown.every((entry) => entry.region === "northeurope"),
      JSON.stringify(report.unknown),
    );
  } finally {
    await stack.control("DELETE", "faults");
  }
  await untilInSync();
});

test("a partitioned region is drift of its validator only", async () => {
  await besu({ type: "partitionRegion", region: "francecentral" });
  try {
    const report = await check();
    assert.equal(report.state, "Drifted");
    assert.deepEqual(
      [...new Set(report.findings.map((finding) => `${finding.kind} ${finding.resource}`))],
      ["besu francecentral/validator-1"],
      JSON.stringify(report.findings),
    );
  } finally {
    await besu({ type: "healRegion", region: "francecentral" });
  }
  await untilInSync();
});

test("safe healing restores an edited ConfigMap and a deleted StatefulSet; the next check is InSync", async () => {
  await rollOut({ remediate: "safe" });
  await untilInSync();
  await drift({
    type: "editObject",
    resourceGroup: rg("northeurope"),
    cluster: aks("northeurope"),
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: NAMESPACE,
    name: "besu-genesis",
    mergePatch: { data: { "genesis.json": "{}" } },
  });
  await drift({
    type: "deleteObject",
    resourceGroup: rg("uksouth"),
    cluster: aks("uksouth"),
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    namespace: NAMESPACE,
    name: "besu-validator-1",
  });
  const report = await check();
  assert.equal(report.state, "Drifted");
  const kubernetes = report.findings.filter((finding) => finding.kind === "kubernetes");
  assert.deepEqual(kubernetes.map((finding) => `${finding.region} ${finding.resource} ${finding.field}`).sort(), [
    "northeurope ConfigMap/besu-genesis .data.genesis.json",
    "uksouth StatefulSet/besu-validator-1 (object)",
  ]);
  assert.ok(report.actions.length > 0 && report.actions.every((action) => action.ok), JSON.stringify(report.actions));
  assert.ok(
    report.actions.some(
      (action) => action.action.startsWith("restart wave") && action.resource === "uksouth/validator-1",
    ),
    "the deleted validator StatefulSet is restored in a wave of its own",
  );
  await untilInSync();
});

test("ignore rules report a finding as ignored and leave the network InSync", async () => {
  await rollOut({ ignore: [{ kind: "kubernetes", resource: "ConfigMap/besu-static-nodes", reason: "test" }] });
  await drift({
    type: "editObject",
    resourceGroup: rg("uksouth"),
    cluster: aks("uksouth"),
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: NAMESPACE,
    name: "besu-static-nodes",
    mergePatch: { data: { "static-nodes.json": "[]" } },
  });
  const report = await untilInSync();
  assert.deepEqual(
    report.ignored.map((finding) => `${finding.region} ${finding.resource}`),
    ["uksouth ConfigMap/besu-static-nodes"],
  );
});

test("a deleted cluster is one ARM finding; the webhook heard each change of state", async () => {
  await drift({ type: "deleteCluster", resourceGroup: rg("swedencentral"), cluster: aks("swedencentral") });
  const report = await check();
  assert.deepEqual(
    report.findings
      .filter((finding) => finding.region === "swedencentral")
      .map((finding) => `${finding.kind} ${finding.field}`),
    ["arm (cluster)"],
  );
  assert.deepEqual(described(report), ["arm swedencentral aks-drifte2e-swedencentral (cluster)"]);
  assert.ok(
    alerts.some((alert) => alert.previousState === "InSync" && alert.state === "Drifted"),
    JSON.stringify(alerts),
  );
  assert.ok(
    alerts.some((alert) => alert.state === "InSync"),
    JSON.stringify(alerts),
  );
  assert.ok(webhookCalls > alerts.length, "the refused delivery was retried");
});
