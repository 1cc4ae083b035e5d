/** What one Besu node says about itself, gathered for network verification. */
import { z } from "zod";
import type { NodeSelfReport } from "../domain/verification.js";
import { BesuRpc, JsonRpcError, type JsonRpcTransport } from "./rpc.js";

type JsonRpcRequestBody = Parameters<JsonRpcTransport>[0];

/** Sends several request bodies as one JSON-RPC batch and returns the response body. */
export type JsonRpcBatchSender = (bodies: JsonRpcRequestBody[]) => Promise<unknown>;

const batchAnswerSchema = z.array(z.object({ id: z.unknown() }).loose());

/**
 * A transport that sends the calls issued in the same turn as one JSON-RPC batch (Besu answers
 * batches). Observing a node asks about ten questions at once, and through the API server's
 * service proxy each HTTP request costs far more than its answer. A failed batch fails each call
 * in it with the batch's error.
 */
export function batchingTransport(send: JsonRpcBatchSender): JsonRpcTransport {
  let queued: { body: JsonRpcRequestBody; resolve: (answer: unknown) => void; reject: (error: unknown) => void }[] = [];
  const flush = async (batch: typeof queued): Promise<void> => {
    try {
      const answers = new Map(
        batchAnswerSchema.parse(await send(batch.map((call) => call.body))).map((answer) => [answer.id, answer]),
      );
      for (const call of batch) {
        const answer = answers.get(call.body.id);
        if (answer === undefined) call.reject(new Error(`${call.body.method}: no answer in the batch`));
        else call.resolve(answer);
      }
    } catch (error) {
      for (const call of batch) call.reject(error);
    }
  };
  return (body) =>
    new Promise((resolve, reject) => {
      queued.push({ body, resolve, reject });
      if (queued.length > 1) return;
      queueMicrotask(() => {
        const batch = queued;
        queued = [];
        void flush(batch);
      });
    });
}

/**
 * What to ask: everything verification checks, or only the head (with eth_chainId, which decides
 * reachability) — verification's first sample needs nothing else, and it is read from every node.
 */
export type ObservationScope = "heads" | "full";

/** Methods whose group a node may legitimately not serve (sentries have no ADMIN). */
function notServed(error: unknown): boolean {
  return error instanceof JsonRpcError && (error.code === -32604 || error.code === -32601);
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Asks one node everything verification checks, all at once. A node that does not answer
 * eth_chainId is unreachable; other failures are reported in `error` without hiding what did
 * answer.
 */
export async function observeNode(
  rpc: BesuRpc,
  readiness: () => Promise<boolean>,
  scope: ObservationScope = "full",
): Promise<NodeSelfReport> {
  const report: NodeSelfReport = { reachable: true };
  const problems: string[] = [];
  let unreachable: { cause: unknown } | undefined;
  const ask = async <K extends keyof NodeSelfReport>(
    field: K,
    question: () => Promise<NodeSelfReport[K]>,
  ): Promise<void> => {
    try {
      report[field] = await question();
    } catch (error) {
      if (!notServed(error)) problems.push(`${String(field)}: ${messageOf(error)}`);
    }
  };
  await Promise.all([
    rpc.chainId().then(
      (chainId) => {
        report.chainId = chainId;
      },
      (cause: unknown) => {
        unreachable = { cause };
      },
    ),
    ask("blockNumber", async () => {
      const head = await rpc.blockNumber();
      report.blockNumberAt = new Date().toISOString();
      return head;
    }),
    ...(scope === "heads"
      ? []
      : [
          ask("genesisHash", () => rpc.genesisHash()),
          ask("syncing", () => rpc.syncing()),
          ask("peerCount", () => rpc.peerCount()),
          ask("peerPublicKeys", () => rpc.peerPublicKeys()),
          ask("validatorsLatest", () => rpc.validators("latest")),
          ask("validatorsPending", () => rpc.validators("pending")),
          ask("clientVersion", () => rpc.clientVersion()),
          ask("ready", readiness),
        ]),
  ]);
  if (unreachable !== undefined) return { reachable: false, error: messageOf(unreachable.cause) };
  if (problems.length > 0) report.error = problems.join("; ");
  return report;
}
