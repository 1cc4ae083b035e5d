/**
 * `besu-fleet-host` (and `besu-fleet local host`, which delegates here): runs a Functions app
 * folder on Azure Storage until stopped, printing its URL and keys. Tests start it as a child
 * process (host-process.ts) to kill and restart it like a user would.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { untilStopped } from "@besu-fleet/local-support";
import { readLocalSettings, startHost, type RunningHost } from "./host.js";

const DEVELOPMENT_STORAGE = "UseDevelopmentStorage=true";

export const HOST_USAGE = `besu-fleet-host --app <dir> [--port <port>] [--storage <connection string>] [--data-dir <dir>]
      Runs any Functions app folder on Azure Storage. The storage defaults to the app's
      local.settings.json AzureWebJobsStorage, then to Azurite's default account.`;

/** The lines a person (and host-process.ts) reads once the host listens. */
export function printHost(host: RunningHost): void {
  console.log(`Host:         ${host.baseUrl}`);
  console.log(`Function key: ${host.keys.functionKeys.default}   (header x-functions-key or ?code=)`);
  console.log(`Functions:    ${[...host.app.servable.keys()].join(", ") || "(none)"}`);
}

/** Parses the command line, runs the host until the process is asked to stop; returns the exit code. */
export async function hostCommand(argv: string[], defaults: { appDir?: string } = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      app: { type: "string" },
      port: { type: "string" },
      storage: { type: "string" },
      "data-dir": { type: "string" },
    },
    strict: true,
  });
  const app = values.app ?? defaults.appDir;
  if (app === undefined) throw new UsageError(`--app is required.\n\n${HOST_USAGE}`);
  const port = values.port === undefined ? 7071 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number (0 for any free port), not '${values.port}'.`);
  const appDir = path.resolve(app);
  const settings = readLocalSettings(appDir);
  const storage = values.storage ?? settings.AzureWebJobsStorage ?? DEVELOPMENT_STORAGE;
  const dataDir = path.resolve(values["data-dir"] ?? path.join(appDir, ".local"));
  const host = await startHost({ appDir, port, storage, dataDir, env: settings });
  printHost(host);
  await untilStopped();
  await host.close();
  return 0;
}

/** A command-line mistake: the message is printed without a stack and the exit code is 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
