/**
 * The app's Azure identity: one DefaultAzureCredential per process (it caches its tokens), made on
 * first use so that loading the app needs no configuration. In Azure it resolves to the Function
 * App's managed identity. Against the simulated cloud, a fixed token stands in for it.
 */
import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";

let credential: TokenCredential | undefined;

export function appIdentity(): TokenCredential {
  credential ??= new DefaultAzureCredential();
  return credential;
}

/**
 * The simulated cloud's ARM and Key Vault accept any bearer token; a fixed one keeps the real
 * clients and their authentication policies in the path without a token service. (The vault
 * treats the token as the caller's name for its role assignments.)
 */
export function simulatedCloudCredential(): TokenCredential {
  return { getToken: async () => ({ token: "besu-fleet-local", expiresOnTimestamp: Date.now() + 60 * 60 * 1000 }) };
}
