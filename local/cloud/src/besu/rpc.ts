/**
 * A Besu node's JSON-RPC: the methods the control plane relies on, answered from the network
 * model (chain, peers, validators) or the network's EVM (state, transactions), with Besu's API
 * group gating (-32604), unknown methods (-32601), parse errors (-32700) and batches.
 */
import { z } from "zod";
import { EMPTY_TRIE_ROOT, genesisStateRoot, QBFT_MIX_HASH, rlpEncode, toHex, toQuantity } from "@besu-fleet/qbft";
import { keccak_256 } from "@besu-fleet/qbft";
import { EVM_METHODS, EvmRpcError, asRpcError } from "../evm/network-evm.js";
import type { SimBlock } from "./network.js";
import type { BesuNode } from "./node.js";

/** An HTTP answer to a JSON-RPC request body. */
export interface RpcAnswer {
  status: number;
  body: unknown;
}

type RpcId = string | number | null;

class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

const INVALID_PARAMS = (detail: string): RpcFailure => new RpcFailure(-32602, `Invalid params: ${detail}`);
const EMPTY_OMMERS_HASH = toHex(keccak_256(rlpEncode([])));
const EMPTY_BLOOM = toHex(new Uint8Array(256));

/** Method → the API group that must be enabled for it. */
const METHOD_GROUPS: Readonly<Record<string, string>> = {
  eth_chainId: "ETH",
  eth_blockNumber: "ETH",
  eth_getBlockByNumber: "ETH",
  eth_getBlockByHash: "ETH",
  eth_syncing: "ETH",
  eth_accounts: "ETH",
  eth_coinbase: "ETH",
  eth_mining: "ETH",
  ...Object.fromEntries(Object.keys(EVM_METHODS).map((method) => [method, "ETH"])),
  net_version: "NET",
  net_peerCount: "NET",
  net_listening: "NET",
  net_enode: "NET",
  web3_clientVersion: "WEB3",
  web3_sha3: "WEB3",
  admin_nodeInfo: "ADMIN",
  admin_peers: "ADMIN",
  qbft_getValidatorsByBlockNumber: "QBFT",
  qbft_getValidatorsByBlockHash: "QBFT",
  qbft_getSignerMetrics: "QBFT",
  qbft_getPendingVotes: "QBFT",
  qbft_proposeValidatorVote: "QBFT",
  qbft_discardValidatorVote: "QBFT",
};

const requestSchema = z.object({
  jsonrpc: z.literal("2.0").optional(),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
  method: z.string(),
  params: z.array(z.unknown()).optional(),
});

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .transform((value) => value.toLowerCase());
const blockTag = z.union([
  z.enum(["latest", "earliest", "pending", "safe", "finalized"]),
  z.string().regex(/^0x[0-9a-fA-F]+$/),
]);

function parseParams<T>(schema: z.ZodType<T>, params: readonly unknown[]): T {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw INVALID_PARAMS(parsed.error.issues[0]?.message ?? "invalid");
  return parsed.data;
}

/** The block number a tag names on this node (undefined when beyond its head). */
function blockNumberOf(node: BesuNode, tag: string): number | undefined {
  if (tag === "earliest") return 0;
  if (!tag.startsWith("0x")) return node.head;
  const number = Number(BigInt(tag));
  return number <= node.head ? number : undefined;
}

async function blockJson(node: BesuNode, block: SimBlock, fullTransactions: boolean): Promise<Record<string, unknown>> {
  const network = node.network;
  const genesis = network.genesis;
  const json: Record<string, unknown> = {
    number: toQuantity(block.number),
    hash: block.hash,
    mixHash: QBFT_MIX_HASH,
    parentHash: block.parentHash,
    nonce: "0x0000000000000000",
    sha3Uncles: EMPTY_OMMERS_HASH,
    logsBloom: EMPTY_BLOOM,
    transactionsRoot: toHex(EMPTY_TRIE_ROOT),
    stateRoot: toHex(genesisStateRoot(genesis.accounts)),
    receiptsRoot: toHex(EMPTY_TRIE_ROOT),
    miner: block.proposer,
    difficulty: "0x1",
    totalDifficulty: toQuantity(block.number + 1),
    extraData: block.extraData,
    size: toQuantity(Math.floor(block.extraData.length / 2) + 508),
    gasLimit: toQuantity(genesis.gasLimit),
    gasUsed: "0x0",
    timestamp: toQuantity(block.timestamp),
    uncles: [],
    transactions: [],
  };
  if (block.number > 0 && network.hasEvm()) {
    const evmBlock = await (await network.evmState()).block(block.number, fullTransactions);
    if (evmBlock !== null) {
      for (const field of [
        "transactions",
        "gasUsed",
        "gasLimit",
        "stateRoot",
        "transactionsRoot",
        "receiptsRoot",
        "logsBloom",
        "baseFeePerGas",
      ]) {
        if (evmBlock[field] !== undefined) json[field] = evmBlock[field];
      }
    }
  }
  return json;
}

function signerMetrics(node: BesuNode, params: readonly unknown[]): unknown {
  const [fromTag, toTag] = parseParams(z.tuple([blockTag.optional(), blockTag.optional()]), params);
  const to = toTag === undefined ? node.head : (blockNumberOf(node, toTag) ?? node.head);
  const from = fromTag === undefined ? Math.max(1, to - 99) : Math.max(1, blockNumberOf(node, fromTag) ?? 1);
  const metrics = new Map<string, { count: number; last: number }>(
    node.network.validatorsAfter(to).map((validator) => [validator, { count: 0, last: 0 }]),
  );
  for (let number = from; number <= to; number += 1) {
    const proposer = node.network.blocks[number].proposer;
    const entry = metrics.get(proposer) ?? { count: 0, last: 0 };
    metrics.set(proposer, { count: entry.count + 1, last: number });
  }
  return [...metrics].map(([signer, entry]) => ({
    address: signer,
    proposedBlockCount: toQuantity(entry.count),
    lastProposedBlockNumber: toQuantity(entry.last),
  }));
}

function peerJson(node: BesuNode, peer: BesuNode): Record<string, unknown> {
  return {
    version: "0x5",
    name: peer.config.clientVersion,
    caps: ["eth/68", "snap/1", "istanbul/100"],
    network: {
      localAddress: `${node.environment.location.podIP}:${node.config.options.p2pPort}`,
      remoteAddress: `${peer.advertisedEnode().host}:${peer.config.options.p2pPort}`,
      inbound: false,
    },
    port: toQuantity(peer.config.options.p2pPort),
    id: `0x${peer.identity.enodeId}`,
    protocols: {
      eth: { difficulty: toQuantity(peer.head + 1), head: node.network.blocks[peer.head].hash, version: 68 },
    },
    enode: peer.enodeUrl(),
  };
}

async function callMethod(node: BesuNode, method: string, params: readonly unknown[]): Promise<unknown> {
  const network = node.network;
  const options = node.config.options;
  const networkId = options.networkId ?? Number(network.genesis.chainId);
  switch (method) {
    case "eth_chainId":
      return toQuantity(network.genesis.chainId);
    case "eth_blockNumber":
      return toQuantity(node.head);
    case "eth_syncing": {
      const sync = node.syncStatus();
      return sync === undefined
        ? false
        : {
            startingBlock: toQuantity(sync.startingBlock),
            currentBlock: toQuantity(sync.currentBlock),
            highestBlock: toQuantity(sync.highestBlock),
          };
    }
    case "eth_getBlockByNumber": {
      const [tag, full] = parseParams(z.tuple([blockTag, z.boolean()]), params);
      const number = blockNumberOf(node, tag);
      return number === undefined ? null : blockJson(node, network.blocks[number], full);
    }
    case "eth_getBlockByHash": {
      const [hash, full] = parseParams(z.tuple([z.string(), z.boolean()]), params);
      const block = network.blocks.slice(0, node.head + 1).find((candidate) => candidate.hash === hash.toLowerCase());
      return block === undefined ? null : blockJson(node, block, full);
    }
    case "eth_accounts":
      return [];
    case "eth_coinbase":
      return node.address;
    case "eth_mining":
      return network.currentValidators().includes(node.address);
    case "net_version":
      return String(networkId);
    case "net_peerCount":
      return toQuantity(node.peers().length);
    case "net_listening":
      return options.p2pEnabled;
    case "net_enode":
      if (!options.p2pEnabled)
        throw new RpcFailure(-32000, "P2P has been disabled. This functionality is not available");
      return node.enodeUrl();
    case "web3_clientVersion":
      return node.config.clientVersion;
    case "web3_sha3": {
      const [data] = parseParams(z.tuple([z.string().regex(/^0x([0-9a-fA-F]{2})*$/)]), params);
      return toHex(keccak_256(Buffer.from(data.slice(2), "hex")));
    }
    case "admin_nodeInfo": {
      const enode = node.advertisedEnode();
      return {
        enode: node.enodeUrl(),
        id: enode.enodeId,
        ip: enode.host,
        listenAddr: `${enode.host}:${enode.port}`,
        name: node.config.clientVersion,
        ports: { discovery: enode.port, listener: enode.port },
        protocols: {
          eth: {
            config: { chainId: Number(network.genesis.chainId) },
            difficulty: toQuantity(node.head + 1),
            genesis: network.genesis.hash,
            head: network.blocks[node.head].hash,
            network: networkId,
          },
        },
      };
    }
    case "admin_peers":
      return node.peers().map((peer) => peerJson(node, peer));
    case "qbft_getValidatorsByBlockNumber": {
      const [tag] = parseParams(z.tuple([blockTag]), params);
      const number = blockNumberOf(node, tag);
      return number === undefined ? null : network.validatorsAfter(number);
    }
    case "qbft_getValidatorsByBlockHash": {
      const [hash] = parseParams(z.tuple([z.string()]), params);
      const block = network.blocks.slice(0, node.head + 1).find((candidate) => candidate.hash === hash.toLowerCase());
      return block === undefined ? null : network.validatorsAfter(block.number);
    }
    case "qbft_getSignerMetrics":
      return signerMetrics(node, params);
    case "qbft_getPendingVotes":
      return Object.fromEntries(node.pendingVotes());
    case "qbft_proposeValidatorVote": {
      const [target, add] = parseParams(z.tuple([address, z.boolean()]), params);
      node.proposeVote(target, add);
      return true;
    }
    case "qbft_discardValidatorVote": {
      const [target] = parseParams(z.tuple([address]), params);
      node.discardVote(target);
      return true;
    }
    default:
      return (await network.evmState()).request(method, params);
  }
}

const GROUP_PREFIXES: Readonly<Record<string, string>> = {
  admin: "ADMIN",
  clique: "CLIQUE",
  debug: "DEBUG",
  eea: "EEA",
  eth: "ETH",
  ibft: "IBFT",
  miner: "MINER",
  net: "NET",
  perm: "PERM",
  plugins: "PLUGINS",
  priv: "PRIV",
  qbft: "QBFT",
  trace: "TRACE",
  txpool: "TXPOOL",
  web3: "WEB3",
};

async function answerOne(node: BesuNode, request: unknown): Promise<Record<string, unknown>> {
  const parsed = requestSchema.safeParse(request);
  if (!parsed.success) return { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request" } };
  const id: RpcId = parsed.data.id ?? null;
  const method = parsed.data.method;
  const enabled = node.config.options.rpcHttpApis;
  const group = METHOD_GROUPS[method];
  try {
    if (group === undefined) {
      // Besu knows more methods than the simulator models: in a disabled group they are "not enabled".
      const prefixGroup = GROUP_PREFIXES[method.split("_")[0]];
      if (prefixGroup !== undefined && !enabled.includes(prefixGroup))
        throw new RpcFailure(-32604, "Method not enabled");
      throw new RpcFailure(-32601, "Method not found");
    }
    if (!enabled.includes(group)) throw new RpcFailure(-32604, "Method not enabled");
    const result = await callMethod(node, method, parsed.data.params ?? []);
    return { jsonrpc: "2.0", id, result };
  } catch (error) {
    const failure = error instanceof RpcFailure ? error : error instanceof EvmRpcError ? error : asRpcError(error);
    const body: Record<string, unknown> = { code: failure.code, message: failure.message };
    if (failure.data !== undefined) body.data = failure.data;
    return { jsonrpc: "2.0", id, error: body };
  }
}

/** Answers an HTTP JSON-RPC body (single request or batch) as Besu does. */
export async function answerJsonRpc(node: BesuNode, body: string): Promise<RpcAnswer> {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    return { status: 400, body: { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } } };
  }
  if (Array.isArray(request)) {
    if (request.length === 0)
      return { status: 400, body: { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request" } } };
    return { status: 200, body: await Promise.all(request.map((item) => answerOne(node, item))) };
  }
  const answer = await answerOne(node, request);
  const invalid =
    typeof answer.error === "object" && answer.error !== null && "code" in answer.error && answer.error.code === -32600;
  return { status: invalid ? 400 : 200, body: answer };
}
