/**
 * The full local stack for an end-to-end test file: Azurite, the simulated cloud (ARM, AKS, each
 * cluster's Kubernetes API, Besu nodes) in this process and the real Functions app in a host child
 * process; with the HTTP API, the simulator's control API, and rollouts of the example small spec
 * started and awaited through them. test/e2e/rollout.test.ts builds its own stack (it kills and
 * restarts the host and reads the task hub's tables) but shares the spec.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { createBesuPlugin, startCloud, type RunningCloud } from "@besu-fleet/local-cloud";
import type { HostProcess } from "@besu-fleet/local-host";
import { request, startAzurite, waitFor, type JsonResponse, type RunningAzurite } from "@besu-fleet/local-support";
import { rolloutStatusSchema, type RolloutStatus } from "../../lib/domain/rollout-status.js";
import { appHostKeys, startAppHost } from "../support/app-host.js";
import { REPO_ROOT } from "../support/paths.js";

/**
 * Simulated time runs this much faster than wall time. NOTE: not the 2000 of the cloud's own
 * tests. Blocks come every BLOCK_PERIOD_SECONDS of simulated time, i.e. 10 per wall second here,
 * and verification's heads-close check allows 3 blocks between nodes read by different
 * activities at slightly different moments: 300 ms of skew. At 2000 (400 blocks a second) every
 * rollout failed verification with "heads-close: behind or syncing". AKS creates (5–10 simulated
 * minutes) still take only 6–12 s.
 */
export const SIMULATED_TIME_SCALE = 50;
/** Simulated seconds per block; verification also waits twice this in wall seconds between its samples. */
const BLOCK_PERIOD_SECONDS = 5;
const ROLLOUT_TIMEOUT_MS = 120_000;

const exampleSpecSchema = z
  .object({
    network: z.object({ qbft: z.record(z.string(), z.unknown()) }).loose(),
    regions: z.array(z.unknown()),
    rollout: z.record(z.string(), z.unknown()),
  })
  .loose();
export type SpecBody = z.infer<typeof exampleSpecSchema>;

/** The example small spec for a network and regions of its own: one validator each, a sentry in the first. */
export function smallSpec(network: string, regions: readonly string[]): SpecBody {
  const spec = exampleSpecSchema.parse(
    YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "examples", "chain138-small.yaml"), "utf8")),
  );
  return {
    ...spec,
    regions: regions.map((name, index) => ({ name, validators: 1, sentries: index === 0 ? 1 : 0 })),
    network: {
      ...spec.network,
      name: network,
      qbft: {
        ...spec.network.qbft,
        blockperiodseconds: BLOCK_PERIOD_SECONDS,
        requesttimeoutseconds: 2 * BLOCK_PERIOD_SECONDS,
      },
    },
    rollout: {
      ...spec.rollout,
      maxParallelRegions: regions.length,
      pollIntervalSeconds: 1,
      retry: { maxAttempts: 6, firstRetryIntervalSeconds: 1, backoffCoefficient: 1.5, maxRetryIntervalSeconds: 2 },
    },
  };
}

/**
 * The simulated cloud of an end-to-end test, at {@link SIMULATED_TIME_SCALE}, its data under
 * `<workDir>/cloud` (where {@link startAppHost} points the app); with the mainnet stand-in unless
 * `mainnet: false`; its log dropped unless `log` keeps it.
 */
export function startE2eCloud(
  workDir: string,
  options: { mainnet?: boolean; log?: (line: string) => void } = {},
): Promise<RunningCloud> {
  return startCloud({
    dataDir: path.join(workDir, "cloud"),
    timeScale: SIMULATED_TIME_SCALE,
    plugins: [createBesuPlugin({ mainnet: options.mainnet !== false })],
    log: options.log ?? (() => undefined),
  });
}

export interface E2eStack {
  api(method: "GET" | "POST", route: string, body?: unknown): Promise<JsonResponse>;
  control(method: "GET" | "POST" | "PUT" | "DELETE", route: string, body?: unknown): Promise<JsonResponse>;
  /** Starts a rollout and waits for its end; returns its final status. */
  rollout(spec: SpecBody): Promise<RolloutStatus>;
  /** What the host and the app wrote to standard output and error so far. */
  hostOutput(): string;
  /** The final status, regions and the cloud's complaints, for a failure message. */
  summary(status: RolloutStatus): string;
  close(): Promise<void>;
}

export async function startE2eStack(): Promise<E2eStack> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-e2e-"));
  const cloudLog: string[] = [];
  const azurite: RunningAzurite = await startAzurite();
  const cloud = await startE2eCloud(workDir, { mainnet: false, log: (line) => cloudLog.push(line) });
  const host: HostProcess = await startAppHost(workDir, azurite);
  const functionKey = appHostKeys(workDir).functionKeys.default;

  const send = (url: string, method: string, body: unknown, headers: Record<string, string>) =>
    request(url, {
      method,
      headers: { ...headers, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const api: E2eStack["api"] = (method, route, body) =>
    send(`${host.baseUrl}/api/${route}`, method, body, { "x-functions-key": functionKey });
  const control: E2eStack["control"] = (method, route, body) =>
    send(`${cloud.connection.controlUrl}/${route}`, method, body, {});
  const status = async (rolloutId: string): Promise<RolloutStatus> => {
    const response = await api("GET", `rollouts/${rolloutId}`);
    assert.equal(response.status, 200, response.text);
    return rolloutStatusSchema.parse(response.body);
  };

  return {
    api,
    control,
    async rollout(spec) {
      const started = await api("POST", "rollouts", spec);
      assert.equal(started.status, 202, started.text);
      const { rolloutId } = z.object({ rolloutId: z.string() }).parse(started.body);
      return waitFor(
        `${rolloutId} to finish`,
        async () => {
          const current = await status(rolloutId);
          return current.state === "Running" ? undefined : current;
        },
        ROLLOUT_TIMEOUT_MS,
        500,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\nhost output:\n${host.output().slice(-3000)}`);
      });
    },
    hostOutput: () => host.output(),
    summary: (final) =>
      [
        JSON.stringify(
          final.regions.map((region) => ({ region: region.region, state: region.state, error: region.lastError })),
        ),
        ...cloudLog.filter((line) => /fail|error/i.test(line)).slice(-10),
      ].join("\n"),
    async close() {
      await host.kill();
      await cloud.close();
      await azurite.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}
