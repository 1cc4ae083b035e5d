/**
 * One loopback URL per chain id (`http://127.0.0.1:<port>/chain/<id>`) that forwards each
 * JSON-RPC request to a running node of that chain: the most advanced one that is up and serves
 * RPC. This is the "Chain 138 RPC URL" of cloud.json; the nodes themselves are reached through
 * their clusters' service proxies. The cloud's `evm` fault rules (chain `chain138`) apply here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EvmRequestFaults } from "../evm/request-faults.js";
import type { BesuNode } from "./node.js";
import { serveNodeHttp } from "./node-http.js";
import type { BesuWorld } from "./world.js";

export class ChainGateway {
  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  /** `faults`: the cloud's `evm` fault rules, seen by each request before it is forwarded (none when absent). */
  static async start(world: () => BesuWorld | undefined, faults?: EvmRequestFaults): Promise<ChainGateway> {
    const server = createServer((req, res) => {
      (faults === undefined ? Promise.resolve(false) : faults.intercept("chain138", req, res))
        .then((answered) => {
          if (!answered) forward(world(), req, res);
        })
        .catch(() => {
          if (!res.headersSent) res.writeHead(500).end();
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return new ChainGateway(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  /** The URL for one chain. */
  chainUrl(chainId: number | bigint): string {
    return `${this.baseUrl}/chain/${chainId}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Hands a request to a running node of the chain its path names. */
function forward(world: BesuWorld | undefined, req: IncomingMessage, res: ServerResponse): void {
  const match = /^\/chain\/(\d+)(\/.*)?$/.exec(new URL(req.url ?? "/", "http://gateway").pathname);
  const node = match === null ? undefined : pickNode(world, BigInt(match[1]));
  if (match === null || node === undefined) {
    res.writeHead(503, { "content-type": "application/json" }).end(
      JSON.stringify({
        jsonrpc: "2.0",
        id: null,
        error: { code: -32000, message: "no running node of this chain serves RPC" },
      }),
    );
    return;
  }
  req.url = match[2] ?? "/";
  if (!serveNodeHttp(node, node.config.options.rpcHttpPort, req, res)) res.writeHead(502).end();
}

function pickNode(world: BesuWorld | undefined, chainId: bigint): BesuNode | undefined {
  const candidates = (world?.runningNodes() ?? []).filter(
    (node) =>
      node.isUp() &&
      node.config.options.rpcHttpEnabled &&
      node.network.genesis.chainId === chainId &&
      node.config.options.rpcHttpApis.includes("ETH"),
  );
  return candidates.sort((a, b) => b.head - a.head)[0];
}
