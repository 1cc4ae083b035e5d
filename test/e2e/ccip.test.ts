/**
 * The CCIP example end to end on the local stack, on four small regions to spare the CPU: the
 * network, then its contracts on Chain 138 and the mainnet stand-in, the lane's ensure-steps and
 * the funding, signed by the simulated Key Vault's deployer key. Checked on the chains themselves
 * (code hashes, the steps' view calls, balances), then a second rollout of the same spec must
 * send no transaction at all (the deployer's nonces do not move).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { keccak256 } from "ethers";
import YAML from "yaml";
import { z } from "zod";
import { createBesuPlugin, startCloud, type RunningCloud } from "@besu-fleet/local-cloud";
import { startHostProcess, type HostProcess } from "@besu-fleet/local-host";
import { request, startAzurite, waitFor, type JsonResponse, type RunningAzurite } from "@besu-fleet/local-support";
import { simulatedChainSettings } from "../../cli/chain-settings.js";
import { rolloutStatusSchema, type RolloutStatus } from "../../lib/domain/rollout-status.js";
import { REPO_ROOT } from "../support/paths.js";

const ROLLOUT_TIMEOUT_MS = 240_000;
const SIMULATED_TIME_SCALE = 50;
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
  cloud = await startCloud({
    dataDir: path.join(workDir, "cloud"),
    timeScale: SIMULATED_TIME_SCALE,
    plugins: [createBesuPlugin()],
    log: () => undefined,
  });
  settings = simulatedChainSettings(cloud.connection);
  host = await startHostProcess({
    appDir: REPO_ROOT,
    storage: azurite.connectionString,
    dataDir: path.join(workDir, "data"),
    env: {
      BESU_FLEET_CLOUD_FILE: path.join(workDir, "cloud", "cloud.json"),
      AzureWebJobsStorage: azurite.connectionString,
      BESU_FLEET_DEPLOYER_KEY_ID: cloud.connection.keyVault.deployerKeyId,
      BESU_FLEET_KEY_VAULT_SIMULATOR: "true",
      ...settings,
    },
  });
  functionKey = z
    .object({ functionKeys: z.object({ default: z.string().min(1) }) })
    .parse(JSON.parse(fs.readFileSync(path.join(workDir, "data", "keys.json"), "utf8"))).functionKeys.default;
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

async function runRollout(): Promise<RolloutStatus> {
  const started = await api("POST", "rollouts", ccipSpec());
  assert.equal(started.status, 202, started.text);
  const { rolloutId } = z.object({ rolloutId: z.string() }).parse(started.body);
  return waitFor(
    `${rolloutId} to finish`,
    async () => {
      const response = await api("GET", `rollouts/${rolloutId}`);
      const status = rolloutStatusSchema.parse(response.body);
      return status.state === "Running" ? undefined : status;
    },
    ROLLOUT_TIMEOUT_MS,
    500,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nhost output:\n${host.output().slice(-4000)}`);
  });
}

test("the CCIP example deploys, wires and funds the lane, and a re-run sends no transaction", async () => {
  const first = await runRollout();
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

  const nonces = { chain138: await nonceOf("chain138"), mainnet: await nonceOf("mainnet") };
  const again = await runRollout();
  assert.equal(again.state, "Succeeded", JSON.stringify({ failure: again.failure, onChain: again.onChain }, null, 1));
  assert.deepEqual({ chain138: await nonceOf("chain138"), mainnet: await nonceOf("mainnet") }, nonces);
  assert.ok(
    again.onChain?.deployments.every((deployment) => deployment.state === "present" || deployment.state === "deployed"),
  );
  assert.ok(again.onChain?.ccipSteps.every((step) => step.state === "held"));
  assert.deepEqual(
    again.onChain?.topUps.map((topUp) => topUp.state),
    ["atTarget", "atTarget"],
  );
});
