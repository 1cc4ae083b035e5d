/** One running Besu container: its identity, its view of the chain and its HTTP ports. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { enodeUrl, type NodeIdentity, type ParsedEnode } from "@besu-fleet/qbft";
import type { ContainerEnvironment, RunningContainer } from "../kube/container-runtime.js";
import type { NetworkMember, QbftNetwork } from "./network";
import type { NodeConfig } from "./node-config";
import { readBody } from "@besu-fleet/local-support";
import { answerJsonRpc, type RpcAnswer } from "./rpc";
import type { BesuWorld } from "./world";

/** Largest JSON-RPC request body accepted (Besu's default HTTP body limit is of this order). */

/** Sync progress as eth_syncing reports it. */
export interface SyncStatus {
  startingBlock: number;
  currentBlock: number;
  highestBlock: number;
}

export class BesuNode implements NetworkMember, RunningContainer {
  readonly id: string;
  readonly region: string;
  private readonly votes = new Map<string, boolean>();
  private syncStartingBlock: number | undefined;
  private running = true;

  constructor(
    private readonly world: BesuWorld,
    readonly environment: ContainerEnvironment,
    readonly config: NodeConfig,
    readonly network: QbftNetwork,
    private readonly dataDirectory: { head: number },
    readonly podKey: string,
  ) {
    this.id = `${podKey}/${environment.containerName}`;
    this.region = environment.location.region.toLowerCase();
  }

  get identity(): NodeIdentity {
    return this.config.identity;
  }

  get address(): string {
    return this.config.identity.address;
  }

  get privateKey(): string {
    return this.config.privateKey;
  }

  /** Highest block this node has. */
  get head(): number {
    return this.dataDirectory.head;
  }

  isUp(): boolean {
    return this.running && !this.world.isPodStopped(this.podKey);
  }

  pendingVotes(): ReadonlyMap<string, boolean> {
    return this.votes;
  }

  proposeVote(address: string, add: boolean): void {
    this.votes.set(address, add);
  }

  discardVote(address: string): void {
    this.votes.delete(address);
  }

  peers(): BesuNode[] {
    return this.isUp() ? this.world.peersOf(this) : [];
  }

  /** Takes the blocks its peers offer, up to `height`. */
  catchUp(height: number): void {
    if (height > this.dataDirectory.head) this.dataDirectory.head = height;
  }

  /** Syncing while the network is ahead of this node (the node hears of it or is cut off from it). */
  syncStatus(): SyncStatus | undefined {
    const highest = this.network.height;
    if (this.head >= highest) {
      this.syncStartingBlock = undefined;
      return undefined;
    }
    this.syncStartingBlock ??= this.head;
    return { startingBlock: this.syncStartingBlock, currentBlock: this.head, highestBlock: highest };
  }

  /** The enode this node advertises: `--p2p-host` (or its pod IP) and `--p2p-port`. */
  advertisedEnode(): ParsedEnode {
    return { enodeId: this.identity.enodeId, host: this.config.options.p2pHost ?? this.environment.location.podIP, port: this.config.options.p2pPort };
  }

  enodeUrl(): string {
    const enode = this.advertisedEnode();
    return enodeUrl(enode.enodeId, enode.host, enode.port);
  }

  handleHttp(port: number, req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.isUp()) return false;
    const options = this.config.options;
    if (options.metricsEnabled && port === options.metricsPort) {
      this.serveMetrics(req, res);
      return true;
    }
    if (!options.rpcHttpEnabled || port !== options.rpcHttpPort) return false;
    if (!this.hostAllowed(req.headers.host)) {
      res.writeHead(403, { "content-type": "text/plain" }).end("Host not authorized.");
      return true;
    }
    const url = new URL(req.url ?? "/", "http://besu");
    if (req.method === "GET" && url.pathname === "/liveness") {
      sendJson(res, 200, { status: "UP" });
      return true;
    }
    if (req.method === "GET" && url.pathname === "/readiness") {
      const ready = this.isReady(url.searchParams);
      sendJson(res, ready ? 200 : 503, { status: ready ? "UP" : "DOWN" });
      return true;
    }
    if (req.method !== "POST") {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found");
      return true;
    }
    readBody(req).then(
      async (body) => {
        const answer = await answerJsonRpc(this, body.toString("utf8"));
        sendRpc(res, answer);
      },
      () => res.writeHead(413, { "content-type": "text/plain" }).end("Request Entity Too Large"),
    ).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
    return true;
  }

  /** Besu's ReadinessCheck: enough peers (unless P2P is off) and not too far behind while syncing. */
  isReady(query: URLSearchParams): boolean {
    const parse = (name: string, fallback: number): number | undefined => {
      const raw = query.get(name);
      if (raw === null) return fallback;
      return /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
    };
    const minPeers = parse("minPeers", 1);
    const maxBlocksBehind = parse("maxBlocksBehind", 2);
    if (minPeers === undefined || maxBlocksBehind === undefined) return false;
    if (this.config.options.p2pEnabled && this.peers().length < minPeers) return false;
    const sync = this.syncStatus();
    return sync === undefined || sync.highestBlock - sync.currentBlock <= maxBlocksBehind;
  }

  private hostAllowed(hostHeader: string | undefined): boolean {
    const allowlist = this.config.options.hostAllowlist;
    if (allowlist.includes("*")) return true;
    if (hostHeader === undefined) return false;
    const hostname = hostHeader.startsWith("[") ? hostHeader.slice(1, hostHeader.indexOf("]")) : hostHeader.split(":")[0];
    return allowlist.some((allowed) => allowed.toLowerCase() === hostname.toLowerCase());
  }

  private serveMetrics(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "GET" || !(req.url ?? "/").startsWith("/metrics")) {
      res.writeHead(404).end();
      return;
    }
    const lines = [
      "# TYPE ethereum_blockchain_height gauge",
      `ethereum_blockchain_height ${this.head}`,
      "# TYPE ethereum_peer_count gauge",
      `ethereum_peer_count ${this.peers().length}`,
    ];
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
  }

  stop(): void {
    this.running = false;
    this.world.unregister(this);
  }
}


function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function sendRpc(res: ServerResponse, answer: RpcAnswer): void {
  sendJson(res, answer.status, answer.body);
}
