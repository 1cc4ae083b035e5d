/**
 * The CCIP example end to end on the local stack, on four small regions to spare the CPU: the
 * network, then its contracts on Chain 138 and the mainnet stand-in, the lane's ensure-steps and
 * the funding, signed by the simulated Key Vault's deployer key. Checked on the chains themselves
 * (code hashes, the steps' view calls, balances), then a second rollout of the same spec must
 * send no transaction at all (the deployer's nonces do not move). Last, a drift check sees code
 * replaced on the mainnet stand-in and the CCIP ensure-step it broke.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { keccak256 } from "ethers";
import YAML from "yaml";
import { z } from "zod";
import type { RunningCloud } from "@besu-fleet/local-cloud";
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import type { HostProcess } from "@besu-fleet/local-host";
import { request, startAzurite, waitFor, type JsonResponse, type RunningAzurite } from "@besu-fleet/local-support";
import { simulatedChainSettings } from "../../cli/chain-settings.js";
import { driftReportSchema, type DriftReport } from "../../lib/domain/drift/report.js";
import { rolloutStatusSchema, type RolloutStatus } from "../../lib/domain/rollout-status.js";
import { JournalStore } from "../../lib/evm/journal-store.js";
import { deployerSigner } from "../../lib/evm/key-vault-signer.js";
import { EvmRpc } from "../../lib/evm/rpc.js";
import { ExactlyOnceSender } from "../../lib/evm/sender.js";
import { readAudit } from "../../lib/state/audit.js";
import { DocumentStore } from "../../lib/state/documents.js";
import { appHostKeys, startAppHost as startSharedAppHost } from "../support/app-host.js";
import { REPO_ROOT } from "../support/paths.js";
import { startE2eCloud } from "./stack.js";

const ROLLOUT_TIMEOUT_MS = 240_000;
const BLOCK_PERIOD_SECONDS = 5;
const REGIONS = ["northeurope", "uksouth", "francecentral", "swedencentral"];

let azurite: RunningAzurite;
let cloud: RunningCloud;
let host: HostProcess;
let workDir: string;
let functionKey: string;
let settings: Record<string, string>;

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-ccip-"));
  azurite = await startAzurite();
  cloud = await startE2eCloud(workDir);
  settings = simulatedChainSettings(cloud.connection);
  host = await startAppHost();
  functionKey = appHostKeys(workDir).functionKeys.default;
});

after(async () => {
  await host?.kill();
  await cloud?.close();
  await azurite?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

function api(method: "GET" | "POST", route: string, body?: unknown): Promise<JsonResponse> {
  return request(`${host.baseUrl}/api/${route}`, {
    method,
    headers: { "x-functions-key": functionKey, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function rpc(chain: "chain138" | "mainnet", method: string, params: unknown[]): Promise<unknown> {
  const url = chain === "chain138" ? settings.BESU_FLEET_CHAIN138_RPC_URL : settings.BESU_FLEET_MAINNET_RPC_URL;
  const response = await request(url ?? "", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return z.object({ result: z.unknown() }).parse(response.body).result;
}

const nonceOf = async (chain: "chain138" | "mainnet"): Promise<number> =>
  Number(
    BigInt(String(await rpc(chain, "eth_getTransactionCount", [cloud.connection.keyVault.deployerAddress, "latest"]))),
  );

/** The CCIP example on four small regions with fast blocks and polls. */
function ccipSpec(): Record<string, unknown> {
  const example = z
    .object({ network: z.object({ qbft: z.record(z.string(), z.unknown()) }).loose() })
    .loose()
    .parse(YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "examples", "chain138-ccip.yaml"), "utf8")));
  return {
    ...example,
    network: {
      ...example.network,
      name: "ccipnet",
      qbft: { ...example.network.qbft, blockperiodseconds: BLOCK_PERIOD_SECONDS, requesttimeoutseconds: 10 },
    },
    regions: REGIONS.map((name, index) => ({ name, validators: 1, sentries: index === 0 ? 1 : 0 })),
    cluster: {
      nodePools: [
        { name: "system", mode: "System", vmSize: "Standard_D2s_v5", count: 1 },
        { name: "besu", mode: "User", vmSize: "Standard_D2s_v5", count: 1 },
      ],
    },
    rollout: {
      maxParallelRegions: 4,
      pollIntervalSeconds: 1,
      retry: { maxAttempts: 6, firstRetryIntervalSeconds: 1, backoffCoefficient: 1.5, maxRetryIntervalSeconds: 2 },
    },
  };
}

async function startRollout(): Promise<string> {
  const started = await api("POST", "rollouts", ccipSpec());
  assert.equal(started.status, 202, started.text);
  return z.object({ rolloutId: z.string() }).parse(started.body).rolloutId;
}

async function statusOf(rolloutId: string): Promise<RolloutStatus> {
  return rolloutStatusSchema.parse((await api("GET", `rollouts/${rolloutId}`)).body);
}

async function waitForEnd(rolloutId: string): Promise<RolloutStatus> {
  return waitFor(
    `${rolloutId} to finish`,
    async () => {
      const status = await statusOf(rolloutId);
      return status.state === "Running" ? undefined : status;
    },
    ROLLOUT_TIMEOUT_MS,
    500,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nhost output:\n${host.output().slice(-4000)}`);
  });
}

const startAppHost = (): Promise<HostProcess> =>
  startSharedAppHost(workDir, azurite, {
    BESU_FLEET_DEPLOYER_KEY_ID: cloud.connection.keyVault.deployerKeyId,
    BESU_FLEET_KEY_VAULT_SIMULATOR: "true",
    ...settings,
  });

const PHASES = [
  "preflight",
  "provisioning",
  "genesis",
  "deploying",
  "admitting",
  "verifying",
  "contracts",
  "ccip",
  "funding",
  "report",
];

/**
 * Waits until the rollout is in `phase` (or past it, which the caller then sees) and, for up to a
 * few seconds, until a journaled transaction of that phase is on its way (signed or broadcast, not
 * mined): the moment a crash is most dangerous. Then SIGKILLs and restarts the host.
 */
async function killDuring(rolloutId: string, phase: string): Promise<string> {
  const reached = await waitFor(
    `${rolloutId} to reach ${phase}`,
    async () => {
      const status = await statusOf(rolloutId);
      return PHASES.indexOf(status.phase) >= PHASES.indexOf(phase) || status.state !== "Running" ? status : undefined;
    },
    ROLLOUT_TIMEOUT_MS,
    20,
  );
  await waitFor(
    `a transaction on its way during ${phase}`,
    async () => ((await journal()).some((entry) => entry.state !== "mined") ? true : undefined),
    5_000,
    10,
  ).catch(() => undefined);
  await host.kill("SIGKILL");
  host = await startAppHost();
  return reached.state === "Running" ? reached.phase : reached.state;
}

const journalEntrySchema = z
  .object({
    chainId: z.number(),
    sender: z.string(),
    nonce: z.number(),
    state: z.string(),
    mined: z.object({ hash: z.string() }).loose().optional(),
  })
  .loose();

/** Every journal entry of the network, from the state container. */
async function journal(): Promise<z.infer<typeof journalEntrySchema>[]> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    "besu-fleet-state",
  );
  const entries: z.infer<typeof journalEntrySchema>[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: "journal/ccipnet/" }))
    entries.push(
      journalEntrySchema.parse(
        JSON.parse((await container.getBlockBlobClient(blob.name).downloadToBuffer()).toString("utf8")),
      ),
    );
  return entries;
}

/** Every blob and table entity in the storage account, as text (durable history, state, journal). */
async function everythingStored(): Promise<string[]> {
  const texts: string[] = [];
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  for await (const container of blobs.listContainers()) {
    const client = blobs.getContainerClient(container.name);
    for await (const blob of client.listBlobsFlat())
      texts.push((await client.getBlockBlobClient(blob.name).downloadToBuffer()).toString("utf8"));
  }
  const tables = TableServiceClient.fromConnectionString(azurite.connectionString, { allowInsecureConnection: true });
  for await (const table of tables.listTables()) {
    const client = TableClient.fromConnectionString(azurite.connectionString, table.name ?? "", {
      allowInsecureConnection: true,
    });
    for await (const entity of client.listEntities()) texts.push(JSON.stringify(entity));
  }
  return texts;
}

test("the CCIP example survives a SIGKILL in each on-chain phase with no duplicate transaction and no nonce gap, and a re-run sends none", async () => {
  const rolloutId = await startRollout();
  const killedIn = [];
  for (const phase of ["contracts", "ccip", "funding"]) killedIn.push(await killDuring(rolloutId, phase));
  assert.deepEqual(killedIn, ["contracts", "ccip", "funding"], "each kill happened during its phase");
  const first = await waitForEnd(rolloutId);
  assert.equal(first.state, "Succeeded", JSON.stringify({ failure: first.failure, onChain: first.onChain }, null, 1));
  const contracts = first.contracts ?? [];
  assert.equal(contracts.length, 14);
  for (const contract of contracts) {
    const code = String(await rpc(contract.chain, "eth_getCode", [contract.address, "latest"]));
    assert.equal(keccak256(code), contract.codeHash, `${contract.chain}.${contract.name}`);
  }
  const receiver = (chain: string) => contracts.find((entry) => entry.chain === chain && entry.name === "receiver");
  assert.equal(
    receiver("chain138")?.address,
    receiver("mainnet")?.address,
    "CREATE2: same salt and init code, same address",
  );
  assert.ok(first.onChain?.ccipSteps.every((step) => step.state === "made" && step.hashes.length > 0));
  assert.deepEqual(
    first.onChain?.topUps.map((topUp) => topUp.state),
    ["funded", "funded"],
  );
  assert.deepEqual(first.onChain?.verificationProblems, []);

  // Exactly once: every nonce the deployer used is one journaled, mined transaction, none twice, no gap.
  const deployer = cloud.connection.keyVault.deployerAddress.toLowerCase();
  const entries = await journal();
  assert.deepEqual(
    entries.filter((entry) => entry.state !== "mined"),
    [],
    "every journaled transaction was mined",
  );
  for (const [chain, chainId] of [
    ["chain138", 138],
    ["mainnet", 1],
  ] as const) {
    const nonces = entries
      .filter((entry) => entry.chainId === chainId && entry.sender.toLowerCase() === deployer)
      .map((entry) => entry.nonce)
      .sort((a, b) => a - b);
    assert.deepEqual(nonces, [...Array(await nonceOf(chain)).keys()], `${chain}: nonces 0..n-1, each once`);
  }

  // The audit trail kept every transaction through the kills: each mined one has its result,
  // whether its broadcast's own note survived the kill or recovery settled it.
  const settled = new Set(
    (await readAudit(new DocumentStore(azurite.connectionString, "besu-fleet-state"), { system: "chain", top: 10_000 }))
      .filter((entry) => entry.action === "transaction mined")
      .map((entry) => entry.subject),
  );
  assert.deepEqual(
    entries.filter((entry) => !settled.has(entry.mined?.hash)).map((entry) => `${entry.chainId}/${entry.nonce}`),
    [],
    "every mined transaction is in the audit trail",
  );

  const nonces = { chain138: await nonceOf("chain138"), mainnet: await nonceOf("mainnet") };
  const again = await waitForEnd(await startRollout());
  assert.equal(again.state, "Succeeded", JSON.stringify({ failure: again.failure, onChain: again.onChain }, null, 1));
  assert.deepEqual(
    { chain138: await nonceOf("chain138"), mainnet: await nonceOf("mainnet") },
    nonces,
    "a re-run sends no transaction",
  );
  assert.ok(again.onChain?.ccipSteps.every((step) => step.state === "held"));
  assert.deepEqual(
    again.onChain?.topUps.map((topUp) => topUp.state),
    ["atTarget", "atTarget"],
  );

  // The deployer's private key is only in the vault: nowhere in storage (history, state, journal).
  const vault = z
    .object({ keys: z.record(z.string(), z.array(z.object({ d: z.string() }).loose())) })
    .parse(JSON.parse(fs.readFileSync(path.join(workDir, "cloud", "keyvault", "keys.json"), "utf8")));
  const secrets = Object.values(vault.keys).flatMap((versions) => versions.map((version) => version.d.toLowerCase()));
  assert.ok(secrets.length > 0);
  const stored = (await everythingStored()).map((text) => text.toLowerCase());
  assert.ok(stored.length > 100, `the scan read ${stored.length} documents`);
  for (const secret of secrets)
    assert.ok(
      stored.every((text) => !text.includes(secret)),
      "a private key is in storage",
    );
});

test("a transaction stuck while the chain is halted is replaced at the same nonce with a higher fee, and only one of them is mined", async () => {
  const documents = new DocumentStore(azurite.connectionString, "besu-fleet-state");
  const signer = deployerSigner({
    mode: "simulator",
    keyId: cloud.connection.keyVault.deployerKeyId,
    caCertificate: fs.readFileSync(cloud.connection.caCertPath, "utf8"),
  });
  const sender = new ExactlyOnceSender(
    new EvmRpc(settings.BESU_FLEET_CHAIN138_RPC_URL ?? "", "chain138"),
    signer,
    new JournalStore(documents),
    { chainId: 138, network: "ccipnet", stuckAfterSeconds: 1, waitSeconds: 0 },
  );
  const name = JournalStore.entryName(["ccipnet", "e2e", "stuck"]);
  const recipient = "0x00000000000000000000000000000000000000f2";
  const transfer = { intent: "a transfer while the chain is halted", to: recipient, data: "0x", value: 1n };
  const actions = `${cloud.connection.controlUrl}/besu/actions`;
  const act = async (type: string) => {
    const response = await request(actions, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type, chainId: 138 }),
    });
    assert.equal(response.status, 200, response.text);
  };
  const before = await nonceOf("chain138");
  await act("haltChain");
  try {
    const first = await sender.advance(name, transfer);
    assert.equal(first.state, "broadcast");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const replaced = await sender.advance(name, transfer);
    assert.equal(replaced.attempts.length, 2, JSON.stringify(replaced));
    assert.equal(replaced.attempts[0]?.state, "replaced");
    assert.ok(BigInt(replaced.attempts[1]?.fees.gasPrice ?? 0) > BigInt(replaced.attempts[0]?.fees.gasPrice ?? 0));
    assert.equal(replaced.nonce, before, "the same nonce");
  } finally {
    await act("resumeChain");
  }
  const mined = await waitFor(
    "the replacement to be mined",
    async () => {
      const entry = await sender.advance(name, transfer);
      return entry.state === "mined" ? entry : undefined;
    },
    30_000,
    200,
  );
  // Whichever attempt the chain mined (ganache may keep the original in its pool), the journal
  // recognises it by receipt, and only one of the two can ever be mined: they share the nonce.
  assert.ok(
    mined.attempts.some((attempt) => attempt.hash === mined.mined?.hash),
    "the mined transaction is one of the intent's attempts",
  );
  assert.equal(await nonceOf("chain138"), before + 1, "one transaction for the intent");
  assert.equal(BigInt(String(await rpc("chain138", "eth_getBalance", [recipient, "latest"]))), 1n);
});

test("after the rollout, code replaced on the mainnet stand-in shows in GET /api/drift/{network} with the ensure-step it broke", async () => {
  const contractFindings = (report: DriftReport) =>
    report.findings
      .filter((finding) => finding.kind === "contracts")
      .map((finding) => `${finding.region} ${finding.resource} ${finding.field}`)
      .sort();
  const before = await driftCheck();
  assert.deepEqual(contractFindings(before), [], JSON.stringify(before.findings));
  assert.deepEqual(
    before.unknown.filter((entry) => entry.kind === "contracts"),
    [],
  );

  const mainnetPool = (await statusOf("rollout-ccipnet-1")).contracts?.find(
    (entry) => entry.chain === "mainnet" && entry.name === "pool",
  );
  assert.ok(mainnetPool);
  // Through the simulated chain itself: code that answers every call with 0 (false).
  await rpc("mainnet", "evm_setAccountCode", [mainnetPool.address, "0x600060005260206000f3"]);
  const after = await driftCheck();
  assert.equal(after.state, "Drifted");
  assert.deepEqual(contractFindings(after), [
    "mainnet ccip/mainnetPoolLane isSupportedChain(uint64) view returns (bool)",
    "mainnet contract/pool codeHash",
  ]);
});

/** Runs a drift check of the network through the API and returns the report GET /api/drift/{network} then shows. */
async function driftCheck(): Promise<DriftReport> {
  const requestedAt = new Date().toISOString();
  const started = await api("POST", "drift/ccipnet");
  assert.equal(started.status, 202, started.text);
  const latestSchema = z.object({ report: driftReportSchema.nullable(), running: z.unknown() });
  return waitFor(
    "the drift check to finish",
    async () => {
      const latest = latestSchema.parse((await api("GET", "drift/ccipnet")).body);
      return latest.running === null && latest.report !== null && latest.report.finishedAt >= requestedAt
        ? latest.report
        : undefined;
    },
    120_000,
    500,
  );
}
