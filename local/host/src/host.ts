/**
 * The local Functions + Durable host: serves an app's HTTP functions, fires its timers, runs its
 * orchestrations and activities on Azure Storage, and serves the Durable management API.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { loadApp, type LoadedApp, type ServableFunction } from "./app-loader.js";
import { Engine } from "./engine.js";
import { resolveFunctionTimeout } from "./function-timeout.js";
import { invokeFunction, stringData } from "./invoke.js";
import { authorize, loadOrCreateKeys, type AuthLevel, type HostKeys } from "./keys.js";
import { durableClientBinding, handleManagement, type ManagementUrls } from "./management-api.js";
import { parseSchedule } from "./ncrontab.js";
import { compileRoute, type CompiledRoute } from "./routes.js";
import { BodyTooLargeError, readBody } from "@besu-fleet/local-support";
import { StoreThread } from "./store-thread.js";
import { EntityStore } from "./entity-store.js";
import { HOST_VERSION, type RpcTypedData } from "./core-api.js";

export interface HostOptions {
  appDir: string;
  port: number;
  /** Azure Storage connection string (AzureWebJobsStorage). */
  storage: string;
  dataDir: string;
  log?: (line: string) => void;
  /** Extra environment for the app, applied before it loads (e.g. local.settings.json Values). */
  env?: Record<string, string>;
}

export interface RunningHost {
  baseUrl: string;
  keys: HostKeys;
  hubName: string;
  app: LoadedApp;
  close(): Promise<void>;
}

const WEBHOOK_PREFIX = "/runtime/webhooks/durabletask/";
const RPC_PREFIX = "/durabletask/";

interface HostJson {
  functionTimeout?: unknown;
  extensions?: { durableTask?: { hubName?: string }; http?: { routePrefix?: string } };
}

function readHostJson(appDir: string): HostJson {
  const file = path.join(appDir, "host.json");
  if (!fs.existsSync(file)) return {};
  return JSON.parse(fs.readFileSync(file, "utf8")) as HostJson;
}

/** Values of the app's local.settings.json, as `func start` applies them. */
export function readLocalSettings(appDir: string): Record<string, string> {
  const file = path.join(appDir, "local.settings.json");
  if (!fs.existsSync(file)) return {};
  const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { Values?: Record<string, unknown> };
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.Values ?? {})) values[key] = String(value);
  return values;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function typedDataToBuffer(data: RpcTypedData | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.string !== undefined) return Buffer.from(data.string);
  if (data.json !== undefined) return Buffer.from(data.json);
  return Buffer.alloc(0);
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const log = options.log ?? ((line: string) => console.log(line));
  const hostJson = readHostJson(options.appDir);
  const hubName = hostJson.extensions?.durableTask?.hubName ?? "TestHubName";
  const routePrefix = hostJson.extensions?.http?.routePrefix ?? "api";
  // The app's settings as they will be applied below: the process environment wins.
  const functionTimeout = resolveFunctionTimeout(hostJson.functionTimeout, { ...options.env, ...process.env });
  const keys = loadOrCreateKeys(options.dataDir);

  const server = http.createServer();
  const rpcServer = http.createServer();
  const port = await listen(server, options.port);
  const rpcPort = await listen(rpcServer, 0);
  const baseUrl = `http://127.0.0.1:${port}`;
  const publicUrls: ManagementUrls = {
    webhookBase: `${baseUrl}/runtime/webhooks/durabletask`,
    hubName,
    systemKey: keys.systemKeys.durabletask_extension,
  };
  const clientBindingJson = JSON.stringify(
    durableClientBinding(publicUrls, `http://127.0.0.1:${rpcPort}${RPC_PREFIX}`),
  );

  // The SDK builds client URLs from WEBSITE_HOSTNAME (or rewrites them to localhost:7071).
  process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;
  process.env.AzureWebJobsStorage = options.storage;
  for (const [key, value] of Object.entries(options.env ?? {}))
    if (process.env[key] === undefined) process.env[key] = value;

  // A failed start must not leave the listeners keeping the process alive.
  const app = await loadApp(options.appDir, (level, message) => log(`[app ${level}] ${message}`)).catch(
    async (error: unknown) => {
      await Promise.all([closeServer(server), closeServer(rpcServer)]);
      throw error;
    },
  );
  for (const { name, reason } of app.unsupported) log(`function ${name} is not served: ${reason}`);

  const store = await StoreThread.open(options.storage, hubName);
  const engine = new Engine(app, store, await EntityStore.open(options.storage, hubName), { log, functionTimeout });

  const extraInputsFor = (fn: ServableFunction): Record<string, RpcTypedData> =>
    fn.durableClientBinding ? { [fn.durableClientBinding]: stringData(clientBindingJson) } : {};

  // ---- HTTP functions -------------------------------------------------------------------------
  const httpRoutes: { fn: ServableFunction; route: CompiledRoute; methods: string[]; authLevel: AuthLevel }[] = [];
  for (const fn of app.servable.values()) {
    if (fn.kind !== "http") continue;
    const template =
      typeof fn.trigger.route === "string" && fn.trigger.route !== "" ? fn.trigger.route : fn.metadata.name;
    const methods = Array.isArray(fn.trigger.methods)
      ? fn.trigger.methods.map((method) => String(method).toUpperCase())
      : ["GET", "POST"];
    const authLevel = (
      typeof fn.trigger.authLevel === "string" ? fn.trigger.authLevel.toLowerCase() : "function"
    ) as AuthLevel;
    httpRoutes.push({ fn, route: compileRoute(template), methods, authLevel });
  }
  httpRoutes.sort((a, b) => b.route.specificity - a.route.specificity);

  /** Each served timer function, fired once now (the admin API runs them on request). */
  const timersByName = new Map<string, () => Promise<void>>();

  const presentedKey = (req: IncomingMessage, url: URL): string | undefined => {
    const header = req.headers["x-functions-key"];
    if (typeof header === "string" && header !== "") return header;
    return url.searchParams.get("code") ?? undefined;
  };

  async function serveFunction(req: IncomingMessage, res: ServerResponse, url: URL, routePath: string): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const candidates = httpRoutes
      .map((entry) => ({ entry, params: entry.route.match(routePath) }))
      .filter((c) => c.params !== undefined);
    if (candidates.length === 0) {
      res.writeHead(404).end();
      return;
    }
    const chosen = candidates.find((c) => c.entry.methods.includes(method));
    if (!chosen || !chosen.params) {
      res.writeHead(405, { Allow: candidates.flatMap((c) => c.entry.methods).join(", ") }).end();
      return;
    }
    if (!authorize(keys, chosen.entry.authLevel, presentedKey(req, url))) {
      res.writeHead(401).end();
      return;
    }
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers))
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(", ") : value;
    const query: Record<string, string> = {};
    for (const [key, value] of url.searchParams) query[key] = value;
    const invocationId = randomUUID();
    try {
      const invocation = await invokeFunction(
        app.registry,
        chosen.entry.fn,
        {
          // NOTE: no body at all for an empty one, as the Functions host sends it: @azure/functions
          // 4.0.x hands any body to undici, which refuses one on a GET.
          http: {
            method,
            url: url.href,
            headers,
            query,
            params: chosen.params,
            ...(body.length > 0 ? { body: { bytes: body } } : {}),
          },
        },
        { extraInputs: extraInputsFor(chosen.entry.fn), invocationId, timeout: functionTimeout, log },
      );
      const response = await invocation.response();
      const output = response.returnValue?.http ?? response.outputData?.find((o) => o.data.http)?.data.http;
      const status = Number(output?.statusCode ?? 200) || 200;
      const outHeaders: Record<string, string> = { ...(output?.headers ?? {}) };
      res.writeHead(status, outHeaders);
      res.end(typedDataToBuffer(output?.body));
    } catch (error) {
      log(
        `function ${chosen.entry.fn.metadata.name} failed (invocation ${invocationId}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, isRpc: boolean): Promise<void> {
    const url = new URL(req.url ?? "/", baseUrl);
    const pathname = url.pathname;
    if (isRpc) {
      if (!pathname.startsWith(RPC_PREFIX)) {
        res.writeHead(404).end();
        return;
      }
      const body = (await readBody(req)).toString("utf8");
      await handleManagement(engine, req, res, pathname.slice(RPC_PREFIX.length), url.searchParams, body, publicUrls);
      return;
    }
    if (pathname.startsWith(WEBHOOK_PREFIX) || pathname === WEBHOOK_PREFIX.slice(0, -1)) {
      if (!authorize(keys, "system", presentedKey(req, url))) {
        res.writeHead(401).end();
        return;
      }
      const body = (await readBody(req)).toString("utf8");
      await handleManagement(
        engine,
        req,
        res,
        pathname.slice(WEBHOOK_PREFIX.length),
        url.searchParams,
        body,
        publicUrls,
      );
      return;
    }
    const adminFunction = /^\/admin\/functions\/([^/]+)$/.exec(pathname);
    if (adminFunction && req.method === "POST") {
      // Azure's "run a non-HTTP-triggered function" (master key), here for timers: 202, it runs in the background.
      if (!authorize(keys, "admin", presentedKey(req, url))) {
        res.writeHead(401).end();
        return;
      }
      const name = decodeURIComponent(adminFunction[1] as string);
      const runTimer = timersByName.get(name);
      if (runTimer) {
        void runTimer();
        res.writeHead(202).end();
      } else if (app.servable.has(name)) sendJson(res, 400, { Message: `${name} is not a timer function.` });
      else res.writeHead(404).end();
      return;
    }
    if (pathname === "/admin/host/status") {
      if (!authorize(keys, "admin", presentedKey(req, url))) {
        res.writeHead(401).end();
        return;
      }
      sendJson(res, 200, { state: "Running", version: HOST_VERSION });
      return;
    }
    const prefix = routePrefix === "" ? "/" : `/${routePrefix}/`;
    if (pathname.startsWith(prefix) || pathname === `/${routePrefix}`) {
      await serveFunction(req, res, url, pathname.slice(prefix.length));
      return;
    }
    res.writeHead(404).end();
  }

  const safeHandle =
    (isRpc: boolean) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      handle(req, res, isRpc).catch((error: unknown) => {
        if (error instanceof BodyTooLargeError) {
          if (!res.headersSent) sendJson(res, 413, { Message: error.message });
          return;
        }
        log(
          `request ${req.method ?? ""} ${req.url ?? ""} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        if (!res.headersSent) sendJson(res, 500, { Message: "Internal error; see the host log." });
        else res.end();
      });
    };
  server.on("request", safeHandle(false));
  rpcServer.on("request", safeHandle(true));

  await engine.recover();

  // ---- timers ------------------------------------------------------------------------------------
  const timerHandles: NodeJS.Timeout[] = [];
  const statusContainer: ContainerClient = BlobServiceClient.fromConnectionString(options.storage).getContainerClient(
    "azure-webjobs-hosts",
  );
  await statusContainer.createIfNotExists();
  let closing = false;
  for (const fn of app.servable.values()) {
    if (fn.kind !== "timer") continue;
    const expression = String(fn.trigger.schedule ?? "");
    let schedule;
    try {
      schedule = parseSchedule(expression);
    } catch (error) {
      log(`timer ${fn.metadata.name} is not served: ${(error as Error).message}`);
      continue;
    }
    const blob = statusContainer.getBlockBlobClient(`timers/besu-fleet-local/${fn.metadata.name}/status`);
    type TimerStatus = { Last: string; Next: string; LastUpdated: string };
    let status: TimerStatus | undefined;
    try {
      status = JSON.parse((await blob.downloadToBuffer()).toString("utf8")) as TimerStatus;
    } catch {
      status = undefined;
    }
    const fire = async (isPastDue: boolean): Promise<void> => {
      const now = new Date();
      const next = schedule.next(now);
      const current: TimerStatus = {
        Last: status?.Next ?? now.toISOString(),
        Next: next.toISOString(),
        LastUpdated: now.toISOString(),
      };
      try {
        await invokeFunction(
          app.registry,
          fn,
          {
            json: JSON.stringify({
              Schedule: { AdjustForDST: true },
              ScheduleStatus: status ?? null,
              IsPastDue: isPastDue,
            }),
          },
          { extraInputs: extraInputsFor(fn), timeout: functionTimeout, log },
        );
      } catch (error) {
        log(`timer ${fn.metadata.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      status = current;
      const text = JSON.stringify(status);
      await blob.upload(text, Buffer.byteLength(text)).catch(() => undefined);
    };
    timersByName.set(fn.metadata.name, () => fire(false));
    const arm = (): void => {
      if (closing) return;
      const delay = Math.max(0, schedule.next(new Date()).getTime() - Date.now());
      timerHandles.push(setTimeout(() => void fire(false).finally(arm), Math.min(delay, 2 ** 31 - 1)));
    };
    const pastDue = status !== undefined && Date.parse(status.Next) < Date.now();
    if (pastDue || fn.trigger.runOnStartup === true) void fire(pastDue);
    arm();
  }

  log(`besu-fleet local host: ${app.servable.size} functions from ${options.appDir}; task hub ${hubName}`);
  return {
    baseUrl,
    keys,
    hubName,
    app,
    async close() {
      closing = true;
      for (const handle of timerHandles) clearTimeout(handle);
      await Promise.all([closeServer(server), closeServer(rpcServer)]);
      await engine.stop();
      await store.close();
      await app.registry.hooks.appTerminate();
    },
  };
}
