/**
 * The fault rules' `evm` target (local/cloud/src/faults.ts) at the simulated chains' JSON-RPC
 * endpoints: Chain 138's gateway and the mainnet stand-in. A rule's `region` names the chain
 * (`chain138` or `mainnet`). Faults answer as hosted RPC providers do: 429 with `Retry-After` and
 * the JSON-RPC "limit exceeded" error (-32005) in the body, a bare 5xx from the load balancer, or
 * a connection reset. Every request is logged (target `evm`) with the fault that shaped it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimClock } from "../clock.js";
import type { FaultInjector } from "../faults.js";
import type { OperationLog } from "../oplog.js";

/** The simulated chains, as fault rules and the operation log name them. */
export type EvmChainName = "chain138" | "mainnet";

export class EvmRequestFaults {
  constructor(
    private readonly parts: {
      faults: Pick<FaultInjector, "decide" | "latencyMs">;
      operationLog: OperationLog;
      clock: Pick<SimClock, "sleepWall">;
    },
  ) {}

  /**
   * Logs the request once answered, applies latency, and answers it with an injected fault when a
   * rule says so: true when it did (the caller must not answer), false to serve it normally.
   */
  async intercept(chain: EvmChainName, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const started = Date.now();
    const { faults, clock } = this.parts;
    const injected = faults.decide("evm", chain);
    const fault = injected.kind === "none" ? undefined : injected.description;
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      this.parts.operationLog.record({
        time: new Date(started).toISOString(),
        target: "evm",
        region: chain,
        operation: `${req.method ?? "POST"} JSON-RPC`,
        status: res.headersSent ? res.statusCode : "reset",
        durationMs: Date.now() - started,
        throttled: res.headersSent && res.statusCode === 429,
        ...(fault === undefined ? {} : { fault }),
      });
    };
    // `finish` (the answer handed to the socket) comes before the client can read the answer, so
    // the log has it when the client looks; a reset connection only ever `close`s.
    res.once("finish", record);
    res.once("close", record);
    const latency = faults.latencyMs("evm", chain);
    if (latency > 0) await clock.sleepWall(latency);
    if (injected.kind === "none") return false;
    if (injected.kind === "reset") {
      req.socket.destroy();
      return true;
    }
    // The body is not read; drained so the connection can serve the client's next request.
    req.resume();
    if (injected.kind === "429")
      res
        .writeHead(429, { "content-type": "application/json", "retry-after": "1" })
        .end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32005, message: "limit exceeded" } }));
    else res.writeHead(injected.status, { "content-type": "text/plain" }).end("upstream unavailable");
    return true;
  }
}
