/**
 * A Besu node's HTTP ports as Besu serves them: `/liveness` and `/readiness` (Besu's
 * ReadinessCheck), Prometheus metrics, the host allowlist and JSON-RPC. Whoever forwards a
 * request to a node (the cluster's service proxy through {@link besuContainer}, the loopback
 * listeners, the chain gateway) comes through {@link serveNodeHttp}.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "@besu-fleet/local-support";
import type { RunningContainer } from "../kube/container-runtime.js";
import type { BesuNode } from "./node.js";
import { answerJsonRpc } from "./rpc.js";

/** The node as the cluster runs it: a container whose ports answer as above. */
export function besuContainer(node: BesuNode): RunningContainer {
  return {
    handleHttp: (port, req, res) => serveNodeHttp(node, port, req, res),
    stop: () => node.stop(),
  };
}

/** Serves a request that arrived on one of the node's ports; false when nothing listens there (or the node is down). */
export function serveNodeHttp(node: BesuNode, port: number, req: IncomingMessage, res: ServerResponse): boolean {
  if (!node.isUp()) return false;
  const options = node.config.options;
  if (options.metricsEnabled && port === options.metricsPort) {
    serveMetrics(node, req, res);
    return true;
  }
  if (!options.rpcHttpEnabled || port !== options.rpcHttpPort) return false;
  if (!hostAllowed(node, req.headers.host)) {
    res.writeHead(403, { "content-type": "text/plain" }).end("Host not authorized.");
    return true;
  }
  const url = new URL(req.url ?? "/", "http://besu");
  if (req.method === "GET" && url.pathname === "/liveness") {
    sendJson(res, 200, { status: "UP" });
    return true;
  }
  if (req.method === "GET" && url.pathname === "/readiness") {
    const ready = isReady(node, url.searchParams);
    sendJson(res, ready ? 200 : 503, { status: ready ? "UP" : "DOWN" });
    return true;
  }
  if (req.method !== "POST") {
    res.writeHead(404, { "content-type": "text/plain" }).end("Not Found");
    return true;
  }
  readBody(req)
    .then(
      async (body) => {
        const answer = await answerJsonRpc(node, body.toString("utf8"));
        sendJson(res, answer.status, answer.body);
      },
      () => res.writeHead(413, { "content-type": "text/plain" }).end("Request Entity Too Large"),
    )
    .catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  return true;
}

/** Besu's ReadinessCheck: enough peers (unless P2P is off) and not too far behind while syncing. */
function isReady(node: BesuNode, query: URLSearchParams): boolean {
  const parse = (name: string, fallback: number): number | undefined => {
    const raw = query.get(name);
    if (raw === null) return fallback;
    return /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
  };
  const minPeers = parse("minPeers", 1);
  const maxBlocksBehind = parse("maxBlocksBehind", 2);
  if (minPeers === undefined || maxBlocksBehind === undefined) return false;
  if (node.config.options.p2pEnabled && node.peers().length < minPeers) return false;
  const sync = node.syncStatus();
  return sync === undefined || sync.highestBlock - sync.currentBlock <= maxBlocksBehind;
}

function hostAllowed(node: BesuNode, hostHeader: string | undefined): boolean {
  const allowlist = node.config.options.hostAllowlist;
  if (allowlist.includes("*")) return true;
  if (hostHeader === undefined) return false;
  const hostname = hostHeader.startsWith("[") ? hostHeader.slice(1, hostHeader.indexOf("]")) : hostHeader.split(":")[0];
  return allowlist.some((allowed) => allowed.toLowerCase() === hostname.toLowerCase());
}

function serveMetrics(node: BesuNode, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== "GET" || !(req.url ?? "/").startsWith("/metrics")) {
    res.writeHead(404).end();
    return;
  }
  const lines = [
    "# TYPE ethereum_blockchain_height gauge",
    `ethereum_blockchain_height ${node.head}`,
    "# TYPE ethereum_peer_count gauge",
    `ethereum_peer_count ${node.peers().length}`,
  ];
  res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
