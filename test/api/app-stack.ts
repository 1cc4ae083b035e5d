/**
 * The Functions app on the local host over Azurite, with the settings a test gives (the simulated
 * cloud's, when rollouts are to run). Requests go out as raw bytes, with or without a media type,
 * with a Content-Length or chunked.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createBesuPlugin, startCloud } from "@besu-fleet/local-cloud";
import { readHostKeys, startHostProcess, type HostProcess } from "@besu-fleet/local-host";
import { request, startAzurite, type JsonResponse, type RunningAzurite } from "@besu-fleet/local-support";
import { REPO_ROOT } from "../support/paths.js";

export interface AppRequest {
  method: "GET" | "POST";
  /** After `/api/`, with its query. */
  route: string;
  contentType?: string;
  body?: Buffer;
  /** Sent with Transfer-Encoding: chunked, so the server learns the size only by reading. */
  chunked?: boolean;
}

export interface AppStack {
  azurite: RunningAzurite;
  host: HostProcess;
  /** The app's default function key, for clients other than `send` (a browser). */
  functionKey: string;
  send(appRequest: AppRequest): Promise<JsonResponse>;
  /** A Durable management API route (`instances?...`), with the system key. */
  management(route: string): Promise<JsonResponse>;
  /** Runs a timer function now, through the admin API (master key), as an operator can in Azure. */
  runFunction(name: string): Promise<JsonResponse>;
  stop(): Promise<void>;
}

/** A body in 64 KiB chunks of a stream, which fetch sends chunked. */
function chunkedStream(body: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= body.length) controller.close();
      else controller.enqueue(body.subarray(offset, (offset += 64 * 1024)));
    },
  });
}

/** The app in `appDir` (default: this repository) with the settings in `env`. */
export async function startAppStack(env: Record<string, string> = {}, appDir = REPO_ROOT): Promise<AppStack> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-api-"));
  const azurite = await startAzurite();
  const dataDir = path.join(workDir, "data");
  const host = await startHostProcess({
    appDir,
    storage: azurite.connectionString,
    dataDir,
    env: { AzureWebJobsStorage: azurite.connectionString, ...env },
  });
  const keys = readHostKeys(dataDir);
  return {
    azurite,
    host,
    functionKey: keys.functionKeys.default,
    send: ({ method, route, contentType, body, chunked }) =>
      request(`${host.baseUrl}/api/${route}`, {
        method,
        headers: {
          "x-functions-key": keys.functionKeys.default,
          ...(contentType === undefined ? {} : { "content-type": contentType }),
        },
        ...(body === undefined ? {} : chunked ? { body: chunkedStream(body), duplex: "half" } : { body }),
      }),
    management: (route) =>
      request(`${host.baseUrl}/runtime/webhooks/durabletask/${route}`, {
        headers: { "x-functions-key": keys.systemKeys.durabletask_extension },
      }),
    runFunction: (name) =>
      request(`${host.baseUrl}/admin/functions/${name}`, {
        method: "POST",
        headers: { "x-functions-key": keys.masterKey, "content-type": "application/json" },
        body: JSON.stringify({ input: "" }),
      }),
    async stop() {
      await host.kill();
      await azurite.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Node pools of more vCPUs than the simulated subscription's 10 per region: such a rollout fails its preflight at once. */
export const OVER_QUOTA_POOLS = [
  { name: "system", mode: "System", vmSize: "Standard_D2s_v5", count: 1 },
  { name: "besu", mode: "User", vmSize: "Standard_D2s_v5", count: 5 },
];

/** The app as `startAppStack` starts it, over the simulated cloud (Besu, no mainnet) it starts first; `stop` ends both. */
export async function startAppStackOnCloud(timeScale: number, env: Record<string, string> = {}): Promise<AppStack> {
  const cloudDir = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-api-cloud-"));
  const cloud = await startCloud({
    dataDir: cloudDir,
    timeScale,
    plugins: [createBesuPlugin({ mainnet: false })],
    log: () => undefined,
  });
  const stack = await startAppStack({ BESU_FLEET_CLOUD_FILE: path.join(cloudDir, "cloud.json"), ...env });
  return {
    ...stack,
    async stop() {
      await stack.stop();
      await cloud.close();
      fs.rmSync(cloudDir, { recursive: true, force: true });
    },
  };
}
