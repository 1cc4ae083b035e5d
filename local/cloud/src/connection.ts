/**
 * The connection file `<data-dir>/cloud.json` that the simulator writes on start and that clients
 * (the app's config, the CLI, tests) read. Plugins add fields of their own (kept by the schema).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

export const CloudConnectionSchema = z.looseObject({
  /** ARM base URL, `https://127.0.0.1:<port>`: pass as `endpoint` to the Azure SDK clients. */
  armEndpoint: z.url(),
  /** PEM file of the simulator's CA: the only certificate clients must trust for ARM and every cluster. */
  caCertPath: z.string().min(1),
  subscriptionId: z.uuid(),
  tenantId: z.uuid(),
  /** Control API base, `http://127.0.0.1:<port>/_sim`. */
  controlUrl: z.url(),
  /** Simulated time runs this many times faster than wall time. */
  timeScale: z.number().positive(),
  /** Regions the simulated subscription offers (ARM names). */
  regions: z.array(z.string()),
  /** The simulated Key Vault (keys data plane, same CA as ARM) and the deployer key in it. */
  keyVault: z.object({
    /** `https://127.0.0.1:<port>`: the `vaultUrl` of a `KeyClient`. */
    vaultUrl: z.url(),
    /** `<vaultUrl>/keys/deployer/<version>`: what `CryptographyClient` and the app's BESU_FLEET_DEPLOYER_KEY_ID take. */
    deployerKeyId: z.url(),
    /** The deployer key's Ethereum address (lower-case hex), funded on every simulated chain. */
    deployerAddress: z.string(),
  }),
  /** Process id of the simulator, for tools that want to know whether it still runs. */
  pid: z.number().int(),
  startedAt: z.iso.datetime(),
});
export type CloudConnection = z.infer<typeof CloudConnectionSchema>;

export const connectionFileName = "cloud.json";

/** Reads and validates `<dataDir>/cloud.json`. */
export function readCloudConnection(dataDir: string): CloudConnection {
  return CloudConnectionSchema.parse(JSON.parse(readFileSync(join(dataDir, connectionFileName), "utf8")));
}

/**
 * A credential for the simulated ARM and Key Vault, which accept any bearer token. Structurally an
 * `@azure/core-auth` TokenCredential, so it can be passed to any Azure SDK client. The token names
 * the caller for the vault's role assignments (`PUT /_sim/keyvault/roles/<token>`).
 */
export function simulatorCredential(token = "besu-fleet-simulator"): {
  getToken(): Promise<{ token: string; expiresOnTimestamp: number }>;
} {
  return {
    getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
  };
}
