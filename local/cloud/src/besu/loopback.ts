/**
 * Loopback HTTP listeners that expose each running node's RPC port directly (for debugging and
 * for the control API's node list), next to the normal path through the cluster's service proxy.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { BesuNode } from "./node.js";
import { serveNodeHttp } from "./node-http.js";

export class LoopbackRpcServers {
  private readonly servers = new Map<BesuNode, { server: Server; url: Promise<string> }>();

  /** Starts a listener for the node's RPC port; the URL resolves once it listens. */
  open(node: BesuNode): void {
    const server = createServer((req, res) => {
      if (!serveNodeHttp(node, node.config.options.rpcHttpPort, req, res)) {
        // What a client sees when nothing listens behind a forwarded port.
        res.writeHead(502, { "content-type": "text/plain" }).end("Connection refused");
      }
    });
    const url = new Promise<string>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    });
    url.catch(() => undefined);
    this.servers.set(node, { server, url });
  }

  /** The node's loopback URL, or undefined when it has none (RPC off or not running). */
  url(node: BesuNode): Promise<string> | undefined {
    return this.servers.get(node)?.url;
  }

  close(node: BesuNode): Promise<void> {
    const entry = this.servers.get(node);
    if (entry === undefined) return Promise.resolve();
    this.servers.delete(node);
    entry.server.closeAllConnections();
    return new Promise((resolve) => entry.server.close(() => resolve()));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((node) => this.close(node)));
  }
}
