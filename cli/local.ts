/**
 * `besu-fleet local ...`: the embedded default. Runs this Functions app (or any other) on one
 * machine with Azurite for storage.
 */
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { CLOUD_FILE_ENV, DEPLOYER_KEY_ID_ENV, KEY_VAULT_SIMULATOR_ENV } from "../lib/config.js";
import { simulatedChainSettings } from "./chain-settings.js";
import { parseArgs, portOption, stringOption, UsageError, type ParsedArgs } from "./args.js";
import { rolloutCommand } from "./rollout.js";

// NOTE: the local stack (host, simulated cloud, Azurite) is loaded with import() only when a
// `local` command runs: the operator's remote commands never load it, and a deployed package
// does not even contain it.
type LocalCloud = typeof import("@besu-fleet/local-cloud");
type RunningCloud = Awaited<ReturnType<LocalCloud["startCloud"]>>;

/** The project root: dist/cli/ → ../.. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export const LOCAL_USAGE = `Usage:
  besu-fleet local up [--rollout <spec>] [--port <port>] [--data-dir <dir>] [--time-scale <n>] [--scenario <file>]
      Starts Azurite (data under <data-dir>/azurite), the simulated cloud (<data-dir>/cloud) and
      the host for this app, which talks to that cloud; prints the base URL, the function key and
      the dashboard's URL (docs/dashboard.md).
      With --rollout, then runs that rollout with the live per-region view and the final report
      (npm start does this with examples/chain138-24-regions.yaml). Ctrl-C stops everything.
  besu-fleet local cloud [--data-dir <dir>] [--scenario <file>] [--time-scale <n>]
      Starts only the simulated cloud (ARM, Kubernetes API per cluster, Besu nodes, EVM chains)
      and writes its connection file <data-dir>/cloud.json. See docs/simulator.md.
  besu-fleet local host [--app <dir>] [--port <port>] [--storage <connection string>] [--data-dir <dir>]
      Runs any Functions app folder (default: this project) on Azure Storage. The storage
      defaults to the app's local.settings.json AzureWebJobsStorage.`;

/**
 * The spec for a local run: the file as given, except that long-running operations are polled
 * every 2 s, because simulated time runs faster than the production poll interval assumes.
 */
function demoSpec(file: string, dataDir: string): string {
  const text = fs.readFileSync(path.resolve(file), "utf8");
  const spec = YAML.parse(text) as { rollout?: Record<string, unknown> };
  const local = { ...spec, rollout: { ...spec.rollout, pollIntervalSeconds: LOCAL_POLL_SECONDS } };
  const target = path.join(dataDir, `local-${path.basename(file).replace(/\.(ya?ml|json)$/, "")}.json`);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(target, JSON.stringify(local, null, 2));
  console.log(`Rollout:      ${file} (polling every ${LOCAL_POLL_SECONDS} s on the simulated cloud)`);
  return target;
}

const LOCAL_POLL_SECONDS = 2;

/**
 * The dashboard's address with the function key in its fragment: a browser never sends a
 * fragment to the server, and the page moves the key into the tab's session storage at once
 * (docs/dashboard.md).
 */
export function dashboardUrl(baseUrl: string, functionKey: string): string {
  return `${baseUrl}/api/dashboard/#key=${encodeURIComponent(functionKey)}`;
}

function timeScaleOption(args: ParsedArgs, defaultTimeScale: number): number {
  const text = stringOption(args, "time-scale");
  if (text === undefined) return defaultTimeScale;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0)
    throw new UsageError(`--time-scale must be a positive number, not '${text}'.`);
  return scale;
}

async function startSimulatedCloud(args: ParsedArgs, dataDir: string): Promise<RunningCloud> {
  const { createBesuPlugin, defaultTimeScale, startCloud } = await import("@besu-fleet/local-cloud");
  const scenario = stringOption(args, "scenario");
  const cloud = await startCloud({
    dataDir,
    scenarioFile: scenario ? path.resolve(scenario) : undefined,
    timeScale: timeScaleOption(args, defaultTimeScale),
    plugins: [createBesuPlugin()],
    log: (line) => console.log(`[cloud] ${line}`),
  });
  console.log(
    `Cloud:        ARM ${cloud.connection.armEndpoint}, Key Vault ${cloud.connection.keyVault.vaultUrl}, control ${cloud.connection.controlUrl}, time ×${cloud.connection.timeScale}`,
  );
  console.log(`              connection file ${path.join(dataDir, "cloud.json")}`);
  return cloud;
}

export async function localCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "host") {
    const { hostCommand } = await import("@besu-fleet/local-host");
    return hostCommand(rest, { appDir: PROJECT_ROOT });
  }
  if (sub === "cloud") {
    const args = parseArgs(rest, ["data-dir", "scenario", "time-scale"], []);
    const { untilStopped } = await import("@besu-fleet/local-support");
    const cloud = await startSimulatedCloud(
      args,
      path.resolve(stringOption(args, "data-dir") ?? path.join(PROJECT_ROOT, ".local", "cloud")),
    );
    await untilStopped();
    await cloud.close();
    return 0;
  }
  if (sub === "up") {
    const args = parseArgs(rest, ["port", "data-dir", "scenario", "time-scale", "rollout"], []);
    const dataDir = path.resolve(stringOption(args, "data-dir") ?? path.join(PROJECT_ROOT, ".local"));
    const rolloutSpec = stringOption(args, "rollout");
    // The simulated cloud starts empty every time; control-plane state kept from an earlier run
    // (rollouts, the network's record with its genesis) would describe clusters and validators
    // that no longer exist, and a new rollout would try to join that vanished chain.
    fs.rmSync(path.join(dataDir, "azurite"), { recursive: true, force: true });
    const { startAzurite, untilStopped } = await import("@besu-fleet/local-support");
    const { printHost, readLocalSettings, startHost } = await import("@besu-fleet/local-host");
    const azurite = await startAzurite({
      location: path.join(dataDir, "azurite"),
      preferredPorts: { blob: 10000, queue: 10001, table: 10002 },
    });
    let cloud: RunningCloud | undefined;
    let host: Awaited<ReturnType<typeof startHost>> | undefined;
    try {
      console.log(
        `Azurite:      blob ${azurite.ports.blob}, queue ${azurite.ports.queue}, table ${azurite.ports.table} (data in ${path.join(dataDir, "azurite")})`,
      );
      cloud = await startSimulatedCloud(args, path.join(dataDir, "cloud"));
      // The app reaches the simulated cloud through its connection file (lib/config.ts, local mode)
      // and signs as the deployer with the simulated vault's key.
      const env = {
        ...readLocalSettings(PROJECT_ROOT),
        [CLOUD_FILE_ENV]: path.join(dataDir, "cloud", "cloud.json"),
        [DEPLOYER_KEY_ID_ENV]: cloud.connection.keyVault.deployerKeyId,
        [KEY_VAULT_SIMULATOR_ENV]: "true",
        ...simulatedChainSettings(cloud.connection),
      };
      host = await startHost({
        appDir: PROJECT_ROOT,
        port: portOption(args, "port", 7071),
        storage: azurite.connectionString,
        dataDir,
        env,
      });
      printHost(host);
      console.log(`Dashboard:    ${dashboardUrl(host.baseUrl, host.keys.functionKeys.default)}`);
      console.log(`Metrics:      ${host.baseUrl}/api/metrics (Prometheus text; the function key as x-functions-key)`);
      if (rolloutSpec) {
        const code = await rolloutCommand([
          "start",
          "--file",
          demoSpec(rolloutSpec, dataDir),
          "--watch",
          "--url",
          host.baseUrl,
          "--key",
          host.keys.functionKeys.default,
        ]);
        console.log(code === 0 ? "The rollout succeeded." : `The rollout ended with exit code ${code} (see above).`);
      }
      console.log(
        "The stack keeps running (open the dashboard above, or try: npx besu-fleet rollout list). Ctrl-C stops everything.",
      );
      await untilStopped();
    } finally {
      await host?.close();
      await cloud?.close();
      await azurite.stop();
    }
    return 0;
  }
  throw new UsageError(LOCAL_USAGE);
}
