/**
 * Pages of the task hub's orchestration instances whose id starts with a prefix, so that a query
 * reads only the instances it is about, one page at a time.
 *
 * NOTE: not through the durable-functions 3.5 client. Its getStatusBy sends only created-time and
 * runtime-status filters (no `instanceIdPrefix`, no `top`) and follows every continuation token
 * itself, so each call reads the whole task hub. The Durable extension's list endpoint takes
 * `instanceIdPrefix`, `top` and `x-ms-continuation-token` (HTTP API reference, "Get all instances
 * status"); this module calls it where the SDK calls the extension, at the client binding's
 * `rpcBaseUrl` (a loopback listener of the Functions host, no key), the same way the local host
 * serves it.
 */
import type { InvocationContext } from "@azure/functions";
import { z } from "zod";

/** The largest page the extension's Azure Storage backend returns: one table query page. */
export const MAX_PAGE_SIZE = 1000;
/** A loopback call to the host; one page that takes longer means the host is in trouble. */
const CALL_TIMEOUT_MS = 30_000;

const bindingSchema = z.object({ rpcBaseUrl: z.url() });

const instanceSchema = z.object({
  name: z.string(),
  instanceId: z.string(),
  runtimeStatus: z.string(),
  customStatus: z.unknown(),
  output: z.unknown(),
  createdTime: z.string(),
  lastUpdatedTime: z.string(),
});

/** One instance as the list endpoint describes it (without input or history). */
export type InstanceSummary = z.output<typeof instanceSchema>;

export interface InstancePage {
  instances: InstanceSummary[];
  /** Where the next page starts; absent on the last page. A page may be short, even empty, while more follow. */
  continuationToken?: string;
}

export class InstancePages {
  private constructor(private readonly listUrl: URL) {}

  /** The task hub of a durable client function's invocation (its client binding). */
  static of(context: InvocationContext): InstancePages {
    const input = context.options.extraInputs.find((candidate) => candidate.type === "durableClient");
    const binding = bindingSchema.safeParse(input === undefined ? undefined : context.extraInputs.get(input));
    if (!binding.success)
      throw new Error(`function ${context.functionName} has no durable client binding with an rpcBaseUrl`);
    return new InstancePages(new URL("instances/", binding.data.rpcBaseUrl));
  }

  /** At most `top` instances whose id starts with `prefix`, from `continuationToken` on. */
  async page(prefix: string, top: number, continuationToken?: string): Promise<InstancePage> {
    const url = new URL(this.listUrl);
    url.search = new URLSearchParams({ instanceIdPrefix: prefix, top: String(top), showInput: "false" }).toString();
    const response = await fetch(url, {
      headers: continuationToken === undefined ? {} : { "x-ms-continuation-token": continuationToken },
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    if (response.status !== 200)
      throw new Error(
        `listing instances '${prefix}*' answered HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`,
      );
    const instances = z.array(instanceSchema).parse(await response.json());
    // The extension sends the header on every page, empty on the last.
    const next = response.headers.get("x-ms-continuation-token");
    return { instances, ...(next ? { continuationToken: next } : {}) };
  }

  /** Every instance whose id starts with `prefix`, page by page. */
  async *all(prefix: string): AsyncGenerator<InstanceSummary> {
    let continuationToken: string | undefined;
    do {
      const page = await this.page(prefix, MAX_PAGE_SIZE, continuationToken);
      yield* page.instances;
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
  }
}
