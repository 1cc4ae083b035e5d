/**
 * STAND-IN for the control plane's HTTP API (functions/), for the CLI tests only until the
 * end-to-end tests against the real API on the local stack exist. It speaks the contract of
 * docs/api.md on a loopback port: each test scripts the answers, and every request is recorded
 * (method, path, headers, body) so tests can check what the CLI sent.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { rolloutCommand } from "../../cli/rollout.js";
import type { OutputStream, RolloutIo } from "../../cli/rollout-watch.js";

export const TEST_KEY = "test-function-key-0123456789abcdef";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface Reply {
  status: number;
  /** Sent as JSON; absent means an empty body. */
  body?: unknown;
}

export interface FakeApi {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts the stand-in; requests without {@link TEST_KEY} get 401 as the host gives them. */
export async function startFakeApi(answer: (request: RecordedRequest) => Reply): Promise<FakeApi> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request: RecordedRequest = {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(request);
      if (req.headers["x-functions-key"] !== TEST_KEY) {
        res.writeHead(401).end();
        return;
      }
      const reply = answer(request);
      if (reply.body === undefined) res.writeHead(reply.status).end();
      else res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Answers GETs of a rollout from a script: each poll takes the next status, the last one repeats. */
export function statusScript<T>(statuses: readonly T[]): () => T {
  let next = 0;
  return () => statuses[Math.min(next++, statuses.length - 1)] as T;
}

/** Captured output of one CLI run. */
export class Capture implements OutputStream {
  text = "";
  constructor(
    readonly isTTY = false,
    readonly columns?: number,
    readonly rows?: number,
  ) {}
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

export interface TestIo extends RolloutIo {
  stdout: Capture;
  stderr: Capture;
}

/** I/O for an in-process CLI run: captured streams, fast polling, and no local keys file. */
export function testIo(
  options: { env?: Record<string, string>; tty?: boolean; rows?: number; projectRoot?: string } = {},
): TestIo {
  return {
    stdout: new Capture(options.tty ?? false, options.tty === true ? 200 : undefined, options.rows),
    stderr: new Capture(),
    env: options.env ?? {},
    projectRoot: options.projectRoot ?? "/nonexistent-besu-fleet-project",
    pollIntervalMs: 10,
    outageToleranceMs: 2_000,
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `besu-fleet rollout <argv>` in this process. */
export async function runRollout(argv: string[], io: TestIo = testIo()): Promise<CliRun> {
  const code = await rolloutCommand(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}
