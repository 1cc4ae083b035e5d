/**
 * Starts Azurite (the Azure Storage emulator from npm) as a child process on free loopback
 * ports, always with telemetry off, and gives the connection string that points at it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

/** The emulator's well-known development account (public; documented by Microsoft). */
const ACCOUNT = "devstoreaccount1";
const ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface RunningAzurite {
  connectionString: string;
  ports: { blob: number; queue: number; table: number };
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** Folder for Azurite's data; omitted → in-memory (data lost when it stops). */
  location?: string;
  /** Preferred ports; a busy one is replaced by a free one. */
  preferredPorts?: { blob: number; queue: number; table: number };
  log?: (line: string) => void;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function choosePort(preferred: number | undefined, taken: Set<number>): Promise<number> {
  if (preferred !== undefined && !taken.has(preferred) && (await isFree(preferred))) return preferred;
  for (;;) {
    const port = await freePort();
    if (!taken.has(port)) return port;
  }
}

function waitForPort(port: number, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`Azurite did not open port ${port} in time.`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export function connectionStringFor(ports: { blob: number; queue: number; table: number }): string {
  return [
    "DefaultEndpointsProtocol=http",
    `AccountName=${ACCOUNT}`,
    `AccountKey=${ACCOUNT_KEY}`,
    `BlobEndpoint=http://127.0.0.1:${ports.blob}/${ACCOUNT}`,
    `QueueEndpoint=http://127.0.0.1:${ports.queue}/${ACCOUNT}`,
    `TableEndpoint=http://127.0.0.1:${ports.table}/${ACCOUNT}`,
  ].join(";");
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const taken = new Set<number>();
  const blob = await choosePort(options.preferredPorts?.blob, taken);
  taken.add(blob);
  const queue = await choosePort(options.preferredPorts?.queue, taken);
  taken.add(queue);
  const table = await choosePort(options.preferredPorts?.table, taken);
  const ports = { blob, queue, table };
  // Started through a guard that stops Azurite when this process dies, however it dies.
  const args = [
    path.join(__dirname, "azurite-guard.js"),
    "--disableTelemetry",
    "--skipApiVersionCheck",
    "--loose",
    "--silent",
    "--blobHost",
    "127.0.0.1",
    "--queueHost",
    "127.0.0.1",
    "--tableHost",
    "127.0.0.1",
    "--blobPort",
    String(blob),
    "--queuePort",
    String(queue),
    "--tablePort",
    String(table),
  ];
  if (options.location) {
    fs.mkdirSync(options.location, { recursive: true });
    args.push("--location", options.location);
  } else {
    args.push("--inMemoryPersistence");
  }
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    options.log?.(`[azurite] ${chunk.toString().trim()}`);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 30_000;
  try {
    await Promise.race([
      Promise.all([waitForPort(blob, deadline), waitForPort(queue, deadline), waitForPort(table, deadline)]),
      exited.then(() => {
        throw new Error(`Azurite exited during start: ${output.slice(-2000)}`);
      }),
    ]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    connectionString: connectionStringFor(ports),
    ports,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
