/**
 * The app's Azure identity: one DefaultAzureCredential per process (it caches its tokens), made on
 * first use so that loading the app needs no configuration. In Azure it resolves to the Function
 * App's managed identity.
 */
import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";

let credential: TokenCredential | undefined;

export function appIdentity(): TokenCredential {
  credential ??= new DefaultAzureCredential();
  return credential;
}
