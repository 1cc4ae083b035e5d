/**
 * Entra ID tokens for the control plane's API in Azure (docs/deploy.md): the CLI asks for a token
 * for the API's app registration with DefaultAzureCredential, which finds the operator's
 * `az login` (or a pipeline's managed identity or service principal). Made on first use, so a
 * command against the local stack never touches Azure identity.
 */
import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";

/** Returns an access token for a scope. */
export type TokenSource = (scope: string) => Promise<string>;

let credential: TokenCredential | undefined;

export const entraTokens: TokenSource = async (scope) => {
  credential ??= new DefaultAzureCredential();
  const token = await credential.getToken(scope);
  if (token === null) throw new Error(`no token was issued for ${scope}`);
  return token.token;
};

/** The scope of the API's app registration (Application ID URI `api://<client id>`, infra/app-roles.json). */
export const apiScope = (clientId: string): string => `api://${clientId}/.default`;
