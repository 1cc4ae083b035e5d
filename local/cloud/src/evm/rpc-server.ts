/** A loopback JSON-RPC endpoint in front of an in-process EVM (single requests and batches). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readBody } from "@besu-fleet/local-support";
import type { AddressInfo } from "node:net";
import type { EvmProvider } from "./ganache.js";
import { asRpcError } from "./network-evm.js";
import type { EvmChainName, EvmRequestFaults } from "./request-faults.js";

async function answer(provider: EvmProvider, request: unknown): Promise<Record<string, unknown>> {
  const call: Record<string, unknown> =
    typeof request === "object" && request !== null && !Array.isArray(request) ? { ...request } : {};
  const id = typeof call.id === "string" || typeof call.id === "number" ? call.id : null;
  if (typeof call.method !== "string")
    return { jsonrpc: "2.0", id, error: { code: -32600, message: "Invalid Request" } };
  try {
    const params = Array.isArray(call.params) ? call.params : [];
    return { jsonrpc: "2.0", id, result: await provider.request({ method: call.method, params }) };
  } catch (error) {
    const failure = asRpcError(error);
    return {
      jsonrpc: "2.0",
      id,
      error:
        failure.data === undefined
          ? { code: failure.code, message: failure.message }
          : { code: failure.code, message: failure.message, data: failure.data },
    };
  }
}

/** A started endpoint. */
export interface EvmRpcServer {
  url: string;
  close(): Promise<void>;
}

/** Answers one HTTP request (a JSON-RPC call or batch) from the provider. */
async function serve(provider: EvmProvider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    res
      .writeHead(400, { "content-type": "application/json" })
      .end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }));
    return;
  }
  const result = Array.isArray(parsed)
    ? await Promise.all(parsed.map((item) => answer(provider, item)))
    : await answer(provider, parsed);
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result));
}

/** Serves the provider on 127.0.0.1 at a free port, with the cloud's fault rules for `chain` if given. */
export async function serveEvm(
  provider: EvmProvider,
  faulty?: { faults: EvmRequestFaults; chain: EvmChainName },
): Promise<EvmRpcServer> {
  const server: Server = createServer((req, res) => {
    (faulty === undefined ? Promise.resolve(false) : faulty.faults.intercept(faulty.chain, req, res))
      .then(async (answered) => {
        if (!answered) await serve(provider, req, res);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
