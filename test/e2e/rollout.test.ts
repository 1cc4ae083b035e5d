/**
 * Rollouts end to end on the full local stack: Azurite, the simulated cloud (ARM, AKS, each
 * cluster's Kubernetes API, Besu nodes) in this process, and the real Functions app in a host
 * child process, driven only through the public HTTP API and the simulator's control API.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { z } from "zod";
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import type { RunningCloud } from "@besu-fleet/local-cloud";
import { startAzurite, type RunningAzurite } from "@besu-fleet/local-support";
import { rolloutStatusSchema, type RolloutStatus } from "../../lib/domain/rollout-status.js";
import type { HostProcess } from "@besu-fleet/local-host";
import { request, waitFor, type JsonResponse } from "@besu-fleet/local-support";
import { appHostKeys, startAppHost as startSharedAppHost } from "../support/app-host.js";
import { CREDENTIAL_MARKERS, vaultPrivateKeys } from "./secrets.js";
import { smallSpec, startE2eCloud, type SpecBody } from "./stack.js";

/** Rollouts on the simulated cloud take seconds; a stuck one must fail the test, not hang it. */
const ROLLOUT_TIMEOUT_MS = 120_000;

let azurite: RunningAzurite;
let cloud: RunningCloud;
let host: HostProcess;
let workDir: string;
let functionKey: string;
/** The simulated cloud's log lines (it never logs secrets), for failure messages. */
const cloudLog: string[] = [];

const cloudDir = (): string => path.join(workDir, "cloud");

const startAppHost = (): Promise<HostProcess> => startSharedAppHost(workDir, azurite);

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-e2e-"));
  azurite = await startAzurite();
  cloud = await startE2eCloud(workDir, { mainnet: false, log: (line) => cloudLog.push(line) });
  host = await startAppHost();
  functionKey = appHostKeys(workDir).functionKeys.default;
});

after(async () => {
  await host?.kill();
  await cloud?.close();
  await azurite?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// The HTTP API and the simulator's control API.

function api(method: "GET" | "POST", route: string, body?: unknown): Promise<JsonResponse> {
  return request(`${host.baseUrl}/api/${route}`, {
    method,
    headers: { "x-functions-key": functionKey, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function control(method: "GET" | "PUT" | "DELETE", route: string, body?: unknown): Promise<JsonResponse> {
  return request(`${cloud.connection.controlUrl}/${route}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const simClusterSchema = z.object({ name: z.string(), resourceGroup: z.string(), region: z.string() }).loose();
type SimCluster = z.infer<typeof simClusterSchema>;
const simStateSchema = z.object({ clusters: z.array(simClusterSchema) }).loose();

/** The simulated cloud's clusters of one network (resource names derive from the network). */
async function clustersOf(network: string): Promise<SimCluster[]> {
  const state = await control("GET", "state");
  assert.equal(state.status, 200, state.text);
  return simStateSchema
    .parse(state.body)
    .clusters.filter((cluster) => cluster.resourceGroup.startsWith(`rg-${network}-`));
}

/**
 * Regions of each scenario. The simulated subscription has 10 vCPUs of quota per region and a
 * cluster of the small spec takes 4, so no region hosts more than two scenarios' clusters.
 */
const REGIONS = {
  succeeds: ["northeurope", "uksouth", "francecentral", "swedencentral"],
  concurrent: ["ukwest", "germanywestcentral", "switzerlandnorth", "italynorth"],
  cancel: ["norwayeast", "polandcentral", "spaincentral", "belgiumcentral"],
  quota: ["australiaeast", "australiasoutheast", "eastasia", "southeastasia", "centralindia", "southindia"],
  transient: ["westindia", "japaneast", "japanwest", "koreacentral"],
  crash: ["koreasouth", "canadacentral", "northeurope", "uksouth"],
} as const;

const sorted = (names: readonly string[]): string[] => [...names].sort();

const startedSchema = z.object({ rolloutId: z.string(), statusUrl: z.string() });

async function startRollout(spec: SpecBody): Promise<string> {
  const started = await api("POST", "rollouts", spec);
  assert.equal(started.status, 202, started.text);
  return startedSchema.parse(started.body).rolloutId;
}

async function rolloutStatus(rolloutId: string): Promise<RolloutStatus> {
  const response = await api("GET", `rollouts/${rolloutId}`);
  assert.equal(response.status, 200, response.text);
  return rolloutStatusSchema.parse(response.body);
}

async function waitForEnd(rolloutId: string): Promise<RolloutStatus> {
  return waitFor(
    `${rolloutId} to finish`,
    async () => {
      const status = await rolloutStatus(rolloutId);
      return status.state === "Running" ? undefined : status;
    },
    ROLLOUT_TIMEOUT_MS,
    500,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nhost output:\n${host.output().slice(-3000)}`);
  });
}

/** A rollout's regions for a failure message, with the cloud's complaints that may explain them. */
const regionSummary = (status: RolloutStatus): string =>
  [
    JSON.stringify(
      status.regions.map((region) => ({
        region: region.region,
        state: region.state,
        phase: region.phase,
        error: region.lastError,
      })),
    ),
    ...cloudLog.filter((line) => /fail|error/i.test(line)).slice(-10),
  ].join("\n");

// ---------------------------------------------------------------------------------------------

test("a rollout succeeds: live per-region status, verified network, listed, one cluster per region", async () => {
  const network = "e2e-ok";
  const rolloutId = await startRollout(smallSpec(network, REGIONS.succeeds));
  assert.equal(rolloutId, `rollout-${network}-1`);

  const live = await waitFor(
    "a live status showing regions at work",
    async () => {
      const status = await rolloutStatus(rolloutId);
      return status.state === "Running" && status.regions.some((region) => region.state === "Running")
        ? status
        : undefined;
    },
    30_000,
    100,
  );
  assert.deepEqual(sorted(live.regions.map((region) => region.region)), sorted(REGIONS.succeeds));

  const final = await waitForEnd(rolloutId);
  assert.equal(final.state, "Succeeded", regionSummary(final));
  assert.ok(
    final.regions.every((region) => region.state === "Succeeded"),
    regionSummary(final),
  );
  assert.equal(final.verification?.ok, true, JSON.stringify(final.verification));

  const list = await api("GET", "rollouts");
  assert.equal(list.status, 200, list.text);
  const ids = z.array(z.object({ rolloutId: z.string(), state: z.string() }).loose()).parse(list.body);
  assert.equal(ids[0]?.rolloutId, rolloutId, list.text);
  assert.equal(ids[0]?.state, "Succeeded");

  assert.deepEqual(
    sorted((await clustersOf(network)).map((cluster) => cluster.region)),
    sorted(REGIONS.succeeds),
    "one cluster per region",
  );
});

test("malformed specs: 400 listing every problem by path, and nothing started", async () => {
  const network = "e2e-bad";
  const before = await api("GET", "rollouts");
  const good = smallSpec(network, REGIONS.succeeds);
  const spec = {
    ...good,
    network: { ...good.network, chainId: "one-three-eight" },
    regions: [
      ...good.regions,
      { name: "westeurope", validators: 1, sentries: 0 },
      { name: "atlantis", validators: 1, sentries: 0 },
    ],
  };
  const response = await api("POST", "rollouts", spec);
  assert.equal(response.status, 400, response.text);
  const problems = z
    .object({ error: z.literal("InvalidSpec"), problems: z.array(z.object({ path: z.string(), message: z.string() })) })
    .parse(response.body).problems;
  const paths = problems.map((problem) => problem.path);
  assert.ok(paths.includes("network.chainId"), response.text);
  assert.ok(
    paths.some((entry) => entry.startsWith("regions[4]")),
    `westeurope rejected by path: ${response.text}`,
  );
  assert.ok(
    paths.some((entry) => entry.startsWith("regions[5]")),
    `the unknown region rejected by path: ${response.text}`,
  );
  assert.match(problems.find((problem) => problem.path.startsWith("regions[4]"))?.message ?? "", /westeurope|admin/i);

  // Nothing started: no new rollout, and (after a moment in which a started one would act) no resources.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const afterwards = await api("GET", "rollouts");
  assert.deepEqual(afterwards.body, before.body);
  assert.deepEqual(await clustersOf(network), []);
  const state = z
    .object({ resourceGroups: z.array(z.object({ name: z.string() }).loose()) })
    .loose()
    .parse((await control("GET", "state")).body);
  assert.deepEqual(
    state.resourceGroups.filter((group) => group.name.startsWith(`rg-${network}-`)),
    [],
  );
});

test("two concurrent starts for one network: one 202, one 409 naming the running rollout; the list shows it newest first", async () => {
  const network = "e2e-twice";
  const responses = await Promise.all([
    api("POST", "rollouts", smallSpec(network, REGIONS.concurrent)),
    api("POST", "rollouts", smallSpec(network, REGIONS.concurrent)),
  ]);
  const accepted = responses.filter((response) => response.status === 202);
  const refused = responses.filter((response) => response.status === 409);
  assert.equal(accepted.length, 1, responses.map((response) => `${response.status} ${response.text}`).join("\n"));
  assert.equal(refused.length, 1, responses.map((response) => `${response.status} ${response.text}`).join("\n"));
  const rolloutId = startedSchema.parse(accepted[0]?.body).rolloutId;
  const conflict = z
    .object({ error: z.literal("RolloutRunning"), runningRolloutId: z.string(), message: z.string() })
    .parse(refused[0]?.body);
  assert.equal(conflict.runningRolloutId, rolloutId);
  assert.ok(conflict.message.includes(rolloutId), conflict.message);

  const final = await waitForEnd(rolloutId);
  assert.equal(final.state, "Succeeded", regionSummary(final));
  assert.equal((await clustersOf(network)).length, 4, "one rollout's clusters, not two");

  const list = await api("GET", "rollouts");
  const listed = z.array(z.object({ rolloutId: z.string(), createdAt: z.string() }).loose()).parse(list.body);
  assert.deepEqual(
    listed.map((entry) => entry.rolloutId).slice(0, 2),
    [rolloutId, "rollout-e2e-ok-1"],
    `newest first: ${list.text}`,
  );
});

test("cancel during provisioning: no new work, final state Canceled", async () => {
  const network = "e2e-cancel";
  const rolloutId = await startRollout(smallSpec(network, REGIONS.cancel));
  const seen: string[] = [];
  await waitFor(
    "the rollout to reach provisioning",
    async () => {
      const status = await rolloutStatus(rolloutId);
      seen.push(`${status.state}/${status.phase}`);
      return status.phase === "provisioning" ? true : undefined;
    },
    30_000,
    50,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; seen ${[...new Set(seen)].join(" ")}`);
  });
  const canceled = await api("POST", `rollouts/${rolloutId}/cancel`);
  assert.equal(canceled.status, 202, canceled.text);
  const raisedAt = Date.now();
  await waitFor(
    "the status to show the cancel",
    async () => ((await rolloutStatus(rolloutId)).cancelRequested ? true : undefined),
    5_000,
    50,
  );
  const shownAfterMs = Date.now() - raisedAt;
  assert.ok(shownAfterMs < 2_000, `cancelRequested showed ${shownAfterMs} ms after the request`);
  const final = await waitForEnd(rolloutId);
  assert.equal(final.state, "Canceled", regionSummary(final));
  // Every region was in flight (the small spec runs 4 at once): each heard the cancel and stopped.
  assert.equal(final.counts.canceled, REGIONS.cancel.length, regionSummary(final));
  assert.equal(final.verification, undefined, "verification never ran");
  // Phase B never started: no Besu node runs in this network's clusters.
  const besuNodes = z
    .array(z.object({ resourceGroup: z.string() }).loose())
    .parse((await control("GET", "besu/nodes")).body);
  assert.deepEqual(
    besuNodes.filter((node) => node.resourceGroup.startsWith(`rg-${network}-`)),
    [],
  );
  const again = await api("POST", `rollouts/${rolloutId}/cancel`);
  assert.equal(again.status, 409, again.text);
});

// ---------------------------------------------------------------------------------------------
// Quota, retry, transient faults, crash: these change the cloud's fault rules, so they run one
// after the other (node:test runs a file's tests in order) and clear the rules when done.

const QUOTA_NETWORK = "e2e-quota";
/** Two of six regions, so that losing them still leaves the 4 validators QBFT needs. */
const QUOTA_REGIONS: readonly string[] = ["centralindia", "southindia"];
let partialRolloutId: string | undefined;

async function setFaults(rules: unknown): Promise<void> {
  const response = await control("PUT", "faults", rules);
  assert.ok(response.status < 300, `${response.status} ${response.text}`);
}

async function clearFaults(): Promise<void> {
  const response = await control("DELETE", "faults");
  assert.ok(response.status < 300, `${response.status} ${response.text}`);
}

test("too little vCPU quota in two regions: they fail at preflight naming region, quota and limit; the others succeed", async () => {
  // centralindia: the D-series v5 family is capped at 2 vCPUs; southindia: the regional total at 3.
  await setFaults({
    regions: { centralindia: { quota: { families: { standardDSv5Family: 2 } } }, southindia: { quota: { cores: 3 } } },
  });
  try {
    partialRolloutId = await startRollout(smallSpec(QUOTA_NETWORK, REGIONS.quota));
    const final = await waitForEnd(partialRolloutId);
    assert.equal(final.state, "PartiallySucceeded", regionSummary(final));
    for (const region of final.regions) {
      if (!QUOTA_REGIONS.includes(region.region)) {
        assert.equal(region.state, "Succeeded", regionSummary(final));
        continue;
      }
      assert.equal(region.state, "Failed", regionSummary(final));
      assert.equal(region.lastError?.step, "preflight", regionSummary(final));
      const cause = region.lastError?.cause ?? "";
      assert.ok(cause.includes(region.region), cause);
      // The quota and its limit, as the faults below set them.
      if (region.region === "centralindia") assert.match(cause, /standardDSv5Family[^]*\b2\b/, cause);
      else assert.match(cause, /\bcores\b[^]*\b3\b/, cause);
    }
    assert.deepEqual(
      sorted((await clustersOf(QUOTA_NETWORK)).map((cluster) => cluster.region)),
      sorted(REGIONS.quota.filter((region) => !QUOTA_REGIONS.includes(region))),
    );
  } finally {
    await clearFaults();
  }
});

const besuNodeSchema = z
  .object({
    resourceGroup: z.string(),
    region: z.string(),
    address: z.string(),
    validator: z.boolean(),
    genesisHash: z.string(),
    head: z.number(),
  })
  .loose();

/** The simulator's view of a network's running Besu nodes. */
async function besuNodesOf(network: string): Promise<z.infer<typeof besuNodeSchema>[]> {
  const response = await control("GET", "besu/nodes");
  assert.equal(response.status, 200, response.text.slice(0, 500));
  return z
    .array(besuNodeSchema)
    .parse(response.body)
    .filter((node) => node.resourceGroup.startsWith(`rg-${network}-`));
}

test("retry of the two regions after their quota is raised: their validators are voted into the formed network, on its genesis", async () => {
  assert.ok(partialRolloutId, "the quota scenario ran first");
  const before = await besuNodesOf(QUOTA_NETWORK);
  const genesisHashes = [...new Set(before.map((node) => node.genesisHash))];
  assert.equal(genesisHashes.length, 1, "one chain");
  assert.equal(before.filter((node) => node.validator).length, 4, "the four regions that made it are the validators");

  const unknown = await api("POST", `rollouts/${partialRolloutId}/retry`, { regions: ["westeurope"] });
  assert.equal(unknown.status, 400, "a region that is not part of the rollout is a bad request");
  const retried = await api("POST", `rollouts/${partialRolloutId}/retry`);
  assert.equal(retried.status, 202, retried.text);
  const retryId = startedSchema.parse(retried.body).rolloutId;
  assert.equal(retryId, `rollout-${QUOTA_NETWORK}-2`);
  const final = await waitForEnd(retryId);
  assert.equal(final.state, "Succeeded", regionSummary(final));
  assert.deepEqual(
    sorted(final.regions.map((region) => region.region)),
    sorted(QUOTA_REGIONS),
    "only the failed regions were retried",
  );
  assert.ok(
    final.regions.every((region) => region.attempts === 2 && region.lastError?.step === "preflight"),
    `attempts and the earlier error carry over: ${regionSummary(final)}`,
  );
  assert.ok(
    final.phases.some((phase) => phase.phase === "admitting"),
    JSON.stringify(final.phases),
  );
  assert.equal(final.verification?.ok, true, JSON.stringify(final.verification));

  const after = await besuNodesOf(QUOTA_NETWORK);
  assert.deepEqual(
    [...new Set(after.map((node) => node.genesisHash))],
    genesisHashes,
    "the retried regions joined the same chain: no new genesis",
  );
  const validatorRegions = after.filter((node) => node.validator).map((node) => node.region);
  assert.deepEqual(sorted(validatorRegions), sorted(REGIONS.quota), "all six regions' validators are in the set");
  for (const node of before) {
    const now = after.find((candidate) => candidate.address === node.address);
    assert.ok(now && now.head > node.head, `${node.region}'s node kept producing blocks`);
  }
  assert.deepEqual(
    sorted((await clustersOf(QUOTA_NETWORK)).map((cluster) => cluster.region)),
    sorted(REGIONS.quota),
    "one cluster per region",
  );

  const nothingLeft = await api("POST", `rollouts/${retryId}/retry`);
  assert.equal(nothingLeft.status, 400, `nothing to retry: ${nothingLeft.text}`);
});

const operationLogSchema = z.object({
  entries: z.array(
    z
      .object({
        seq: z.number(),
        target: z.string(),
        status: z.union([z.number(), z.string()]).optional(),
        fault: z.unknown().optional(),
      })
      .loose(),
  ),
});

async function operationLog(since: number): Promise<z.infer<typeof operationLogSchema>["entries"]> {
  const response = await control("GET", `operations?since=${since}`);
  assert.equal(response.status, 200, `${response.status} ${response.text.slice(0, 500)}`);
  return operationLogSchema.parse(response.body).entries;
}

test("transient ARM faults (503s) and a 429 storm on ARM and Kubernetes: the rollout still succeeds", async () => {
  const network = "e2e-flaky";
  const since = Math.max(0, ...(await operationLog(0)).map((entry) => entry.seq));
  await setFaults({
    transient: [
      { target: "arm", kind: "429", rate: 1, count: 12 },
      { target: "arm", kind: "5xx", status: 503, rate: 0.2 },
      { target: "kube", kind: "429", rate: 1, count: 8 },
    ],
  });
  try {
    const rolloutId = await startRollout(smallSpec(network, REGIONS.transient));
    const final = await waitForEnd(rolloutId);
    assert.equal(final.state, "Succeeded", regionSummary(final));
    assert.equal(final.verification?.ok, true, JSON.stringify(final.verification));
  } finally {
    await clearFaults();
  }
  const faulted = (await operationLog(since)).filter((entry) => entry.fault !== undefined && entry.fault !== null);
  const statuses = faulted.map((entry) => `${entry.target}:${String(entry.status)}`);
  assert.ok(
    statuses.filter((entry) => entry === "arm:429").length >= 12,
    `the ARM 429 storm happened: ${statuses.join(" ")}`,
  );
  assert.ok(
    statuses.some((entry) => entry === "arm:503"),
    `503s were injected: ${statuses.join(" ")}`,
  );
  assert.ok(
    statuses.filter((entry) => entry === "kube:429").length >= 8,
    `the Kubernetes 429 storm happened: ${statuses.join(" ")}`,
  );
  assert.equal((await clustersOf(network)).length, 4);
});

const secretListSchema = z
  .object({
    items: z.array(
      z
        .object({
          metadata: z
            .object({
              name: z.string(),
              namespace: z.string().optional(),
              uid: z.string(),
              resourceVersion: z.string(),
            })
            .loose(),
          data: z.record(z.string(), z.string()).optional(),
        })
        .loose(),
    ),
  })
  .loose();

/** Node key Secrets (those holding a `nodekey` entry) of one cluster, as the API server stores them. */
async function nodeKeySecrets(
  cluster: SimCluster,
): Promise<{ cluster: string; name: string; uid: string; resourceVersion: string; nodekey: string }[]> {
  const response = await control("GET", `clusters/${cluster.resourceGroup}/${cluster.name}/objects/secrets`);
  if (response.status === 404) return [];
  assert.equal(response.status, 200, response.text.slice(0, 500));
  return secretListSchema.parse(response.body).items.flatMap((secret) => {
    const nodekey = secret.data?.nodekey;
    return nodekey === undefined
      ? []
      : [
          {
            cluster: cluster.name,
            name: secret.metadata.name,
            uid: secret.metadata.uid,
            resourceVersion: secret.metadata.resourceVersion,
            nodekey,
          },
        ];
  });
}

async function nodeKeySecretsOf(network: string): Promise<Awaited<ReturnType<typeof nodeKeySecrets>>> {
  return (await Promise.all((await clustersOf(network)).map(nodeKeySecrets))).flat();
}

test("SIGKILL of the host during provisioning, restart: the rollout completes, no duplicate cluster, no regenerated key", async () => {
  const network = "e2e-crash";
  const rolloutId = await startRollout(smallSpec(network, REGIONS.crash));
  // Kill as soon as the first node keys exist and the rollout is still provisioning.
  const keysBeforeKill = await waitFor(
    "the first node keys during provisioning",
    async () => {
      const secrets = await nodeKeySecretsOf(network);
      return secrets.length > 0 ? secrets : undefined;
    },
    60_000,
    50,
  );
  const statusAtKill = await rolloutStatus(rolloutId);
  await host.kill("SIGKILL");
  assert.equal(statusAtKill.state, "Running");
  assert.equal(statusAtKill.phase, "provisioning", "killed during provisioning");

  host = await startAppHost();
  const final = await waitForEnd(rolloutId);
  assert.equal(final.state, "Succeeded", regionSummary(final));
  assert.equal(final.verification?.ok, true, JSON.stringify(final.verification));

  const clusters = await clustersOf(network);
  assert.deepEqual(
    sorted(clusters.map((cluster) => cluster.region)),
    sorted(REGIONS.crash),
    "exactly one cluster per region",
  );
  const keysAfter = await nodeKeySecretsOf(network);
  assert.equal(keysAfter.length, 5, "one key per node: 4 validators and 1 sentry");
  for (const key of keysBeforeKill) {
    const now = keysAfter.find((candidate) => candidate.cluster === key.cluster && candidate.name === key.name);
    assert.ok(now, `${key.cluster}/${key.name} still exists`);
    // Compared without printing: these hold private keys.
    assert.ok(
      now.uid === key.uid && now.resourceVersion === key.resourceVersion && now.nodekey === key.nodekey,
      `${key.cluster}/${key.name} was not recreated or rewritten`,
    );
  }
});

// ---------------------------------------------------------------------------------------------

/** Every table row and every blob of the storage account (task hub and application state), as text. */
async function storageDocuments(): Promise<{ where: string; text: string }[]> {
  const connectionString = azurite.connectionString;
  const documents: { where: string; text: string }[] = [];
  const tableOptions = { allowInsecureConnection: true };
  for await (const table of TableServiceClient.fromConnectionString(connectionString, tableOptions).listTables()) {
    const name = table.name ?? "";
    const client = TableClient.fromConnectionString(connectionString, name, tableOptions);
    for await (const entity of client.listEntities())
      documents.push({ where: `table ${name} ${entity.partitionKey}/${entity.rowKey}`, text: JSON.stringify(entity) });
  }
  const blobs = BlobServiceClient.fromConnectionString(connectionString);
  for await (const container of blobs.listContainers()) {
    const client = blobs.getContainerClient(container.name);
    for await (const blob of client.listBlobsFlat()) {
      documents.push({
        where: `blob ${container.name}/${blob.name}`,
        text: (await client.getBlobClient(blob.name).downloadToBuffer()).toString("utf8"),
      });
    }
  }
  return documents;
}

test("the task hub and state storage hold no node private key, deployer key, kubeconfig or token after the rollouts", async () => {
  // What to look for: every node key the simulated clusters hold (read, never printed).
  const clusters = simStateSchema.parse((await control("GET", "state")).body).clusters;
  const secrets = (await Promise.all(clusters.map(nodeKeySecrets))).flat();
  assert.ok(secrets.length >= 15, `node keys of the earlier scenarios' clusters: ${secrets.length}`);
  const privateKeys = secrets.map((secret) => {
    const hex = Buffer.from(secret.nodekey, "base64").toString("utf8").trim().replace(/^0x/i, "").toLowerCase();
    assert.match(hex, /^[0-9a-f]{64}$/, `${secret.cluster}/${secret.name} holds a 32-byte hex key`);
    return { owner: `${secret.cluster}/${secret.name}`, hex, base64: secret.nodekey };
  });
  const vaultKeys = vaultPrivateKeys(cloudDir());
  assert.ok(
    vaultKeys.some((key) => key.owner === "Key Vault key deployer"),
    "the deployer's key is in the vault",
  );
  privateKeys.push(...vaultKeys);

  const documents = await storageDocuments();
  const everything = documents
    .map((document) => document.text)
    .join("\n")
    .toLowerCase();
  // The scan reaches where identities are recorded: the public keys of the nodes are there.
  const besuNodes = await control("GET", "besu/nodes");
  const enodeIds = [...besuNodes.text.matchAll(/enode:\/\/([0-9a-f]{128})@/g)].map((match) => match[1] as string);
  assert.ok(enodeIds.length >= 15, `running Besu nodes: ${enodeIds.length}`);
  assert.ok(
    enodeIds.every((id) => everything.includes(id)),
    "every node's public key is recorded somewhere in storage (the scan sees the orchestrations' data)",
  );
  assert.ok(everything.includes("rollout-e2e-ok-1"));

  const findings: string[] = [];
  for (const document of documents) {
    const lower = document.text.toLowerCase();
    for (const key of privateKeys) {
      if (lower.includes(key.hex) || document.text.includes(key.base64))
        findings.push(`${document.where}: the private key of ${key.owner}`);
    }
    for (const marker of CREDENTIAL_MARKERS)
      if (marker.pattern.test(document.text)) findings.push(`${document.where}: ${marker.name}`);
  }
  assert.deepEqual(findings, [], `secrets found in storage (${documents.length} rows and blobs scanned)`);
});
