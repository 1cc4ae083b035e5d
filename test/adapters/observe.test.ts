import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { batchingTransport, observeNode } from "../../lib/besu/observe.js";
import { BesuRpc } from "../../lib/besu/rpc.js";

type Body = { jsonrpc: "2.0"; id: number; method: string; params: unknown[] };

describe("observing a node with batched JSON-RPC", () => {
  it("sends the calls of one turn as one batch and hands each call its own answer", async () => {
    const batches: Body[][] = [];
    const rpc = new BesuRpc(
      batchingTransport(async (bodies) => {
        batches.push(bodies);
        // Answers in reverse order: they must be matched by id, not by position.
        return [...bodies].reverse().map((body) => ({
          jsonrpc: "2.0",
          id: body.id,
          result: body.method === "eth_blockNumber" ? "0x2a" : "0x8a",
        }));
      }),
    );
    const [chainId, head] = await Promise.all([rpc.chainId(), rpc.blockNumber()]);
    assert.equal(chainId, "0x8a");
    assert.equal(head, 42);
    assert.deepEqual(
      batches.map((batch) => batch.map((body) => body.method)),
      [["eth_chainId", "eth_blockNumber"]],
    );
    await rpc.chainId();
    assert.equal(batches.length, 2);
  });

  it("a heads-only observation asks for chain id and head in one batch, and never for readiness", async () => {
    const batches: Body[][] = [];
    let readinessAsked = false;
    const rpc = new BesuRpc(
      batchingTransport(async (bodies) => {
        batches.push(bodies);
        return bodies.map((body) => ({
          jsonrpc: "2.0",
          id: body.id,
          result: body.method === "eth_blockNumber" ? "0x2a" : "0x8a",
        }));
      }),
    );
    const report = await observeNode(
      rpc,
      async () => {
        readinessAsked = true;
        return true;
      },
      "heads",
    );
    assert.deepEqual(
      batches.map((batch) => batch.map((body) => body.method)),
      [["eth_chainId", "eth_blockNumber"]],
    );
    assert.equal(readinessAsked, false);
    assert.equal(report.reachable, true);
    assert.equal(report.blockNumber, 42);
    assert.ok(report.blockNumberAt, "the head's read time, for projecting heads to one moment");
  });

  it("fails a call whose answer is missing, and every call of a batch that failed", async () => {
    const partial = new BesuRpc(
      batchingTransport(async (bodies) =>
        bodies
          .filter((body) => body.method !== "eth_blockNumber")
          .map((body) => ({ jsonrpc: "2.0", id: body.id, result: "0x8a" })),
      ),
    );
    const [chainId, head] = await Promise.allSettled([partial.chainId(), partial.blockNumber()]);
    assert.equal(chainId.status, "fulfilled");
    assert.equal(head.status, "rejected");
    assert.match(String((head as PromiseRejectedResult).reason), /eth_blockNumber: no answer in the batch/);

    const down = new BesuRpc(
      batchingTransport(async () => {
        throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      }),
    );
    const outcomes = await Promise.allSettled([down.chainId(), down.blockNumber()]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ["rejected", "rejected"],
    );
  });

  it("reports a node whose eth_chainId fails as unreachable, and other failures without hiding the answers", async () => {
    const unreachable = await observeNode(
      new BesuRpc(
        batchingTransport(async () => {
          throw new Error("socket hang up");
        }),
      ),
      async () => true,
    );
    assert.deepEqual(unreachable, { reachable: false, error: "socket hang up" });

    const answers: Record<string, unknown> = {
      eth_chainId: "0x8a",
      eth_getBlockByNumber: { hash: "0xabc" },
      eth_blockNumber: "0x10",
      eth_syncing: false,
      net_peerCount: "0x3",
      web3_clientVersion: "besu/v25",
      qbft_getValidatorsByBlockNumber: ["0xAA"],
    };
    const sentry = await observeNode(
      new BesuRpc(
        batchingTransport(async (bodies) =>
          bodies.map((body) =>
            body.method in answers
              ? { jsonrpc: "2.0", id: body.id, result: answers[body.method] }
              : // A sentry does not serve ADMIN (-32604): not reported as a problem.
                { jsonrpc: "2.0", id: body.id, error: { code: -32604, message: "Method not enabled" } },
          ),
        ),
      ),
      async () => false,
    );
    assert.equal(sentry.reachable, true);
    assert.equal(sentry.chainId, "0x8a");
    assert.equal(sentry.blockNumber, 16);
    assert.equal(sentry.peerCount, 3);
    assert.deepEqual(sentry.validatorsLatest, ["0xaa"]);
    assert.equal(sentry.peerPublicKeys, undefined);
    assert.equal(sentry.ready, false);
    assert.equal(sentry.error, undefined);
  });
});
