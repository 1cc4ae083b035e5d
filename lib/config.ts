/**
 * Environment → typed configuration, parsed once per process at the composition root
 * (activities/dependencies.ts). Two modes that differ only in where ARM is and who we are:
 * - local: `BESU_FLEET_CLOUD_FILE` points at the simulated cloud's `cloud.json`;
 * - Azure: `AZURE_SUBSCRIPTION_ID`, DefaultAzureCredential, the public ARM endpoint.
 * Application state goes to blob storage named by `AzureWebJobsStorage` (a connection string) or
 * by `AzureWebJobsStorage__accountName` / `__blobServiceUri` (identity-based) in both. The deployer
 * key that signs transactions is a Key Vault key named by `BESU_FLEET_DEPLOYER_KEY_ID` (optional:
 * only the contracts phases need it); `BESU_FLEET_KEY_VAULT_SIMULATOR=true` says the vault is the
 * simulated cloud's, which `besu-fleet local up` sets and Azure never does. The clusters' API
 * servers answer only `BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES` (the control plane's outbound
 * addresses; required in Azure, the loopback range against the simulated cloud when unset).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseAuthorizedRanges, type ApiServerAccess } from "./domain/cluster-body.js";

/** Blob container holding specs, reports and other application documents. */
export const STATE_CONTAINER = "besu-fleet-state";
/** The variable naming the simulated cloud's connection file (local mode). */
export const CLOUD_FILE_ENV = "BESU_FLEET_CLOUD_FILE";
/** NCRONTAB schedule of the retention timer (functions/retention.ts). */
export const RETENTION_SCHEDULE_ENV = "BESU_FLEET_RETENTION_SCHEDULE";
/** Age in whole days past which finished orchestration instances are purged. */
export const RETENTION_DAYS_ENV = "BESU_FLEET_RETENTION_DAYS";
/** How the HTTP API authorizes callers: `keys` (function keys) or `entra` (app roles; functions/authorization.ts). */
export const API_AUTH_ENV = "BESU_FLEET_API_AUTH";
/** Daily, at 02:30 UTC. */
export const DEFAULT_RETENTION_SCHEDULE = "0 30 2 * * *";
export const DEFAULT_RETENTION_DAYS = 30;
/** The identifier (URL) of the Key Vault key that signs the deployer's transactions. */
export const DEPLOYER_KEY_ID_ENV = "BESU_FLEET_DEPLOYER_KEY_ID";
/** `true` when that key is in the simulated cloud's vault (local mode only). */
export const KEY_VAULT_SIMULATOR_ENV = "BESU_FLEET_KEY_VAULT_SIMULATOR";
/** Comma-separated IPv4 CIDRs the clusters' API servers accept connections from (docs/deploy.md). */
export const API_SERVER_AUTHORIZED_IP_RANGES_ENV = "BESU_FLEET_API_SERVER_AUTHORIZED_IP_RANGES";
/** Where the control plane reaches the simulated clusters from. */
export const LOOPBACK_RANGE = "127.0.0.0/8";
/** Public Azure Resource Manager. */
export const AZURE_ARM_ENDPOINT = "https://management.azure.com";

export type ArmConfig =
  | { mode: "local"; armEndpoint: string; subscriptionId: string; tenantId: string; caCertificate: string }
  | { mode: "azure"; armEndpoint: string; subscriptionId: string };

/**
 * Where application state goes: a connection string (Azurite, key-based accounts) or, as
 * Functions' identity-based connections, a blob endpoint reached with the app's identity.
 */
export type StorageConfig =
  | { kind: "connectionString"; connectionString: string; container: string }
  | { kind: "identity"; blobServiceUri: string; container: string };

/**
 * The deployer's Key Vault key. `simulator`: the simulated cloud's vault, reached with its CA and
 * without the challenge's resource check (its host is 127.0.0.1, not *.vault.azure.net).
 */
export type DeployerKeyConfig =
  { mode: "azure"; keyId: string } | { mode: "simulator"; keyId: string; caCertificate: string };

export interface AppConfig {
  arm: ArmConfig;
  storage: StorageConfig;
  /** Absent when BESU_FLEET_DEPLOYER_KEY_ID is not set; what signs transactions then reports it. */
  deployerKey?: DeployerKeyConfig;
  /** Where the clusters' API servers may be reached from (every cluster body carries it). */
  apiServerAccess: ApiServerAccess;
  /** Where drift checks send state changes (DRIFT_WEBHOOK_URL); absent: no alerts. May carry a token. */
  driftWebhookUrl?: URL;
}

/** The fields of the simulator's cloud.json this app reads (the simulator writes more). */
const cloudConnectionFileSchema = z.object({
  armEndpoint: z.url(),
  caCertPath: z.string().min(1),
  subscriptionId: z.string().min(1),
  tenantId: z.string().min(1),
});

/** A configuration problem an operator can fix; names the variable, never its value. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

function required(env: NodeJS.ProcessEnv, name: string, purpose: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === "")
    throw new ConfigError(`environment variable ${name} is not set (${purpose})`);
  return value;
}

/** Where application state goes, from an environment (also on its own: the API's audit trail needs only this). */
function readStorage(env: NodeJS.ProcessEnv): StorageConfig {
  const connectionString = env.AzureWebJobsStorage?.trim();
  if (connectionString !== undefined && connectionString !== "")
    return { kind: "connectionString", connectionString, container: STATE_CONTAINER };
  const blobServiceUri = env.AzureWebJobsStorage__blobServiceUri?.trim();
  if (blobServiceUri !== undefined && blobServiceUri !== "")
    return { kind: "identity", blobServiceUri, container: STATE_CONTAINER };
  const accountName = env.AzureWebJobsStorage__accountName?.trim();
  if (accountName !== undefined && accountName !== "")
    return {
      kind: "identity",
      blobServiceUri: `https://${accountName}.blob.core.windows.net`,
      container: STATE_CONTAINER,
    };
  return {
    kind: "connectionString",
    connectionString: required(
      env,
      "AzureWebJobsStorage",
      "storage for application state; or AzureWebJobsStorage__accountName for an identity-based connection",
    ),
    container: STATE_CONTAINER,
  };
}

function readLocalArm(cloudFile: string): ArmConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(cloudFile, "utf8"));
  } catch (error) {
    throw new ConfigError(
      `BESU_FLEET_CLOUD_FILE (${cloudFile}) cannot be read as JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = cloudConnectionFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      `BESU_FLEET_CLOUD_FILE (${cloudFile}) is not a cloud connection file: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
    );
  }
  const { armEndpoint, caCertPath, subscriptionId, tenantId } = parsed.data;
  return { mode: "local", armEndpoint, subscriptionId, tenantId, caCertificate: readFileSync(caCertPath, "utf8") };
}

/** Parses the configuration from an environment; throws a {@link ConfigError} naming what is missing. */
export function parseConfig(env: NodeJS.ProcessEnv): AppConfig {
  const cloudFile = env[CLOUD_FILE_ENV]?.trim();
  const arm: ArmConfig =
    cloudFile !== undefined && cloudFile !== ""
      ? readLocalArm(cloudFile)
      : {
          mode: "azure",
          armEndpoint: AZURE_ARM_ENDPOINT,
          subscriptionId: required(
            env,
            "AZURE_SUBSCRIPTION_ID",
            "the subscription to deploy into; or set BESU_FLEET_CLOUD_FILE for the simulated cloud",
          ),
        };
  const deployerKey = readDeployerKey(env, arm);
  const apiServerAccess = readApiServerAccess(env, arm);
  const driftWebhookUrl = readDriftWebhookUrl(env);
  return {
    arm,
    storage: readStorage(env),
    apiServerAccess,
    ...(deployerKey === undefined ? {} : { deployerKey }),
    ...(driftWebhookUrl === undefined ? {} : { driftWebhookUrl }),
  };
}

/**
 * The authorized ranges of the clusters' API servers. Unset in Azure is refused rather than
 * defaulted: an API server open to the internet is what the setting exists to prevent.
 */
function readApiServerAccess(env: NodeJS.ProcessEnv, arm: ArmConfig): ApiServerAccess {
  const text = env[API_SERVER_AUTHORIZED_IP_RANGES_ENV]?.trim();
  if ((text === undefined || text === "") && arm.mode === "local") return { authorizedIpRanges: [LOOPBACK_RANGE] };
  const parsed = parseAuthorizedRanges(
    required(env, API_SERVER_AUTHORIZED_IP_RANGES_ENV, "the control plane's outbound IPv4 addresses or CIDR ranges"),
  );
  if ("problems" in parsed)
    throw new ConfigError(`environment variable ${API_SERVER_AUTHORIZED_IP_RANGES_ENV}: ${parsed.problems.join("; ")}`);
  return { authorizedIpRanges: parsed.ranges };
}

/** `https://<vault>/keys/<name>` with an optional `/<version>`: a Key Vault key identifier. */
const KEY_ID_PATH = /^\/keys\/[0-9a-zA-Z-]{1,127}(\/[0-9a-zA-Z]*)?$/;

function readDeployerKey(env: NodeJS.ProcessEnv, arm: ArmConfig): DeployerKeyConfig | undefined {
  const keyId = env[DEPLOYER_KEY_ID_ENV]?.trim();
  const simulator = env[KEY_VAULT_SIMULATOR_ENV]?.trim().toLowerCase() === "true";
  if (keyId === undefined || keyId === "") {
    if (simulator) throw new ConfigError(`${KEY_VAULT_SIMULATOR_ENV} is set but ${DEPLOYER_KEY_ID_ENV} is not`);
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(keyId);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "https:" || !KEY_ID_PATH.test(url.pathname) || url.search !== "")
    throw new ConfigError(
      `${DEPLOYER_KEY_ID_ENV} must be a Key Vault key identifier, https://<vault>.vault.azure.net/keys/<name>[/<version>]`,
    );
  if (!simulator) return { mode: "azure", keyId };
  // NOTE: only the simulated vault may skip the challenge's resource check, so only with its CA.
  if (arm.mode !== "local")
    throw new ConfigError(`${KEY_VAULT_SIMULATOR_ENV} needs ${CLOUD_FILE_ENV} (the simulated cloud it belongs to)`);
  return { mode: "simulator", keyId, caCertificate: arm.caCertificate };
}

let processConfig: AppConfig | undefined;

/** This process's configuration, parsed on first use and then reused. */
export function loadConfig(): AppConfig {
  processConfig ??= parseConfig(process.env);
  return processConfig;
}

/** This process's storage configuration (the whole configuration is not needed to write state). */
export function loadStorageConfig(): StorageConfig {
  return processConfig?.storage ?? readStorage(process.env);
}

/**
 * The retention timer's schedule. Read when the app registers its functions, so it is not checked
 * here: the Functions host refuses a malformed NCRONTAB for that function alone.
 */
export function retentionSchedule(env: NodeJS.ProcessEnv): string {
  const schedule = env[RETENTION_SCHEDULE_ENV]?.trim();
  return schedule === undefined || schedule === "" ? DEFAULT_RETENTION_SCHEDULE : schedule;
}

/** The retention age in days (0 purges every finished instance); throws a {@link ConfigError} for anything but a whole number. */
export function retentionDays(env: NodeJS.ProcessEnv): number {
  const text = env[RETENTION_DAYS_ENV]?.trim();
  if (text === undefined || text === "") return DEFAULT_RETENTION_DAYS;
  if (!/^\d{1,5}$/.test(text))
    throw new ConfigError(`environment variable ${RETENTION_DAYS_ENV} must be a whole number of days, such as 30`);
  return Number(text);
}

/** How the HTTP API authorizes callers (functions/authorization.ts); function keys unless set to `entra`. */
export function apiAuthMode(env: NodeJS.ProcessEnv): "keys" | "entra" {
  const mode = env[API_AUTH_ENV]?.trim() ?? "";
  if (mode === "" || mode === "keys") return "keys";
  if (mode === "entra") return "entra";
  throw new ConfigError(`environment variable ${API_AUTH_ENV} must be "keys" or "entra"`);
}

/** The folder of a project's compiled contract artifacts (spec `artifact: {file: …}`). */
export const ARTIFACTS_DIR_ENV = "BESU_FLEET_ARTIFACTS_DIR";

export function artifactsDirectory(env: NodeJS.ProcessEnv): string | undefined {
  return env[ARTIFACTS_DIR_ENV]?.trim() || undefined;
}

/**
 * This process's app settings, for the values a spec names by setting (RPC URLs, which may carry
 * an API key, and existing contract addresses): read through here like every other setting.
 */
export function appSettings(): NodeJS.ProcessEnv {
  return process.env;
}

/** App settings of drift verification (docs/drift.md): the timer's NCRONTAB schedule and the optional webhook. */
export const DRIFT_SCHEDULE_ENV = "DRIFT_SCHEDULE";
export const DRIFT_WEBHOOK_URL_ENV = "DRIFT_WEBHOOK_URL";
/** Every 15 minutes, on the quarter hour. */
export const DEFAULT_DRIFT_SCHEDULE = "0 */15 * * * *";

/**
 * The drift timer's schedule. Not checked here, as the retention timer's: the Functions host
 * refuses a malformed NCRONTAB for that function alone.
 */
export function driftSchedule(env: NodeJS.ProcessEnv): string {
  const schedule = env[DRIFT_SCHEDULE_ENV]?.trim();
  return schedule === undefined || schedule === "" ? DEFAULT_DRIFT_SCHEDULE : schedule;
}

/** The drift webhook URL, or undefined when none is set; a {@link ConfigError} for one that is not http(s). */
function readDriftWebhookUrl(env: NodeJS.ProcessEnv): URL | undefined {
  const text = env[DRIFT_WEBHOOK_URL_ENV]?.trim();
  if (text === undefined || text === "") return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`app setting ${DRIFT_WEBHOOK_URL_ENV} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError(`app setting ${DRIFT_WEBHOOK_URL_ENV} must be an http or https URL`);
  return url;
}

/** Set by the infrastructure in Azure: metrics go to this Application Insights resource. */
export const APPLICATIONINSIGHTS_CONNECTION_STRING_ENV = "APPLICATIONINSIGHTS_CONNECTION_STRING";

/**
 * Where the app's metrics go (lib/telemetry/exporters.ts, docs/monitoring.md): to Application
 * Insights through the Azure Monitor OpenTelemetry distro when a connection string is set, else to
 * the in-process Prometheus reader that `GET /api/metrics` serves (the local stack).
 */
export type TelemetryConfig = { exporter: "azureMonitor"; connectionString: string } | { exporter: "prometheus" };

export function telemetryConfig(env: NodeJS.ProcessEnv): TelemetryConfig {
  const connectionString = env[APPLICATIONINSIGHTS_CONNECTION_STRING_ENV]?.trim();
  return connectionString === undefined || connectionString === ""
    ? { exporter: "prometheus" }
    : { exporter: "azureMonitor", connectionString };
}
