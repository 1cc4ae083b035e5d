/**
 * JSON-RPC to an EVM chain (Chain 138 through its RPC URL, mainnet through a provider), with the
 * one classifier of this adapter: HTTP 429 and 5xx, resets and timeouts are transient (429 with
 * its Retry-After); a revert is permanent and carries its reason, decoded from the revert data
 * with the contract's ABI (custom errors included) by the caller through {@link RevertError}.
 * The URL may hold a provider's API key, so it never appears in an error message.
 */
import { z } from "zod";
import { classifyHttpStatus, classifyNetworkError, ClassifiedError, parseRetryAfter } from "../errors.js";
import { withDeadline } from "../retry.js";

/** Per request: a chain answers in milliseconds; only a stalled endpoint takes this long. */
const REQUEST_TIMEOUT_MS = 15_000;

/** A transaction or call the chain refused because the EVM reverted it. */
export class RevertError extends Error {
  override name = "RevertError";
  constructor(
    message: string,
    /** The revert data (0x…), when the node returned it. */
    readonly data: string | undefined,
  ) {
    super(message);
  }
}

const responseSchema = z.object({
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).optional(),
});

/** Revert data as nodes report it: a hex string, or nested ({data: "0x…"} in some clients). */
function revertData(data: unknown): string | undefined {
  if (typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data)) return data;
  if (typeof data === "object" && data !== null && "data" in data) return revertData(data.data);
  return undefined;
}

const REVERT = /revert/i;
/** Errors whose message says the request can never succeed as it is. */
const PERMANENT_MESSAGES = /insufficient funds|intrinsic gas too low|exceeds block gas limit|invalid sender|chain ?id/i;

export class EvmRpc {
  private nextId = 1;

  constructor(
    private readonly url: string,
    /** Names the chain in messages (the URL is not shown: it may carry a key). */
    private readonly chainName: string,
  ) {}

  /** One call; throws RevertError for a revert and ClassifiedError for everything else. */
  async call(method: string, params: unknown[] = []): Promise<unknown> {
    const step = `${method} on ${this.chainName}`;
    let response: Response;
    let text: string;
    try {
      ({ response, text } = await withDeadline(REQUEST_TIMEOUT_MS, step, async (signal) => {
        const answer = await fetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params }),
          signal,
        });
        return { response: answer, text: await answer.text() };
      }));
    } catch (error) {
      const classification = classifyNetworkError(error) ?? {
        retryable: true,
        kind: "network" as const,
        code: "RequestFailed",
        message: error instanceof Error ? error.message : String(error),
      };
      throw new ClassifiedError(step, classification);
    }
    if (!response.ok) {
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      throw new ClassifiedError(
        step,
        classifyHttpStatus(response.status, `Http${response.status}`, text.slice(0, 200), retryAfterMs),
      );
    }
    const parsed = responseSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new ClassifiedError(step, {
        retryable: true,
        kind: "rpc",
        code: "BadResponse",
        message: "not a JSON-RPC response",
      });
    const { error, result } = parsed.data;
    if (error === undefined) return result;
    const data = revertData(error.data);
    if (REVERT.test(error.message) || error.code === 3) throw new RevertError(error.message, data);
    const retryable = !PERMANENT_MESSAGES.test(error.message) && ![-32600, -32601, -32602].includes(error.code);
    throw new ClassifiedError(step, { retryable, kind: "rpc", code: String(error.code), message: error.message });
  }

  async quantity(method: string, params: unknown[] = []): Promise<bigint> {
    return BigInt(z.string().parse(await this.call(method, params)));
  }
}
