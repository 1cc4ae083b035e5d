/**
 * The EVM state of one simulated QBFT network (Chain 138). Transactions wait in the EVM's pool and
 * are mined only when the network model produces a block, one EVM block per network block, so a
 * halted network mines nothing. ganache spends some blocks on account setup; block numbers and
 * hashes are translated so that clients see the network's numbering and hashes everywhere.
 */
import { startEvm, type EvmAccount, type EvmProvider } from "./ganache.js";

/** An error a JSON-RPC client should receive as is (code, message, data). */
export class EvmRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "EvmRpcError";
  }
}

/** Methods answered by the EVM, by the position of their block-tag parameter (-1: none). */
export const EVM_METHODS: Readonly<Record<string, number>> = {
  eth_sendRawTransaction: -1,
  eth_call: 1,
  eth_estimateGas: 1,
  eth_gasPrice: -1,
  eth_maxPriorityFeePerGas: -1,
  eth_feeHistory: 1,
  eth_getCode: 1,
  eth_getBalance: 1,
  eth_getStorageAt: 2,
  eth_getTransactionCount: 1,
  eth_getTransactionReceipt: -1,
  eth_getTransactionByHash: -1,
  eth_getLogs: -1,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Maps network block numbers/hashes to the EVM's and back. */
interface Numbering {
  offset: number;
  hashOf(networkNumber: number): string | undefined;
}

function toEvmTag(tag: unknown, numbering: Numbering): unknown {
  if (tag === "earliest") return `0x${numbering.offset.toString(16)}`;
  if (typeof tag === "string" && /^0x[0-9a-fA-F]+$/.test(tag))
    return `0x${(Number(BigInt(tag)) + numbering.offset).toString(16)}`;
  return tag;
}

/** Rewrites blockNumber/blockHash fields in results (receipts, transactions, logs) to the network's. */
function fromEvmResult(value: unknown, numbering: Numbering): unknown {
  if (Array.isArray(value)) return value.map((item) => fromEvmResult(item, numbering));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = fromEvmResult(field, numbering);
  if (typeof value.blockNumber === "string" && /^0x[0-9a-fA-F]+$/.test(value.blockNumber)) {
    const networkNumber = Number(BigInt(value.blockNumber)) - numbering.offset;
    out.blockNumber = `0x${networkNumber.toString(16)}`;
    const hash = numbering.hashOf(networkNumber);
    if (hash !== undefined && "blockHash" in value) out.blockHash = hash;
  }
  return out;
}

/** The EVM of a network; create with {@link NetworkEvm.start}. */
export class NetworkEvm {
  private minedHeight = 0;
  private mining: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly provider: EvmProvider,
    private readonly numbering: Numbering,
  ) {}

  /**
   * Starts the EVM with the genesis accounts (plus any the simulator funds), catches up to the
   * network's current height, then mines only on {@link mineBlock}.
   */
  static async start(options: {
    chainId: number;
    gasLimit: bigint;
    accounts: readonly EvmAccount[];
    height: number;
    hashOf(networkNumber: number): string | undefined;
  }): Promise<NetworkEvm> {
    // ganache refuses block gas limits above 2^53-1 in its options; Besu genesis files often use exactly that.
    const gasLimit = options.gasLimit > 0x1fffffffffffffn ? 0x1fffffffffffffn : options.gasLimit;
    const { provider, setupBlocks } = await startEvm({
      chainId: options.chainId,
      gasLimit: `0x${gasLimit.toString(16)}`,
      accounts: options.accounts,
    });
    await provider.request({ method: "miner_stop", params: [] });
    // Caught up before anyone can send a transaction, which would otherwise land in a past block.
    if (options.height > 0) await provider.request({ method: "evm_mine", params: [{ blocks: options.height }] });
    const evm = new NetworkEvm(provider, { offset: setupBlocks, hashOf: options.hashOf });
    evm.minedHeight = options.height;
    return evm;
  }

  /** Mines EVM blocks up to the network's block `height` (pending transactions go into the first). */
  mineBlock(height: number, timestampSeconds: number | undefined): void {
    this.mining = this.mining
      .then(async () => {
        const missing = height - this.minedHeight;
        if (this.closed || missing <= 0) return;
        // Catching up (first start, or production faster than mining) mines the backlog in one call.
        await this.provider.request({
          method: "evm_mine",
          params: [{ blocks: missing, ...(timestampSeconds === undefined ? {} : { timestamp: timestampSeconds }) }],
        });
        this.minedHeight = height;
      })
      .catch(() => undefined);
  }

  /** Resolves once every block requested so far has been mined. */
  settled(): Promise<void> {
    return this.mining;
  }

  /** The EVM block (transactions, gas, roots) for a network block number, or null. */
  async block(networkNumber: number, fullTransactions: boolean): Promise<Record<string, unknown> | null> {
    await this.mining;
    const result = await this.provider.request({
      method: "eth_getBlockByNumber",
      params: [`0x${(networkNumber + this.numbering.offset).toString(16)}`, fullTransactions],
    });
    const translated = fromEvmResult(result, this.numbering);
    return isRecord(translated) ? translated : null;
  }

  /** Answers one of {@link EVM_METHODS} on this network's state. */
  async request(method: string, params: readonly unknown[]): Promise<unknown> {
    const tagIndex = EVM_METHODS[method];
    if (tagIndex === undefined) throw new EvmRpcError(-32601, "Method not found");
    let evmParams: unknown[] = [...params];
    if (tagIndex >= 0 && evmParams.length > tagIndex)
      evmParams[tagIndex] = toEvmTag(evmParams[tagIndex], this.numbering);
    if (method === "eth_getLogs" && isRecord(evmParams[0])) {
      const filter = { ...evmParams[0] };
      if (filter.fromBlock !== undefined) filter.fromBlock = toEvmTag(filter.fromBlock, this.numbering);
      if (filter.toBlock !== undefined) filter.toBlock = toEvmTag(filter.toBlock, this.numbering);
      evmParams = [filter, ...evmParams.slice(1)];
    }
    try {
      return fromEvmResult(await this.provider.request({ method, params: evmParams }), this.numbering);
    } catch (error) {
      throw besuStyleRevert(asRpcError(error));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.mining;
    await this.provider.disconnect();
  }
}

/** Besu words a revert as "Execution reverted[: reason]" (-32000, revert data in `data`); ganache does not. */
function besuStyleRevert(error: EvmRpcError): EvmRpcError {
  const revert = /^VM Exception while processing transaction: revert ?(.*)$/.exec(error.message);
  if (revert === null) return error;
  return new EvmRpcError(
    -32000,
    revert[1] === "" ? "Execution reverted" : `Execution reverted: ${revert[1]}`,
    error.data,
  );
}

/**
 * ganache words an unknown method as geth does ("The method … does not exist/is not available")
 * but throws it without geth's code, -32601, which is what tells a client not to retry.
 */
const UNKNOWN_METHOD = /^The method .* does not exist\/is not available$/;

/** Carries an EVM error's JSON-RPC code and revert data to the caller. */
export function asRpcError(error: unknown): EvmRpcError {
  if (error instanceof EvmRpcError) return error;
  const code =
    isRecord(error) && typeof error.code === "number"
      ? error.code
      : error instanceof Error && UNKNOWN_METHOD.test(error.message)
        ? -32601
        : -32000;
  const data =
    isRecord(error) && "data" in error
      ? isRecord(error.data) && typeof error.data.result === "string"
        ? error.data.result
        : error.data
      : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new EvmRpcError(code, message, data);
}
