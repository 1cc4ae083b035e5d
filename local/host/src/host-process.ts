/**
 * Runs the host's own command (bin/local-host.js) as a child process, as a user would, so tests
 * can kill it with SIGKILL and start it again against the same storage.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { LIFELINE_ENV } from "@besu-fleet/local-support";
import path from "node:path";

/** The host's own command (bin/local-host.js), from the compiled dist/src/. */
const HOST_BIN = path.resolve(__dirname, "..", "..", "bin", "local-host.js");

export interface HostProcess {
  baseUrl: string;
  child: ChildProcess;
  /** Everything the host printed so far. */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startHostProcess(options: {
  appDir: string;
  storage: string;
  dataDir: string;
  env?: Record<string, string>;
}): Promise<HostProcess> {
  const child = spawn(
    process.execPath,
    [HOST_BIN, "--app", options.appDir, "--port", "0", "--storage", options.storage, "--data-dir", options.dataDir],
    {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...options.env, [LIFELINE_ENV]: "1" },
    },
  );
  // The host must never keep a test process alive: if a test fails without killing it, the test
  // process still exits, the host's stdin lifeline closes, and the host stops too.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr])
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A host stuck in its start has no lifeline yet: stop it here, or it outlives the test.
      child.kill("SIGKILL");
      reject(new Error(`host did not start:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Host:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`host exited during start:\n${output}`));
    });
  });
  return {
    baseUrl,
    child,
    output: () => output,
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}
