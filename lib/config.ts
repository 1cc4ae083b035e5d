/**
 * Environment → typed configuration, parsed once per process at the composition root
 * (activities/dependencies.ts). Two modes that differ only in where ARM is and who we are:
 * - local: `BESU_FLEET_CLOUD_FILE` points at the simulated cloud's `cloud.json`;
 * - Azure: `AZURE_SUBSCRIPTION_ID`, DefaultAzureCredential, the public ARM endpoint.
 * Application state goes to blob storage named by `AzureWebJobsStorage` (a connection string) or
 * by `AzureWebJobsStorage__accountName` / `__blobServiceUri` (identity-based) in both.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

/** Blob container holding specs, reports and other application documents. */
export const STATE_CONTAINER = "besu-fleet-state";
/** The variable naming the simulated cloud's connection file (local mode). */
export const CLOUD_FILE_ENV = "BESU_FLEET_CLOUD_FILE";
/** NCRONTAB schedule of the retention timer (functions/retention.ts). */
export const RETENTION_SCHEDULE_ENV = "BESU_FLEET_RETENTION_SCHEDULE";
/** Age in whole days past which finished orchestration instances are purged. */
export const RETENTION_DAYS_ENV = "BESU_FLEET_RETENTION_DAYS";
/** Daily, at 02:30 UTC. */
export const DEFAULT_RETENTION_SCHEDULE = "0 30 2 * * *";
export const DEFAULT_RETENTION_DAYS = 30;
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

export interface AppConfig {
  arm: ArmConfig;
  storage: StorageConfig;
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

/** Where application state is stored, from `AzureWebJobsStorage` or its identity-based settings. */
export function readStorage(env: NodeJS.ProcessEnv): StorageConfig {
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
  return {
    arm,
    storage: readStorage(env),
  };
}

let processConfig: AppConfig | undefined;

/** This process's configuration, parsed on first use and then reused. */
export function loadConfig(): AppConfig {
  processConfig ??= parseConfig(process.env);
  return processConfig;
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
