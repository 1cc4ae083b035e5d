/**
 * The EVM JSON-RPC adapter (lib/evm/rpc.ts) against the simulated chains' injected faults (the
 * fault rules' `evm` target): a 429 is retried after its Retry-After, a 5xx and a reset are
 * retried, each at the request that met it; a revert or missing funds are sent once. What the
 * simulator served is read from its operation log, not from the client.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import { z } from "zod";
import { BesuCloudFieldsSchema, createBesuPlugin, startCloud, type RunningCloud } from "@besu-fleet/local-cloud";
import { ClassifiedError } from "../../lib/errors.js";
import { EvmRpc, RevertError } from "../../lib/evm/rpc.js";

const operationsSchema = z.object({
  entries: z.array(
    z.object({
      seq: z.number(),
      target: z.string(),
      region: z.string().optional(),
      status: z.union([z.number(), z.string()]),
      fault: z.string().optional(),
    }),
  ),
});

describe("EVM JSON-RPC retries against the simulated chains' faults", { timeout: 120_000 }, () => {
  let dataDir: string;
  let cloud: RunningCloud;
  let urls: { mainnet: string; chain138: string; router: string };
  /** Waits the retry policy asked for, as it asked. */
  const sleeps: number[] = [];
  const clock = {
    now: () => Date.now(),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      await sleep(ms);
    },
  };
  /** Jitter 0: the only wait longer than nothing is one the endpoint asked for. */
  const client = (url: string, chain: string) => new EvmRpc(url, chain, { clock, random: () => 0, maxAttempts: 4 });

  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${cloud.connection.controlUrl}/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    assert.equal(response.status, 200, `${method} ${path}`);
    const text = await response.text();
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  };
  const lastSeq = async () =>
    operationsSchema.parse(await control("GET", "operations?since=0")).entries.at(-1)?.seq ?? 0;
  /** The statuses the simulator answered a chain's JSON-RPC requests with since `seq`. */
  const served = async (since: number, chain: string) =>
    operationsSchema
      .parse(await control("GET", `operations?since=${since}`))
      .entries.filter((entry) => entry.target === "evm" && entry.region === chain)
      .map((entry) => entry.status);
  /** Runs `operation` with one `evm` transient rule in force, then clears the rules. */
  const withFault = async <T>(rule: Record<string, unknown>, operation: () => Promise<T>): Promise<T> => {
    await control("PUT", "faults", { transient: [{ target: "evm", rate: 1, ...rule }] });
    sleeps.length = 0;
    try {
      return await operation();
    } finally {
      await control("DELETE", "faults");
    }
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "besu-fleet-evm-faults-"));
    cloud = await startCloud({ dataDir, plugins: [createBesuPlugin()], log: () => undefined });
    const { evm } = BesuCloudFieldsSchema.parse(cloud.connection);
    assert.ok(evm.mainnet, "the mainnet stand-in runs");
    urls = { mainnet: evm.mainnet.rpcUrl, chain138: evm.chain138.rpcUrl, router: evm.mainnet.contracts.router };
  });

  after(async () => {
    await cloud?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it("waits for the Retry-After of a 429 (JSON-RPC -32005 limit exceeded), then succeeds", async () => {
    const since = await lastSeq();
    const price = await withFault({ region: "mainnet", kind: "429", count: 1 }, () =>
      client(urls.mainnet, "mainnet").quantity("eth_gasPrice"),
    );
    assert.ok(price > 0n);
    assert.deepEqual(sleeps, [1_000], "the simulator asks for 1 s");
    assert.deepEqual(await served(since, "mainnet"), [429, 200]);
  });

  it("retries 5xx answers and a connection reset at the request that met them", async () => {
    const rpc = client(urls.mainnet, "mainnet");
    let since = await lastSeq();
    await withFault({ region: "mainnet", kind: "5xx", status: 503, count: 2 }, () => rpc.call("eth_blockNumber"));
    assert.deepEqual(await served(since, "mainnet"), [503, 503, 200]);
    since = await lastSeq();
    await withFault({ region: "mainnet", kind: "reset", count: 1 }, () => rpc.call("eth_blockNumber"));
    assert.deepEqual(await served(since, "mainnet"), ["reset", 200]);
  });

  it("sends a revert and a transaction the chain refuses for good once", async () => {
    const rpc = client(urls.mainnet, "mainnet");
    let since = await lastSeq();
    // The router has no fallback: a call with no known selector reverts.
    await assert.rejects(rpc.call("eth_call", [{ to: urls.router, data: "0xdeadbeef" }, "latest"]), RevertError);
    assert.deepEqual(await served(since, "mainnet"), [200]);
    since = await lastSeq();
    // A transaction from an account that holds nothing: "insufficient funds" is for good.
    const raw = await Wallet.createRandom().signTransaction({
      chainId: 1,
      nonce: 0,
      gasLimit: 21_000,
      gasPrice: 10n ** 9n,
      to: urls.router,
      type: 0,
    });
    await assert.rejects(rpc.call("eth_sendRawTransaction", [raw]), (error) => {
      assert.ok(error instanceof ClassifiedError && !error.classification.retryable, String(error));
      assert.match(error.message, /insufficient funds/);
      return true;
    });
    assert.deepEqual(await served(since, "mainnet"), [200]);
  });

  it("applies a rule to the chain it names only: Chain 138's gateway, not the mainnet stand-in", async () => {
    const since = await lastSeq();
    await withFault({ region: "chain138", kind: "5xx", status: 502, count: 1 }, async () => {
      await client(urls.mainnet, "mainnet").call("eth_blockNumber");
      // No Besu network runs here: once the fault is spent, the gateway answers 503 (no node), also retried.
      await assert.rejects(
        new EvmRpc(urls.chain138, "chain138", { clock, random: () => 0, maxAttempts: 2 }).call("eth_blockNumber"),
        (error) => {
          assert.ok(error instanceof ClassifiedError && error.classification.retryable, String(error));
          assert.doesNotMatch(error.message, /127\.0\.0\.1/, "the URL (it may carry a key) is not in the message");
          return true;
        },
      );
    });
    assert.deepEqual(await served(since, "mainnet"), [200]);
    assert.deepEqual(await served(since, "chain138"), [502, 503]);
  });
});
