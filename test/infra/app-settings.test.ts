/**
 * The infrastructure templates cannot be deployed here, so what can drift between them and the
 * code is checked instead: the app settings infra/app/api.bicep gives the Function App for this
 * app's code must be exactly the ones the code reads, and enough for its configuration to parse.
 * Every environment read goes through the readers listed here (the last test keeps it so).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import {
  apiAuthMode,
  artifactsDirectory,
  driftSchedule,
  parseConfig,
  retentionDays,
  retentionSchedule,
  telemetryConfig,
} from "../../lib/config.js";
import { DEFAULT_RPC_URL_SETTINGS } from "../../lib/domain/contracts-spec.js";
import { REPO_ROOT } from "../support/paths.js";

/** Every function that reads the app's settings, given the environment. */
const CONFIG_READERS: ReadonlyArray<(env: NodeJS.ProcessEnv) => unknown> = [
  parseConfig,
  retentionSchedule,
  retentionDays,
  apiAuthMode,
  artifactsDirectory,
  // The settings a spec names for its chains' RPC URLs when it names none (the template sets those).
  (env) => Object.values(DEFAULT_RPC_URL_SETTINGS).map((name) => env[name]),
  driftSchedule,
  telemetryConfig,
];

/** Settings the code reads that the template leaves unset on purpose, and why. */
const UNSET_IN_AZURE: Readonly<Record<string, string>> = {
  AzureWebJobsStorage: "a connection string with a key; in Azure the app reaches storage by identity",
  AzureWebJobsStorage__accountName: "the other identity-based form; the template gives the blob endpoint",
  BESU_FLEET_CLOUD_FILE: "the simulated cloud's connection file, local runs only",
  BESU_FLEET_ARTIFACTS_DIR: "compiled artifacts of a project folder; the package ships none",
  BESU_FLEET_KEY_VAULT_SIMULATOR: "the simulated vault's relaxed challenge check, local runs only",
  DRIFT_WEBHOOK_URL:
    "optional: set it when an alert receiver exists (a Key Vault reference when its URL carries a token)",
};

/** The keys of `var appSettings = { … }` in api.bicep, with a placeholder value each. */
function templateAppSettings(): Record<string, string> {
  const bicep = fs.readFileSync(path.join(REPO_ROOT, "infra", "app", "api.bicep"), "utf8");
  const block = /^var appSettings = \{\n([\s\S]*?)^\}/m.exec(bicep);
  assert.ok(block, "api.bicep declares var appSettings");
  const keys = [...block[1].matchAll(/^\s+(\w+):/gm)].map((match) => match[1]);
  assert.ok(keys.length > 0);
  const placeholders: Record<string, string> = {
    AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000000",
    AzureWebJobsStorage__blobServiceUri: "https://stbesufleet.blob.core.windows.net/",
    BESU_FLEET_RETENTION_SCHEDULE: "0 30 2 * * *",
    BESU_FLEET_RETENTION_DAYS: "30",
    BESU_FLEET_API_AUTH: "entra",
    BESU_FLEET_DEPLOYER_KEY_ID: "https://kv-besufleet.vault.azure.net/keys/deployer",
    DRIFT_SCHEDULE: "0 */15 * * * *",
    BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES: "20.1.2.3,20.1.2.4",
    APPLICATIONINSIGHTS_CONNECTION_STRING:
      "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
  };
  return Object.fromEntries(keys.map((key) => [key, placeholders[key] ?? `${key}-value`]));
}

/** The names the readers look up, given `env`. */
function namesRead(env: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === "string") read.add(name);
      return Reflect.get(target, name);
    },
  });
  for (const reader of CONFIG_READERS) reader(recording);
  return read;
}

test("the template sets every app setting the code reads in Azure, and no other", () => {
  const settings = templateAppSettings();
  const read = namesRead(settings);
  assert.deepEqual(
    Object.keys(settings).filter((name) => !read.has(name)),
    [],
    "set by the template but read by no code",
  );
  assert.deepEqual(
    [...read].filter((name) => !(name in settings) && !(name in UNSET_IN_AZURE)).sort(),
    [],
    "read by the code but not set by the template",
  );
});

test("with the template's settings the configuration parses in Azure mode, on identity-based storage", () => {
  const config = parseConfig(templateAppSettings());
  assert.equal(config.arm.mode, "azure");
  assert.equal(config.storage.kind, "identity");
});

test("with the template's settings the app exports its metrics to Application Insights", () => {
  assert.equal(telemetryConfig(templateAppSettings()).exporter, "azureMonitor");
});

test("the template puts the API behind Entra ID app roles", () => {
  assert.equal(apiAuthMode(templateAppSettings()), "entra");
});

test("only the configuration module and the composition root touch process.env", () => {
  const readers: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file);
      else if (file.endsWith(".ts") && fs.readFileSync(path.join(REPO_ROOT, file), "utf8").includes("process.env"))
        readers.push(file);
    }
  };
  for (const dir of ["functions", "orchestrators", "activities", "lib"]) visit(dir);
  assert.deepEqual(readers, [path.join("lib", "config.ts")]);
});
