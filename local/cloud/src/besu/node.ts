/**
 * One running Besu node: its identity, its view of the chain (head, sync status, pending validator
 * votes) and its peers. Its HTTP ports are `node-http.ts`; the world it runs in reaches it only
 * through {@link NodeHost}, so that this module imports neither.
 */
import { enodeUrl, type NodeIdentity, type ParsedEnode } from "@besu-fleet/qbft";
import type { ContainerEnvironment } from "../kube/container-runtime.js";
import type { NetworkMember, QbftNetwork } from "./network.js";
import type { NodeConfig } from "./node-config.js";

/** What a node needs from the world it runs in: injected faults, its peers, and word that it stopped. */
export interface NodeHost {
  isPodStopped(podKey: string): boolean;
  peersOf(node: BesuNode): BesuNode[];
  unregister(node: BesuNode): void;
}

/** Sync progress as eth_syncing reports it. */
export interface SyncStatus {
  startingBlock: number;
  currentBlock: number;
  highestBlock: number;
}

export class BesuNode implements NetworkMember {
  readonly id: string;
  readonly region: string;
  private readonly votes = new Map<string, boolean>();
  private syncStartingBlock: number | undefined;
  private running = true;

  constructor(
    private readonly host: NodeHost,
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
    return this.running && !this.host.isPodStopped(this.podKey);
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
    return this.isUp() ? this.host.peersOf(this) : [];
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
    return {
      enodeId: this.identity.enodeId,
      host: this.config.options.p2pHost ?? this.environment.location.podIP,
      port: this.config.options.p2pPort,
    };
  }

  enodeUrl(): string {
    const enode = this.advertisedEnode();
    return enodeUrl(enode.enodeId, enode.host, enode.port);
  }

  stop(): void {
    this.running = false;
    this.host.unregister(this);
  }
}
