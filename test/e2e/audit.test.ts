/**
 * The audit trail of a rollout end to end, in entra mode on the full local stack: a small rollout
 * with one contract on Chain 138, started by a named operator. Its audit (GET /api/audit by
 * rollout, and the report) holds the ARM writes, the Kubernetes writes and the transactions it
 * made, each with the operator who asked; and the audit blobs hold no key, signed transaction or
 * credential.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { z } from "zod";
import { BlobServiceClient } from "@azure/storage-blob";
import type { RunningCloud } from "@besu-fleet/local-cloud";
import type { HostProcess } from "@besu-fleet/local-host";
import { request, startAzurite, waitFor, type JsonResponse, type RunningAzurite } from "@besu-fleet/local-support";
import { simulatedChainSettings } from "../../cli/chain-settings.js";
import { API_ROLES } from "../../functions/authorization.js";
import { STATE_CONTAINER } from "../../lib/config.js";
import { rolloutStatusSchema } from "../../lib/domain/rollout-status.js";
import { auditEntrySchema } from "../../lib/state/audit.js";
import { startAppHost } from "../support/app-host.js";
import { signedInHeaders } from "../support/principal.js";
import { CREDENTIAL_MARKERS, vaultPrivateKeys } from "./secrets.js";
import { smallSpec, startE2eCloud } from "./stack.js";

const ROLLOUT_TIMEOUT_MS = 180_000;
const REGIONS = ["northeurope", "uksouth"];
const NETWORK = "e2e-audit";
const OPERATOR = "ops@contoso.example";

let workDir: string;
let azurite: RunningAzurite;
let cloud: RunningCloud;
let host: HostProcess;

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-audit-"));
  azurite = await startAzurite();
  cloud = await startE2eCloud(workDir);
  host = await startAppHost(workDir, azurite, {
    BESU_FLEET_API_AUTH: "entra",
    BESU_FLEET_DEPLOYER_KEY_ID: cloud.connection.keyVault.deployerKeyId,
    BESU_FLEET_KEY_VAULT_SIMULATOR: "true",
    ...simulatedChainSettings(cloud.connection),
  });
});

after(async () => {
  await host?.kill();
  await cloud?.close();
  await azurite?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

/** A request to the API as `name` with `roles`, as App Service Authentication passes it on. */
function api(method: "GET" | "POST", route: string, role: string, body?: unknown): Promise<JsonResponse> {
  return request(`${host.baseUrl}/api/${route}`, {
    method,
    headers: { ...signedInHeaders(OPERATOR, [role]), "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The small spec with one contract on Chain 138 (through the CREATE2 factory), so the rollout sends transactions. */
function auditedSpec(): Record<string, unknown> {
  return {
    ...smallSpec(NETWORK, REGIONS),
    // Two validators a region: the network needs four to form (rollout.minValidators).
    regions: REGIONS.map((name, index) => ({ name, validators: 2, sentries: index === 0 ? 1 : 0 })),
    chains: {
      chain138: { chainSelector: "13813813813813813813" },
      mainnet: { chainId: 1 },
    },
    contracts: {
      chain138: [
        {
          name: "receiver",
          artifact: { package: "@chainlink/contracts-ccip", contract: "latest/log_message_data_receiver" },
          salt: "audit-receiver-v1",
        },
      ],
    },
  };
}

const auditListSchema = z.array(auditEntrySchema);

/** Every blob's text under a prefix of the state container. */
async function blobTexts(prefix: string): Promise<{ name: string; text: string }[]> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    STATE_CONTAINER,
  );
  const texts: { name: string; text: string }[] = [];
  for await (const blob of container.listBlobsFlat({ prefix }))
    texts.push({ name: blob.name, text: (await container.getBlobClient(blob.name).downloadToBuffer()).toString() });
  return texts;
}

test("a rollout's audit holds its ARM, Kubernetes and chain changes with the operator who started it, and no secret", async () => {
  const started = await api("POST", "rollouts", API_ROLES.operator, auditedSpec());
  assert.equal(started.status, 202, started.text);
  const { rolloutId } = z.object({ rolloutId: z.string() }).parse(started.body);
  const final = await waitFor(
    `${rolloutId} to finish`,
    async () => {
      const status = rolloutStatusSchema.parse((await api("GET", `rollouts/${rolloutId}`, API_ROLES.reader)).body);
      return status.state === "Running" ? undefined : status;
    },
    ROLLOUT_TIMEOUT_MS,
    500,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nhost output:\n${host.output().slice(-4000)}`);
  });
  assert.equal(final.state, "Succeeded", JSON.stringify(final.regions.map((region) => region.lastError)));

  const response = await api("GET", `audit?target=${rolloutId}&top=1000`, API_ROLES.reader);
  assert.equal(response.status, 200, response.text);
  const entries = auditListSchema.parse(response.body);
  assert.ok(entries.length < 1000, "the whole rollout's audit fits the page");
  assert.deepEqual([...new Set(entries.map((entry) => entry.who))], [OPERATOR], "every entry names who asked");
  const of = (system: string) => entries.filter((entry) => entry.system === system);

  assert.deepEqual(
    of("api").map((entry) => [entry.action, entry.status]),
    [["POST /api/rollouts", 202]],
  );
  for (const region of REGIONS) {
    const clusterWrites = of("azure").filter(
      (entry) =>
        entry.action === "PUT" &&
        entry.subject?.includes(`rg-${NETWORK}-${region}`) &&
        entry.subject.includes("/managedClusters/"),
    );
    assert.ok(clusterWrites.length >= 1, `the cluster create in ${region}: ${JSON.stringify(of("azure"))}`);
    assert.ok(clusterWrites.every((entry) => entry.outcome === "accepted" && (entry.status ?? 0) < 300));
    const applies = of("kubernetes").filter(
      (entry) => entry.action === "PATCH" && entry.details?.cluster?.startsWith(`rg-${NETWORK}-${region}`),
    );
    assert.ok(
      applies.some((entry) => /\/statefulsets\//.test(entry.subject ?? "")),
      `the Besu StatefulSets applied in ${region}`,
    );
    assert.ok(applies.some((entry) => /\/networkpolicies\//.test(entry.subject ?? "")));
  }
  const votes = of("kubernetes").filter((entry) => entry.details?.rpcMethod !== undefined);
  assert.ok(
    votes.every((entry) => entry.details?.rpcMethod === "qbft_proposeValidatorVote"),
    `only votes change nodes through the proxy: ${JSON.stringify(votes.map((vote) => vote.details))}`,
  );

  const transactions = of("chain");
  const deployer = cloud.connection.keyVault.deployerAddress.toLowerCase();
  const deployerTransactions = transactions.filter(
    (entry) => entry.action === "eth_sendRawTransaction" && entry.details?.sender?.toLowerCase() === deployer,
  );
  assert.ok(deployerTransactions.length >= 1, `the deployer's transactions: ${JSON.stringify(transactions)}`);
  const outcomes: Record<string, string[]> = {
    eth_sendRawTransaction: ["sent", "already known"],
    "transaction mined": ["success"],
  };
  for (const transaction of transactions) {
    assert.ok(
      outcomes[transaction.action]?.includes(transaction.outcome),
      `${transaction.action}: ${transaction.outcome}`,
    );
    assert.match(transaction.subject ?? "", /^0x[0-9a-f]{64}$/, "the transaction's hash");
    assert.match(transaction.details?.nonce ?? "", /^\d+$/);
    assert.ok((transaction.details?.intent ?? "") !== "", "what it is for");
  }
  // Each of the deployer's (journaled) transactions has its result too, with its block.
  const mined = new Map(
    transactions.filter((entry) => entry.action === "transaction mined").map((entry) => [entry.subject, entry]),
  );
  for (const sent of deployerTransactions)
    assert.match(mined.get(sent.subject)?.details?.block ?? "", /^\d+$/, `the result of ${sent.details?.intent}`);
  assert.ok(deployerTransactions.some((entry) => /receiver/.test(entry.details?.intent ?? "")));

  const chainOnly = auditListSchema.parse(
    (await api("GET", `audit?target=${rolloutId}&system=chain&top=1000`, API_ROLES.reader)).body,
  );
  assert.deepEqual(
    chainOnly.map((entry) => entry.subject),
    transactions.map((entry) => entry.subject),
  );

  const [report] = await blobTexts(`rollouts/${rolloutId}/report.json`);
  const listed = z
    .object({ audit: z.object({ complete: z.boolean(), entries: auditListSchema }) })
    .parse(JSON.parse(report?.text ?? "{}")).audit;
  assert.equal(listed.complete, true);
  assert.deepEqual(
    new Set(listed.entries.map((entry) => `${entry.system} ${entry.action} ${entry.subject ?? ""}`)),
    new Set(entries.map((entry) => `${entry.system} ${entry.action} ${entry.subject ?? ""}`)),
    "the report lists the rollout's audit",
  );

  // No secret in the audit: the deployer's and every node's private key, the signed transactions, credentials.
  const audit = (await blobTexts("audit/")).map((blob) => blob.text).join("\n");
  const journals = (await blobTexts(`journal/${NETWORK}/`)).map((blob) => blob.text).join("\n");
  const signed = [...journals.matchAll(/"raw"\s*:\s*"(0x[0-9a-f]+)"/gi)].map((match) => match[1] as string);
  assert.ok(signed.length >= deployerTransactions.length, "the journal's signed transactions, to look for");
  const nodeKeys = await nodePrivateKeys();
  assert.ok(nodeKeys.length >= REGIONS.length, `node keys to look for: ${nodeKeys.length}`);
  const findings = [
    ...vaultPrivateKeys(path.join(workDir, "cloud"))
      .filter((key) => audit.toLowerCase().includes(key.hex.toLowerCase()) || audit.includes(key.base64))
      .map((key) => `the private key of ${key.owner}`),
    ...nodeKeys.filter((key) => audit.toLowerCase().includes(key)).map(() => "a node's private key"),
    ...signed.filter((raw) => audit.toLowerCase().includes(raw.toLowerCase())).map(() => "a signed transaction"),
    ...CREDENTIAL_MARKERS.filter((marker) => marker.pattern.test(audit)).map((marker) => marker.name),
  ];
  assert.deepEqual(findings, []);
});

const secretsSchema = z.object({
  items: z.array(z.object({ data: z.record(z.string(), z.string()).optional() }).loose()),
});

/** The nodes' private keys (hex, lower case) as the simulated clusters hold them in their Secrets. */
async function nodePrivateKeys(): Promise<string[]> {
  const state = z
    .object({ clusters: z.array(z.object({ name: z.string(), resourceGroup: z.string() }).loose()) })
    .loose()
    .parse((await request(`${cloud.connection.controlUrl}/state`)).body);
  const keys: string[] = [];
  for (const cluster of state.clusters.filter((each) => each.resourceGroup.startsWith(`rg-${NETWORK}-`))) {
    const secrets = await request(
      `${cloud.connection.controlUrl}/clusters/${cluster.resourceGroup}/${cluster.name}/objects/secrets`,
    );
    for (const secret of secretsSchema.parse(secrets.body).items) {
      const nodekey = secret.data?.nodekey;
      if (nodekey !== undefined)
        keys.push(Buffer.from(nodekey, "base64").toString("utf8").trim().replace(/^0x/i, "").toLowerCase());
    }
  }
  return keys;
}
