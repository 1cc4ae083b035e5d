/** Small HTTP helpers shared by the simulator's servers (ARM, Kubernetes, Key Vault, control). */
import type { IncomingMessage, ServerResponse, Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { ServerCertificate } from "./tls.js";

export { BodyTooLargeError, readBody } from "@besu-fleet/local-support";

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    ...(text === "" ? {} : { "Content-Type": "application/json; charset=utf-8" }),
    "Content-Length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** Listens on an ephemeral loopback port and returns it. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("server has no TCP address");
  return address.port;
}

/** Stops accepting connections and drops the open ones (keep-alive clients would hold it open otherwise). */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/**
 * An HTTPS server on an ephemeral loopback port, with the certificate every simulated server uses:
 * the lifecycle ARM, each cluster's Kubernetes API and the Key Vault share.
 */
export class LoopbackHttpsServer {
  private readonly server: Server;
  private url = "";

  /** `admits`: whether a connection from this address is let in; the others are dropped before TLS. */
  constructor(
    certificate: ServerCertificate,
    handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    admits: (remoteAddress: string | undefined) => boolean = () => true,
  ) {
    this.server = createHttpsServer({ cert: certificate.certPem, key: certificate.keyPem }, (req, res) => {
      void handle(req, res);
    });
    this.server.on("connection", (socket: Socket) => {
      if (!admits(socket.remoteAddress)) socket.destroy();
    });
  }

  /** `https://127.0.0.1:<port>` once started. */
  get baseUrl(): string {
    return this.url;
  }

  /** Listens on a free loopback port; returns the base URL. */
  async start(): Promise<string> {
    this.url = `https://127.0.0.1:${await listenOnLoopback(this.server)}`;
    return this.url;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
