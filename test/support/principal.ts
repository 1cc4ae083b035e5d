/** The principal header as App Service Authentication encodes it for an Entra token, for tests of entra mode. */
import { PRINCIPAL_HEADER } from "../../functions/authorization.js";

export function principalHeader(name: string, roles: string[]): string {
  const principal = {
    auth_typ: "aad",
    name_typ: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
    role_typ: "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
    claims: [
      { typ: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", val: name },
      ...roles.map((role) => ({ typ: "roles", val: role })),
    ],
  };
  return Buffer.from(JSON.stringify(principal)).toString("base64");
}

/** Request headers of a caller signed in as `name` with `roles`. */
export const signedInHeaders = (name: string, roles: string[]): Record<string, string> => ({
  [PRINCIPAL_HEADER]: principalHeader(name, roles),
});
