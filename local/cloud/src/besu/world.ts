/**
 * All simulated Besu nodes of one simulated cloud: which container is which node, who is peered
 * with whom, the networks (one per genesis hash) and the faults injected into them. A single timer
 * drives block production for every network while any node runs.
 */
import type { ParsedEnode } from "@besu-fleet/qbft";
import type { ContainerEnvironment, ContainerStart, PodEndpoint, PodLocation } from "../kube/container-runtime.js";
import type { EvmAccount } from "../evm/ganache.js";
import { LoopbackRpcServers } from "./loopback.js";
import { BesuNode, type NodeHost } from "./node.js";
import { besuContainer } from "./node-http.js";
import { configureNode, imageOf, type GeneratedKeyStore } from "./node-config.js";
import { QbftNetwork } from "./network.js";
import { BesuStartupError } from "./options.js";

/** Marks a halt of every chain. */
const ALL_CHAINS = "*";

/** Wall-clock interval of the production timer. */
const TICK_WALL_MS = 20;
/** Connectivity is recomputed at most this often (wall ms) unless something changed. */
const TOPOLOGY_REFRESH_WALL_MS = 200;

/** `<subscription>/<resourceGroup>/<cluster>` in lower case, as the cloud keys clusters. */
export function clusterKeyOf(location: PodLocation): string {
  return `${location.subscriptionId}/${location.resourceGroup}/${location.clusterName}`.toLowerCase();
}

/** Identifies a pod across clusters. */
export function podKeyOf(location: PodLocation): string {
  return `${clusterKeyOf(location)}/${location.namespace}/${location.podName}`;
}

/** What a data directory (the pod's PVC) keeps across container restarts. */
interface DataDirectory {
  genesisHash: string;
  head: number;
}

/** Options of a Besu world. */
export interface BesuWorldOptions {
  /** Simulated time runs this many times faster than wall time. */
  timeScale: number;
  /** Accounts funded on every network's EVM besides the genesis alloc (the simulator's deployer). */
  fundedAccounts: readonly EvmAccount[];
  /** Give every node with RPC enabled a loopback URL (see {@link BesuWorld.loopbackUrl}). */
  loopbackRpc: boolean;
  /** The cloud's log (model errors end up here instead of crashing the process). */
  log(line: string): void;
}

export class BesuWorld implements NodeHost {
  private readonly nodes = new Map<string, BesuNode>();
  private readonly networks = new Map<string, QbftNetwork>();
  private readonly dataDirectories = new Map<string, DataDirectory>();
  private readonly generatedKeys: GeneratedKeyStore = new Map();
  private readonly stoppedPods = new Set<string>();
  private readonly lags = new Map<string, number>();
  /** `<cluster key> <image>` of images whose containers crash at start in that cluster. */
  private readonly crashingImages = new Set<string>();
  private readonly partitionedRegions = new Set<string>();
  /** Chain ids (decimal) whose networks produce no blocks; {@link ALL_CHAINS} for every chain. */
  private readonly haltedChains = new Set<string>();
  private peers = new Map<BesuNode, Set<BesuNode>>();
  private components = new Map<BesuNode, BesuNode[]>();
  private producingGroups = new Map<QbftNetwork, BesuNode[] | undefined>();
  private topologyRefreshedAt = 0;
  private topologyDirty = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly wallAtStart = Date.now();
  private readonly loopback = new LoopbackRpcServers();

  constructor(private readonly options: BesuWorldOptions) {}

  /** Simulated now, in ms since the epoch (wall time at creation, then `timeScale` times faster). */
  simulatedNowMs(): number {
    return this.wallAtStart + (Date.now() - this.wallAtStart) * this.options.timeScale;
  }

  /** Starts a Besu container, or refuses as Besu would (the kubelet then restarts it with back-off). */
  start(environment: ContainerEnvironment): ContainerStart {
    const podKey = podKeyOf(environment.location);
    const id = `${podKey}/${environment.containerName}`;
    try {
      const image = imageOf(environment);
      if (this.crashingImages.has(`${clusterKeyOf(environment.location)} ${image}`))
        throw new BesuStartupError(`Besu ${image} exited at start (simulated crashImage fault)`);
      const dataKey = `${podKey}:${environment.containerName}`;
      const config = configureNode(environment, dataKey, this.generatedKeys);
      const stored = this.dataDirectories.get(dataKey);
      if (stored !== undefined && stored.genesisHash !== config.genesis.hash) {
        throw new BesuStartupError(
          `Supplied genesis block does not match chain data stored in ${config.options.dataPath}.`,
        );
      }
      let network = this.networks.get(config.genesis.hash);
      if (network === undefined) {
        network = new QbftNetwork(config.genesis, this.options.fundedAccounts);
        network.halted = this.isChainHalted(config.genesis.chainId);
        this.networks.set(config.genesis.hash, network);
      }
      const directory = stored ?? { genesisHash: config.genesis.hash, head: 0 };
      this.dataDirectories.set(dataKey, directory);
      const node = new BesuNode(this, environment, config, network, directory, podKey);
      environment.log(`Starting Besu ${config.clientVersion}`);
      environment.log(
        `Genesis hash ${config.genesis.hash}, chain id ${config.genesis.chainId}, ${config.genesis.validators.length} validators`,
      );
      environment.log(`Enode URL ${node.enodeUrl()}`);
      environment.log(`Node address ${config.identity.address}`);
      this.nodes.set(id, node);
      if (this.options.loopbackRpc && config.options.rpcHttpEnabled) this.loopback.open(node);
      this.topologyDirty = true;
      this.ensureTimer();
      return { started: true, container: besuContainer(node) };
    } catch (error) {
      if (!(error instanceof BesuStartupError)) throw error;
      environment.log(error.message);
      return { started: false, exitCode: 1, reason: "Error", message: error.message };
    }
  }

  /** Called by a node's container when it stops. */
  unregister(node: BesuNode): void {
    if (this.nodes.get(node.id) === node) this.nodes.delete(node.id);
    void this.loopback.close(node);
    this.topologyDirty = true;
    if (this.nodes.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private ensureTimer(): void {
    this.timer ??= setInterval(() => {
      try {
        this.tick();
      } catch (error) {
        // A timer callback that throws would take the whole simulated cloud down.
        this.options.log(`besu: network model step failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }, TICK_WALL_MS);
  }

  /** The loopback RPC URL of a running node (when loopback listeners are on and its RPC is enabled). */
  loopbackUrl(node: BesuNode): Promise<string> | undefined {
    return this.loopback.url(node);
  }

  /** Running nodes (every container that started, stopped-by-fault ones included). */
  runningNodes(): BesuNode[] {
    return [...this.nodes.values()];
  }

  /** All networks ever started, by genesis hash. */
  allNetworks(): QbftNetwork[] {
    return [...this.networks.values()];
  }

  peersOf(node: BesuNode): BesuNode[] {
    return [...(this.peers.get(node) ?? [])];
  }

  isPodStopped(podKey: string): boolean {
    return this.stoppedPods.has(podKey);
  }

  lagOf(podKey: string): number {
    return this.lags.get(podKey) ?? 0;
  }

  // ---- faults -------------------------------------------------------------------------------

  /** Stops (true) or restarts (false) the Besu process of a pod: it drops out of the network and stops answering. */
  setPodStopped(podKey: string, stopped: boolean): void {
    if (stopped) this.stoppedPods.add(podKey);
    else this.stoppedPods.delete(podKey);
    this.topologyDirty = true;
  }

  /** Makes new containers of an image in a cluster crash at start (true), or start again (false). */
  setImageCrashing(clusterKey: string, image: string, crashing: boolean): void {
    const key = `${clusterKey} ${image}`;
    if (crashing) this.crashingImages.add(key);
    else this.crashingImages.delete(key);
  }

  /** Keeps a pod's node `blocks` behind the network (0 clears). */
  setLag(podKey: string, blocks: number): void {
    if (blocks > 0) this.lags.set(podKey, blocks);
    else this.lags.delete(podKey);
  }

  /** Cuts (true) or restores (false) all P2P links between a region and the others. */
  setRegionPartitioned(region: string, partitioned: boolean): void {
    if (partitioned) this.partitionedRegions.add(region.toLowerCase());
    else this.partitionedRegions.delete(region.toLowerCase());
    this.topologyDirty = true;
  }

  /**
   * Halts or resumes block production of the networks of a chain (all chains when `chainId` is
   * undefined), including networks that start later.
   */
  setHalted(halted: boolean, chainId?: bigint): void {
    const key = chainId === undefined ? ALL_CHAINS : chainId.toString();
    if (key === ALL_CHAINS) this.haltedChains.clear();
    if (halted) this.haltedChains.add(key);
    else this.haltedChains.delete(key);
    for (const network of this.networks.values()) network.halted = this.isChainHalted(network.genesis.chainId);
  }

  private isChainHalted(chainId: bigint): boolean {
    return this.haltedChains.has(ALL_CHAINS) || this.haltedChains.has(chainId.toString());
  }

  /** Active faults, for the control API. */
  faults(): {
    stoppedPods: string[];
    crashingImages: string[];
    lags: Record<string, number>;
    partitionedRegions: string[];
    haltedChains: string[];
  } {
    return {
      stoppedPods: [...this.stoppedPods],
      crashingImages: [...this.crashingImages],
      lags: Object.fromEntries(this.lags),
      partitionedRegions: [...this.partitionedRegions],
      haltedChains: [...this.haltedChains],
    };
  }

  // ---- topology -----------------------------------------------------------------------------

  private nodeAt(endpoint: PodEndpoint): BesuNode | undefined {
    return this.nodes.get(`${podKeyOf(endpoint.location)}/${endpoint.containerName}`);
  }

  private crossesPartition(a: BesuNode, b: BesuNode): boolean {
    return this.partitionedRegions.has(a.region) !== this.partitionedRegions.has(b.region);
  }

  /** The node that dialling `enode` from `from` reaches, if the TCP connection and handshake succeed. */
  private dial(from: BesuNode, enode: ParsedEnode): BesuNode | undefined {
    let endpoints: PodEndpoint[];
    try {
      endpoints = from.environment.resolve(enode.host.replace(/^\[|\]$/g, ""), enode.port);
    } catch {
      return undefined;
    }
    for (const endpoint of endpoints) {
      const target = this.nodeAt(endpoint);
      if (target === undefined || target === from || !target.isUp() || !target.config.options.p2pEnabled) continue;
      if (target.config.options.p2pPort !== endpoint.port || target.identity.enodeId !== enode.enodeId) continue;
      if (this.crossesPartition(from, target)) continue;
      return target;
    }
    return undefined;
  }

  private refreshTopology(): void {
    const live = [...this.nodes.values()].filter((node) => node.isUp() && node.config.options.p2pEnabled);
    const contacts = new Map<BesuNode, Set<BesuNode>>(live.map((node) => [node, new Set<BesuNode>()]));
    const link = (a: BesuNode, b: BesuNode): void => {
      contacts.get(a)?.add(b);
      contacts.get(b)?.add(a);
    };
    for (const node of live) {
      for (const enode of [...node.config.staticNodes, ...node.config.bootnodes]) {
        const target = this.dial(node, enode);
        if (target !== undefined) link(node, target);
      }
    }
    // Discovery: a node learns every node its discovery neighbourhood knows and dials their advertised enodes.
    const discovering = live.filter((node) => node.config.options.discoveryEnabled);
    const neighbourhood = connectedComponents(discovering, (node) =>
      [...(contacts.get(node) ?? [])].filter((peer) => peer.config.options.discoveryEnabled),
    );
    for (const node of discovering) {
      for (const other of neighbourhood.get(node) ?? []) {
        if (other === node || contacts.get(node)?.has(other)) continue;
        const target = this.dial(node, other.advertisedEnode());
        if (target !== undefined) link(node, target);
      }
    }
    this.peers = new Map(
      live.map((node) => [
        node,
        new Set([...(contacts.get(node) ?? [])].filter((peer) => peer.network === node.network)),
      ]),
    );
    this.components = connectedComponents(live, (node) => [...(this.peers.get(node) ?? [])]);
    this.producingGroups = new Map(
      [...this.networks.values()].map((network) => {
        const members = live.filter((node) => node.network === network);
        return [network, network.producingGroup(members, (a, b) => this.peers.get(a)?.has(b) === true)];
      }),
    );
    this.topologyDirty = false;
    this.topologyRefreshedAt = Date.now();
  }

  /** One step of the model: connectivity, block production, block propagation. */
  tick(): void {
    if (this.topologyDirty || Date.now() - this.topologyRefreshedAt >= TOPOLOGY_REFRESH_WALL_MS) this.refreshTopology();
    const now = this.simulatedNowMs();
    for (const network of this.networks.values()) network.advance(now, this.producingGroups.get(network));
    const visited = new Set<BesuNode>();
    for (const [node, component] of this.components) {
      if (visited.has(node)) continue;
      component.forEach((member) => visited.add(member));
      const network = node.network;
      const group = this.producingGroups.get(network);
      const producing = group !== undefined && !network.halted && component.some((member) => group.includes(member));
      const known = producing ? network.height : Math.max(...component.map((member) => member.head));
      for (const member of component) member.catchUp(Math.min(known, network.height - this.lagOf(member.podKey)));
    }
  }

  /** Stops the timer and every network's EVM. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.loopback.closeAll();
    await Promise.all([...this.networks.values()].map((network) => network.close()));
  }
}

/** Maps every vertex to the list of vertices of its connected component. */
function connectedComponents<T>(vertices: readonly T[], neighbours: (vertex: T) => T[]): Map<T, T[]> {
  const result = new Map<T, T[]>();
  for (const start of vertices) {
    if (result.has(start)) continue;
    const component: T[] = [];
    const seen = new Set<T>([start]);
    const queue = [start];
    for (let index = 0; index < queue.length; index += 1) {
      const current = queue[index];
      component.push(current);
      for (const next of neighbours(current)) {
        if (!seen.has(next) && vertices.includes(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    for (const vertex of component) result.set(vertex, component);
  }
  return result;
}
