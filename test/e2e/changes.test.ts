/**
 * Changing a live network end to end on the full local stack (Azurite, the simulated cloud in
 * this process, the app in a host child process): an image upgrade of a formed network restarts
 * its nodes in waves while the simulator is sampled every 200 ms — never more validators down
 * than the limit, the chain never stalled longer than three block periods and one restart — and
 * a wave that never becomes healthy stops the waves with the chain still producing blocks; a
 * host killed mid-wave resumes without a second wave early; dropped regions' validators are voted
 * out before their pods stop, and then (`deprovision: delete`) their clusters are deleted.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import YAML from "yaml";
import { z } from "zod";
import type { RunningCloud } from "@besu-fleet/local-cloud";
import type { HostProcess } from "@besu-fleet/local-host";
import { request, startAzurite, waitFor, type JsonResponse, type RunningAzurite } from "@besu-fleet/local-support";
import { changePlanSchema } from "../../lib/domain/changes/plan.js";
import { rolloutStatusSchema, type RolloutStatus } from "../../lib/domain/rollout-status.js";
import { observeNetwork, sampled, simulatedChains, blockGapBoundSeconds } from "../support/chain-sampling.js";
import { appHostKeys, startAppHost as startSharedAppHost } from "../support/app-host.js";
import { REPO_ROOT } from "../support/paths.js";
import { SIMULATED_TIME_SCALE, startE2eCloud } from "./stack.js";

const BLOCK_PERIOD_SECONDS = 5;
const ROLLOUT_TIMEOUT_MS = 180_000;

let azurite: RunningAzurite;
let cloud: RunningCloud;
let host: HostProcess;
let workDir: string;
let functionKey: string;

const startAppHost = (): Promise<HostProcess> => startSharedAppHost(workDir, azurite);

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-changes-"));
  azurite = await startAzurite();
  cloud = await startE2eCloud(workDir, { mainnet: false });
  host = await startAppHost();
  functionKey = appHostKeys(workDir).functionKeys.default;
});

after(async () => {
  await host?.kill();
  await cloud?.close();
  await azurite?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

const api = (method: "GET" | "POST", route: string, body?: unknown): Promise<JsonResponse> =>
  request(`${host.baseUrl}/api/${route}`, {
    method,
    headers: { "x-functions-key": functionKey, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const control = (method: "GET" | "POST", route: string, body?: unknown): Promise<JsonResponse> =>
  request(`${cloud.connection.controlUrl}/${route}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** The small example for a network of its own on four regions, with fast polls and a short wave timeout. */
function smallSpec(network: string, regions: readonly string[], besuImage: string): Record<string, unknown> {
  const spec = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "examples", "chain138-small.yaml"), "utf8")) as {
    network: Record<string, unknown>;
    rollout: Record<string, unknown>;
  };
  return {
    ...spec,
    network: {
      ...spec.network,
      name: network,
      besuImage,
      qbft: {
        blockperiodseconds: BLOCK_PERIOD_SECONDS,
        epochlength: 30000,
        requesttimeoutseconds: 2 * BLOCK_PERIOD_SECONDS,
      },
    },
    regions: regions.map((name, index) => ({ name, validators: 1, sentries: index === 0 ? 1 : 0 })),
    rollout: {
      ...spec.rollout,
      pollIntervalSeconds: 1,
      readinessTimeoutMinutes: 1,
      retry: { maxAttempts: 6, firstRetryIntervalSeconds: 1, backoffCoefficient: 1.5, maxRetryIntervalSeconds: 2 },
    },
  };
}

async function runRollout(spec: Record<string, unknown>): Promise<RolloutStatus> {
  const started = await api("POST", "rollouts", spec);
  assert.equal(started.status, 202, started.text);
  return waitForRollout(z.object({ rolloutId: z.string() }).parse(started.body).rolloutId);
}

function waitForRollout(rolloutId: string): Promise<RolloutStatus> {
  return waitFor(
    `${rolloutId} to finish`,
    async () => {
      const status = rolloutStatusSchema.parse((await api("GET", `rollouts/${rolloutId}`)).body);
      return status.state === "Running" ? undefined : status;
    },
    ROLLOUT_TIMEOUT_MS,
    500,
  );
}

/** The network as the simulator sees it now. */
const observe = (network: string) => observeNetwork(control, network);

/** web3_clientVersion of every node of the network that is up. */
async function clientVersions(network: string): Promise<string[]> {
  const { nodes } = await observe(network);
  return Promise.all(
    nodes
      .filter((node) => node.up)
      .map(async (node) => {
        const answer = await request(node.rpcUrl ?? "", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "web3_clientVersion", params: [] }),
        });
        return String((answer.body as { result: unknown }).result);
      }),
  );
}

test("an image upgrade restarts one validator per wave while the chain keeps producing blocks", async () => {
  const network = "chg-upgrade";
  const regions = ["northeurope", "uksouth", "francecentral", "swedencentral"];
  const formed = await runRollout(smallSpec(network, regions, "hyperledger/besu:24.10.0"));
  assert.equal(formed.state, "Succeeded", JSON.stringify(formed.regions));

  const upgrade = smallSpec(network, regions, "hyperledger/besu:24.12.0");
  const dryRun = await api("POST", "rollouts?dryRun=true", upgrade);
  assert.equal(dryRun.status, 200, dryRun.text);
  const plan = changePlanSchema.parse(dryRun.body);
  assert.deepEqual(
    plan.waves.map((wave) => [wave.kind, wave.nodes.length, wave.quorumKept]),
    [...regions.map(() => ["validators", 1, true]), ["sentries", 1, true]],
  );

  const run = await sampled(control, network, () => runRollout(upgrade));
  assert.equal(run.result.state, "Succeeded", JSON.stringify(run.result.regions));
  assert.ok(run.maxDown <= 1, `at most one validator down at a time, saw ${run.maxDown}`);
  const blockGapBound = blockGapBoundSeconds(BLOCK_PERIOD_SECONDS, SIMULATED_TIME_SCALE, run);
  assert.ok(
    run.longestBlockGapSeconds <= blockGapBound,
    `longest gap between blocks ${run.longestBlockGapSeconds} s > ${blockGapBound} s`,
  );
  const versions = await clientVersions(network);
  assert.equal(versions.length, 5);
  assert.ok(
    versions.every((version) => version.includes("24.12.0")),
    versions.join(", "),
  );

  const again = await api("POST", "rollouts?dryRun=true", upgrade);
  assert.deepEqual(changePlanSchema.parse(again.body).waves, [], "the record knows every node runs the upgrade");
});

test("a wave that never becomes healthy stops the waves, the chain stays live", async () => {
  const network = "chg-stuck";
  const regions = ["ukwest", "germanywestcentral", "switzerlandnorth", "italynorth"];
  const formed = await runRollout(smallSpec(network, regions, "hyperledger/besu:24.10.0"));
  assert.equal(formed.state, "Succeeded", JSON.stringify(formed.regions));
  // The new image crashes at start in ukwest, the first wave's region: set before the rollout
  // starts, so the fault is in place whenever the wave restarts that validator (a fault injected
  // on seeing the `updating` phase in the status, which may be a second stale, raced the wave).
  // Nothing restarts before the waves (the StatefulSets are OnDelete), so only wave 1 meets it.
  const crashing = await control("POST", "besu/actions", {
    type: "crashImage",
    resourceGroup: `rg-${network}-ukwest`,
    cluster: `aks-${network}-ukwest`,
    image: "hyperledger/besu:24.12.0",
  });
  assert.equal(crashing.status, 200, crashing.text);
  const run = await sampled(control, network, () =>
    runRollout(smallSpec(network, regions, "hyperledger/besu:24.12.0")),
  );
  const final = run.result;
  assert.equal(final.state, "PartiallySucceeded", JSON.stringify(final.regions));
  const failed = final.regions.filter((region) => region.state === "Failed");
  assert.deepEqual(
    failed.map((region) => [region.region, region.lastError?.step]),
    [["ukwest", "wave-1"]],
  );
  assert.match(failed[0]?.lastError?.cause ?? "", /still run the old template/);
  assert.ok(run.maxDown <= 1, `at most one validator down at a time, saw ${run.maxDown}`);
  const later = await observe(network);
  await new Promise((resolve) => setTimeout(resolve, (4 * BLOCK_PERIOD_SECONDS * 1000) / SIMULATED_TIME_SCALE));
  assert.ok((await observe(network)).height > later.height, "the chain still produces blocks");
  const versions = await clientVersions(network);
  assert.equal(versions.length, 4, "the three other validators and the sentry are up");
  assert.equal(versions.filter((version) => version.includes("24.12.0")).length, 0, "no later wave ran");
});

/** Waits until the rollout is in the updating phase and one wave's pod was deleted (its node gone from the simulator). */
async function waitForAWaveInFlight(network: string, rolloutId: string): Promise<void> {
  const before = (await observe(network)).nodes.length;
  await waitFor(
    "a wave in flight",
    async () => {
      const status = rolloutStatusSchema.parse((await api("GET", `rollouts/${rolloutId}`)).body);
      if (status.state !== "Running") throw new Error(`the rollout ended (${status.state}) before a wave was seen`);
      return status.phase === "updating" && (await observe(network)).nodes.length < before ? true : undefined;
    },
    ROLLOUT_TIMEOUT_MS,
    50,
  );
}

test("a host killed mid-wave resumes the same wave and never starts the next one early", async () => {
  const network = "chg-crash";
  const regions = ["norwayeast", "polandcentral", "spaincentral", "belgiumcentral"];
  const formed = await runRollout(smallSpec(network, regions, "hyperledger/besu:24.10.0"));
  assert.equal(formed.state, "Succeeded", JSON.stringify(formed.regions));
  const run = await sampled(control, network, async () => {
    const started = await api("POST", "rollouts", smallSpec(network, regions, "hyperledger/besu:24.12.0"));
    assert.equal(started.status, 202, started.text);
    const { rolloutId } = z.object({ rolloutId: z.string() }).parse(started.body);
    await waitForAWaveInFlight(network, rolloutId);
    await host.kill("SIGKILL");
    host = await startAppHost();
    return waitForRollout(rolloutId);
  });
  assert.equal(run.result.state, "Succeeded", JSON.stringify(run.result.regions));
  assert.ok(run.maxDown <= 1, `at most one validator down at a time across the crash, saw ${run.maxDown}`);
  const versions = await clientVersions(network);
  assert.ok(versions.length === 5 && versions.every((version) => version.includes("24.12.0")), versions.join(", "));
});

test("dropped regions: their validators are voted out one at a time, then their pods stop and clusters go", async () => {
  const network = "chg-remove";
  const regions = ["westindia", "japaneast", "japanwest", "koreacentral", "koreasouth", "canadacentral"];
  const formed = await runRollout(smallSpec(network, regions, "hyperledger/besu:24.10.0"));
  assert.equal(formed.state, "Succeeded", JSON.stringify(formed.regions));
  const dropped = regions.slice(4);
  const droppedNodes = (await observe(network)).nodes.filter((node) =>
    dropped.some((region) => node.resourceGroup === `rg-${network}-${region}`),
  );
  const droppedValidators = droppedNodes.map((node) => node.address);
  assert.equal(droppedValidators.length, 2);

  const kept = smallSpec(network, regions.slice(0, 4), "hyperledger/besu:24.10.0");
  const smaller = { ...kept, rollout: { ...(kept.rollout as Record<string, unknown>), deprovision: "delete" } };
  const plan = changePlanSchema.parse((await api("POST", "rollouts?dryRun=true", smaller)).body);
  assert.deepEqual(
    plan.removals.map((removal) => [removal.region, removal.address !== undefined]).sort(),
    dropped.map((region) => [region, true]).sort(),
  );
  const droppedClusters = dropped.map((region) => `aks-${network}-${region}`);
  assert.deepEqual(plan.droppedClusters.map((cluster) => cluster.clusterName).sort(), droppedClusters.sort());
  // For each dropped validator: when it left the set, and when its node stopped running.
  const leftAt = new Map<string, number>();
  const stoppedAt = new Map<string, number>();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const chain = (await simulatedChains(control)).find(
        (entry) => entry.genesisHash === droppedNodes[0]?.genesisHash,
      );
      const running = new Set((await observe(network)).nodes.map((node) => node.address));
      for (const address of droppedValidators) {
        if (chain && !chain.validators.includes(address) && !leftAt.has(address)) leftAt.set(address, Date.now());
        if (!running.has(address) && !stoppedAt.has(address)) stoppedAt.set(address, Date.now());
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const final = await runRollout(smaller).finally(() => (sampling = false));
  await sampler;
  assert.equal(final.state, "Succeeded", JSON.stringify(final.regions));
  for (const address of droppedValidators) {
    const left = leftAt.get(address);
    const stopped = stoppedAt.get(address);
    assert.ok(left !== undefined && stopped !== undefined, `${address} left the set and stopped`);
    assert.ok(left <= stopped, `${address} was voted out before its pod stopped`);
  }
  const remaining = (await observe(network)).nodes;
  assert.equal(remaining.length, 5, "four validators and one sentry run");
  assert.deepEqual(
    (final.clusterDeletions ?? []).map((deletion) => [deletion.clusterName, deletion.state]).sort(),
    droppedClusters.map((name) => [name, "Deleted"]).sort(),
    "the status shows each dropped region's cluster deleted",
  );
  const clusters = z
    .object({ clusters: z.array(z.object({ name: z.string() }).loose()) })
    .loose()
    .parse((await control("GET", "state")).body)
    .clusters.map((cluster) => cluster.name);
  assert.ok(
    droppedClusters.every((name) => !clusters.includes(name)),
    `ARM no longer has ${droppedClusters.join(", ")}`,
  );
  assert.ok(clusters.includes(`aks-${network}-${regions[0]}`), "the kept regions' clusters remain");
  const again = changePlanSchema.parse((await api("POST", "rollouts?dryRun=true", smaller)).body);
  assert.deepEqual(again.removals, [], "the record forgot the removed nodes");
  assert.deepEqual(again.droppedClusters, [], "and their clusters");
});
