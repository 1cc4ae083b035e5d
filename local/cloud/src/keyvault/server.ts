/**
 * The simulated Key Vault's data plane over HTTPS (the loopback certificate every simulated server
 * uses): the path every request takes before its key route (routes.ts) answers it. In order:
 * the challenge — a request without a bearer token gets 401 with `WWW-Authenticate: Bearer
 * authorization="…/<tenant>", resource="https://vault.azure.net"`, which @azure/keyvault-common's
 * policy answers by fetching a token for that resource and retrying; any bearer token then counts,
 * as on the simulated ARM, and names the caller for the role check — then the api-version, then
 * the injected faults of target `keyvault` (latency, reset, 429, 5xx); afterwards one entry in the
 * operation log. Clients on 127.0.0.1 must set `disableChallengeResourceVerification`, since the
 * challenge's resource (vault.azure.net) is not the vault's host; a real vault never needs it.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimClock } from "../clock.js";
import type { FaultInjector } from "../faults.js";
import { LoopbackHttpsServer, readBody, sendJson } from "../http.js";
import type { OperationLog } from "../oplog.js";
import type { ServerCertificate } from "../tls.js";
import { routeKeyRequest, VaultError, type KeyRoutes } from "./routes.js";

/** The audience Key Vault's challenge names (Azure public cloud). */
export const KEY_VAULT_RESOURCE = "https://vault.azure.net";

/** API versions of the keys data plane the simulator answers: the 7.x line and @azure/keyvault-keys 4.10's default. */
const API_VERSIONS = new Set(["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"]);

export interface VaultServerOptions extends KeyRoutes {
  tenantId: string;
  certificate: ServerCertificate;
  faults: FaultInjector;
  operationLog: OperationLog;
  clock: SimClock;
  log: (line: string) => void;
}

export class VaultServer {
  private readonly https: LoopbackHttpsServer;

  constructor(private readonly options: VaultServerOptions) {
    this.https = new LoopbackHttpsServer(options.certificate, (req, res) => this.handle(req, res));
  }

  /** Listens on a free loopback port; returns the vault URL, `https://127.0.0.1:<port>`. */
  start(): Promise<string> {
    return this.https.start();
  }

  close(): Promise<void> {
    return this.https.close();
  }

  private get baseUrl(): string {
    return this.https.baseUrl;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", this.baseUrl);
    let fault: string | undefined;
    let status: number | string;
    try {
      const answer = await this.answer(req, method, url, (description) => (fault = description));
      if (answer === "reset") {
        req.socket.destroy();
        status = "reset";
      } else {
        sendJson(res, answer.status, answer.body, { ...answer.headers, "x-ms-request-id": randomUUID() });
        status = answer.status;
      }
    } catch (error) {
      if (!(error instanceof VaultError))
        this.options.log(
          `keyvault: ${method} ${url.pathname} failed: ${error instanceof Error ? error.stack : String(error)}`,
        );
      const vaultError =
        error instanceof VaultError ? error : new VaultError(500, "InternalServerError", "The vault failed to answer.");
      sendJson(res, vaultError.status, vaultError.body(), { ...vaultError.headers, "x-ms-request-id": randomUUID() });
      status = vaultError.status;
    }
    this.options.operationLog.record({
      time: new Date(started).toISOString(),
      target: "keyvault",
      operation: `${method} ${url.pathname}`,
      status,
      durationMs: Date.now() - started,
      throttled: status === 429,
      ...(fault === undefined ? {} : { fault }),
    });
  }

  private async answer(
    req: IncomingMessage,
    method: string,
    url: URL,
    noteFault: (description: string) => void,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> } | "reset"> {
    const principal = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
    if (principal === undefined) {
      // The body of the challenge request is not read: the client sends it again with the token.
      req.resume();
      const error = new VaultError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
      error.headers["WWW-Authenticate"] =
        `Bearer authorization="https://login.microsoftonline.com/${this.options.tenantId}", resource="${KEY_VAULT_RESOURCE}"`;
      throw error;
    }
    checkApiVersion(url.searchParams.get("api-version"));
    const { faults } = this.options;
    const latency = faults.latencyMs("keyvault", undefined);
    if (latency > 0) await this.options.clock.sleepWall(latency);
    const injected = faults.decide("keyvault", undefined);
    if (injected.kind !== "none") noteFault(injected.description);
    if (injected.kind === "reset") return "reset";
    if (injected.kind === "429") {
      const error = new VaultError(429, "Throttled", "Request was not allowed because application is being throttled.");
      error.headers["Retry-After"] = "1";
      throw error;
    }
    if (injected.kind === "5xx")
      throw new VaultError(injected.status, "ServiceUnavailable", "The service is temporarily unavailable.");
    const [collection, ...segments] = url.pathname.split("/").slice(1).map(decodeURIComponent);
    if (collection !== "keys")
      throw new VaultError(404, "NotFound", `The simulated vault serves only /keys; '${url.pathname}' is not there.`);
    return routeKeyRequest(this.options, {
      method,
      segments,
      principal,
      vaultUrl: this.baseUrl,
      readJson: () => readJson(req),
    });
  }
}

function checkApiVersion(version: string | null): void {
  if (version === null || version === "")
    throw new VaultError(400, "BadParameter", "The 'api-version' query parameter is missing.");
  if (!API_VERSIONS.has(version))
    throw new VaultError(
      400,
      "BadParameter",
      `The specified version (${version}) is not recognized. Consider using the latest supported version (2025-07-01).`,
    );
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const raw = (await readBody(req)).toString("utf8");
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new VaultError(400, "BadParameter", "The request body is not valid JSON.");
  }
}
