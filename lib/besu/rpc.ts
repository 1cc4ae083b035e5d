/**
 * JSON-RPC to Besu nodes, as verification needs it. Transport-agnostic: in a rollout the calls go
 * through the cluster API server's service proxy (see lib/kube), so no node RPC is exposed.
 */
import { z } from "zod";
import { classifyNetworkError, type ErrorClassification } from "../errors.js";

/** Sends one JSON-RPC request body and returns the parsed response body. */
export type JsonRpcTransport = (body: {
  jsonrpc: "2.0";
  id: number;
  method: string;
  params: unknown[];
}) => Promise<unknown>;

/** An error object in a JSON-RPC response. */
export class JsonRpcError extends Error {
  override name = "JsonRpcError";
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(`${method}: ${message} (${code})`);
  }
}

/** Codes meaning the request itself is wrong or not served: retrying changes nothing. */
const PERMANENT_RPC_CODES = new Set([-32700, -32600, -32601, -32602, -32604]);

/**
 * The one classifier for JSON-RPC: error objects by code (method missing, not enabled, bad
 * params are permanent; internal and server errors transient), network errors transient.
 */
export function classifyJsonRpcError(error: unknown): ErrorClassification {
  if (error instanceof JsonRpcError) {
    return PERMANENT_RPC_CODES.has(error.code)
      ? { retryable: false, kind: "rpc", code: String(error.code), message: error.message }
      : { retryable: true, kind: "rpc", code: String(error.code), message: error.message };
  }
  return (
    classifyNetworkError(error) ?? {
      retryable: false,
      kind: "unknown",
      code: error instanceof Error ? error.name : "Unknown",
      message: error instanceof Error ? error.message : String(error),
    }
  );
}

/**
 * The methods BesuRpc uses that only read a node's state: a request made of these alone may be
 * sent again when its answer was lost. Votes change what the node proposes, so they are not here.
 */
const READ_ONLY_METHODS = new Set([
  "eth_chainId",
  "eth_getBlockByNumber",
  "eth_blockNumber",
  "eth_syncing",
  "net_peerCount",
  "admin_peers",
  "qbft_getValidatorsByBlockNumber",
  "web3_clientVersion",
]);

const requestMethodSchema = z.object({ method: z.string() }).loose();

/** Whether a JSON-RPC request body (one call or a batch) only reads. */
export function isReadOnlyJsonRpc(body: unknown): boolean {
  const calls = Array.isArray(body) ? body : [body];
  return (
    calls.length > 0 &&
    calls.every((call) => {
      const parsed = requestMethodSchema.safeParse(call);
      return parsed.success && READ_ONLY_METHODS.has(parsed.data.method);
    })
  );
}

const responseSchema = z.object({
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string() }).optional(),
});

const quantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]+$/)
  .transform((value) => Number(BigInt(value)));
const blockSchema = z.object({ hash: z.string() }).loose();
const peersSchema = z.array(z.object({ id: z.string().optional(), enode: z.string().optional() }).loose());
const addressesSchema = z.array(z.string());

export class BesuRpc {
  private nextId = 1;

  constructor(private readonly transport: JsonRpcTransport) {}

  /** One call; throws JsonRpcError for an error response. */
  async call(method: string, params: unknown[] = []): Promise<unknown> {
    const response = responseSchema.parse(await this.transport({ jsonrpc: "2.0", id: this.nextId++, method, params }));
    if (response.error !== undefined) throw new JsonRpcError(method, response.error.code, response.error.message);
    return response.result;
  }

  async chainId(): Promise<string> {
    return z.string().parse(await this.call("eth_chainId"));
  }

  /** Hash of block 0: the genesis every node of one network must share. */
  async genesisHash(): Promise<string> {
    return blockSchema.parse(await this.call("eth_getBlockByNumber", ["0x0", false])).hash;
  }

  async blockNumber(): Promise<number> {
    return quantity.parse(await this.call("eth_blockNumber"));
  }

  /** eth_syncing answers false, or an object while syncing. */
  async syncing(): Promise<boolean> {
    return (await this.call("eth_syncing")) !== false;
  }

  async peerCount(): Promise<number> {
    return quantity.parse(await this.call("net_peerCount"));
  }

  /** Public keys (0x + 128 lowercase hex) of the directly connected peers, from their enodes. */
  async peerPublicKeys(): Promise<string[]> {
    return peersSchema.parse(await this.call("admin_peers")).flatMap((peer) => {
      const id = /^enode:\/\/([0-9a-fA-F]{128})@/.exec(peer.enode ?? "")?.[1] ?? peer.id?.replace(/^0x/, "");
      return id !== undefined && /^[0-9a-fA-F]{128}$/.test(id) ? [`0x${id.toLowerCase()}`] : [];
    });
  }

  /** Validators at a block tag (latest, pending…), lowercase. */
  async validators(tag: "latest" | "pending"): Promise<string[]> {
    return addressesSchema
      .parse(await this.call("qbft_getValidatorsByBlockNumber", [tag]))
      .map((address) => address.toLowerCase());
  }

  /** Proposes adding (true) or removing (false) a validator; the node puts the vote into the blocks it proposes. */
  async proposeValidatorVote(address: string, add: boolean): Promise<void> {
    await this.call("qbft_proposeValidatorVote", [address, add]);
  }

  /** Withdraws this node's pending vote on a validator (none pending is not an error). */
  async discardValidatorVote(address: string): Promise<void> {
    await this.call("qbft_discardValidatorVote", [address]);
  }

  async clientVersion(): Promise<string> {
    return z.string().parse(await this.call("web3_clientVersion"));
  }
}
