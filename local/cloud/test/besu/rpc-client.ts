/** Small JSON-RPC/HTTP helpers for the Besu tests. */
import assert from "node:assert/strict";

export interface RpcResponse {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Posts a JSON-RPC call and returns the response object. */
export async function rpcRaw(url: string, method: string, params: unknown[] = []): Promise<RpcResponse> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body: unknown = await response.json();
  assert.ok(isRecord(body), "JSON-RPC answer must be an object");
  return body as RpcResponse;
}

/** Posts a JSON-RPC call and returns its result, failing the test on an error. */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const body = await rpcRaw(url, method, params);
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.code} ${body.error.message}`);
  return body.result;
}

export async function blockNumber(url: string): Promise<number> {
  return Number(await rpc(url, "eth_blockNumber"));
}

/** Polls until the check returns true (generous timeout; never a speed assertion). */
export async function waitFor(
  description: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits a number of wall milliseconds. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
