/**
 * One exchange with a cluster's API server over HTTPS, authenticated by @kubernetes/client-node's
 * KubeConfig (CA, token or client certificate from the kubeconfig AKS returns), on keep-alive
 * connections. A connection holds one version of the cluster's credentials; KubeCluster replaces
 * it when the API server refuses them.
 */
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node" with { "resolution-mode": "import" };
import { ClassifiedError, parseRetryAfter } from "../errors.js";
import { KubeStatusError, safeJson, statusBodySchema } from "./errors.js";

type KubeModule = typeof import("@kubernetes/client-node", { with: { "resolution-mode": "import" } });
let kubeModule: Promise<KubeModule> | undefined;

/** @kubernetes/client-node 2.x is an ES module; this CommonJS app loads it once, dynamically. */
export function loadKubeModule(): Promise<KubeModule> {
  kubeModule ??= import("@kubernetes/client-node");
  return kubeModule;
}

/** A kubeconfig (YAML) loaded; a parse failure says only that, never what the document holds. */
export async function parseKubeconfig(kubeconfig: string): Promise<KubeConfig> {
  const { KubeConfig: KubeConfigClass } = await loadKubeModule();
  const kubeConfig = new KubeConfigClass();
  try {
    kubeConfig.loadFromString(kubeconfig);
  } catch {
    // The parser's message quotes the document, which holds credentials: say only what failed.
    throw new ClassifiedError("load kubeconfig", {
      retryable: false,
      kind: "invalid",
      code: "InvalidKubeconfig",
      message: "the cluster's kubeconfig could not be parsed",
    });
  }
  return kubeConfig;
}

/**
 * Starts loading the module when the app starts rather than inside the first activity that talks
 * to a cluster: evaluating it takes tens of milliseconds of the one thread that also answers HTTP
 * requests (a status poll waited behind it). A failure surfaces where the module is used.
 */
export function preloadKubeModule(): void {
  loadKubeModule().catch(() => undefined);
}

/**
 * Idle keep-alive connections are dropped after this, before servers drop them (Node's HTTP
 * server after 5 s; Azure's load balancers after minutes), so that a reuse rarely meets a closed one.
 */
const IDLE_CONNECTION_MS = 2_000;
const MAX_STALE_CONNECTION_ATTEMPTS = 3;

/** A request on a reused keep-alive connection that the server had already closed. */
class StaleConnectionError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

export interface KubeResponse {
  status: number;
  text: string;
  json: unknown;
}

/** What to send besides method and path. */
export interface KubeExchange {
  body?: { text: string; contentType: string };
  /** Through the API server's proxy: a service behind it answers errors in its own format. */
  proxied: boolean;
}

/**
 * A keep-alive agent with the kubeconfig's TLS material, or undefined when the cluster is reached
 * through a proxy (the client's own proxy agent stays in charge then). The client's agent does not
 * keep connections alive, so every request would pay a new TCP connection and TLS handshake:
 * verification alone makes hundreds of requests per cluster round.
 */
async function keepAliveAgent(kubeConfig: KubeConfig): Promise<HttpsAgent | undefined> {
  if (kubeConfig.getCurrentCluster()?.proxyUrl !== undefined) return undefined;
  const tls: RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(tls);
  return new HttpsAgent({
    keepAlive: true,
    timeout: IDLE_CONNECTION_MS,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    pfx: tls.pfx,
    passphrase: tls.passphrase,
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
  });
}

/** One cluster's API server, reached with the credentials of a kubeconfig held only here. */
export class KubeConnection {
  private constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly server: string,
    private readonly agent: HttpsAgent | undefined,
  ) {}

  /** Builds a connection from a kubeconfig (YAML); trusts the CA in it and nothing else. */
  static async fromKubeconfig(kubeconfig: string): Promise<KubeConnection> {
    const kubeConfig = await parseKubeconfig(kubeconfig);
    const server = kubeConfig.getCurrentCluster()?.server;
    if (server === undefined) throw new Error("the kubeconfig names no current cluster");
    return new KubeConnection(kubeConfig, server.replace(/\/$/, ""), await keepAliveAgent(kubeConfig));
  }

  /** One HTTPS request, given up when `signal` aborts; throws KubeStatusError for non-2xx answers. */
  async exchange(method: string, path: string, exchange: KubeExchange, signal: AbortSignal): Promise<KubeResponse> {
    const options: RequestOptions = { method, signal, headers: {} };
    // Per request, so that credentials a plugin refreshes (exec, OIDC) are current.
    await this.kubeConfig.applyToHTTPSOptions(options);
    if (this.agent !== undefined) options.agent = this.agent;
    const headers: Record<string, string> = { Accept: "application/json" };
    const { body } = exchange;
    if (body !== undefined) {
      headers["Content-Type"] = body.contentType;
      headers["Content-Length"] = String(Buffer.byteLength(body.text));
    }
    options.headers = { ...options.headers, ...headers };
    const send = (): Promise<{ status: number; text: string; retryAfter?: string }> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest(`${this.server}${path}`, options, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const retryAfter = res.headers["retry-after"];
            resolve({
              status: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString("utf8"),
              ...(typeof retryAfter === "string" ? { retryAfter } : {}),
            });
          });
        });
        req.on("error", (error: NodeJS.ErrnoException) =>
          reject(req.reusedSocket && error.code === "ECONNRESET" ? new StaleConnectionError(error) : error),
        );
        if (body !== undefined) req.write(body.text);
        req.end();
      });
    let response: { status: number; text: string; retryAfter?: string } | undefined;
    for (let attempt = 1; response === undefined; attempt++) {
      try {
        response = await send();
      } catch (error) {
        // The server closed an idle keep-alive connection as we reused it: the request never
        // reached it, so sending again is safe whatever the method (the pattern Node's
        // documentation gives). Each such connection is gone after its error, so a few attempts
        // exhaust the stale ones.
        if (!(error instanceof StaleConnectionError)) throw error;
        if (attempt >= MAX_STALE_CONNECTION_ATTEMPTS) throw error.cause;
      }
    }
    const json = safeJson(response.text);
    if (response.status >= 400) {
      const status = statusBodySchema.safeParse(json);
      const reason = status.success ? (status.data.reason ?? `Http${response.status}`) : `Http${response.status}`;
      // The API server answers every error with a Status; anything else came from behind its proxy.
      const source = status.success || !exchange.proxied ? "apiServer" : "proxiedService";
      throw new KubeStatusError(
        response.status,
        reason,
        status.success ? (status.data.message ?? reason) : `${method} ${path} answered ${response.status}`,
        parseRetryAfter(response.retryAfter),
        source,
      );
    }
    return { status: response.status, text: response.text, json };
  }

  /** Closes the idle keep-alive connections (the connection is being dropped). */
  close(): void {
    this.agent?.destroy();
  }
}
