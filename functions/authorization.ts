/**
 * Who may call which route. Two modes, chosen by the app setting BESU_FLEET_API_AUTH when the app
 * registers its functions:
 * - `keys` (the default; the local stack): every route but health needs a function key, checked by
 *   the Functions host; a key may do everything, so keys are for automation and the local stack.
 * - `entra` (Azure, set by infra/): App Service Authentication with Entra ID sits in front of the
 *   app, validates the caller's token and passes the caller on as the `x-ms-client-principal`
 *   header (App Service drops that header when a client sends it). Routes are anonymous to the
 *   Functions host and each checks the caller's app roles here: Fleet.Reader for reads,
 *   Fleet.Operator for anything that starts, retries or cancels work (an operator may also read).
 * Health is anonymous in both modes and tells nothing but liveness.
 */
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { z } from "zod";
import { errorResponse } from "./responses.js";

export type ApiAuthMode = "keys" | "entra";

/** The app roles of the API's Entra app registration (docs/deploy.md). */
export const API_ROLES = { reader: "Fleet.Reader", operator: "Fleet.Operator" } as const;
export type ApiRole = (typeof API_ROLES)[keyof typeof API_ROLES];

/** The header App Service Authentication sets: base64 JSON of the validated token's claims. */
export const PRINCIPAL_HEADER = "x-ms-client-principal";
/** The claim type of app roles in Entra tokens, and the long form some providers use. */
const ROLE_CLAIM_TYPES = ["roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"];

const principalSchema = z.object({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })),
});

/** The caller as App Service Authentication describes it. */
export interface Caller {
  name: string;
  roles: Set<string>;
}

/** The caller from the principal header; undefined when there is none or it cannot be read. */
export function callerOf(request: Pick<HttpRequest, "headers">): Caller | undefined {
  const header = request.headers.get(PRINCIPAL_HEADER);
  if (header === null || header === "") return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(header, "base64").toString("utf8"));
  } catch {
    return undefined;
  }
  const parsed = principalSchema.safeParse(decoded);
  if (!parsed.success) return undefined;
  const { claims, name_typ: nameType, role_typ: roleType } = parsed.data;
  const roleTypes = new Set([...ROLE_CLAIM_TYPES, ...(roleType === undefined ? [] : [roleType])]);
  const nameTypes = [nameType, "name", "preferred_username", "appid", "oid"];
  const name = nameTypes.map((type) => claims.find((claim) => claim.typ === type)?.val).find(Boolean) ?? "unknown";
  return { name, roles: new Set(claims.filter((claim) => roleTypes.has(claim.typ)).map((claim) => claim.val)) };
}

/**
 * Who a request comes from, for the audit trail: with keys, "function key" (nothing validated a
 * principal header then, so one the caller sent proves nothing); with Entra, the signed-in
 * principal's name, or "anonymous".
 */
export function requesterOf(request: Pick<HttpRequest, "headers">, mode: ApiAuthMode): string {
  return mode === "keys" ? "function key" : (callerOf(request)?.name ?? "anonymous");
}

/** The role a route needs: reads need Fleet.Reader, anything else Fleet.Operator. */
export function requiredRole(methods: readonly string[] | undefined): ApiRole {
  const reads = methods !== undefined && methods.length > 0 && methods.every((method) => method === "GET");
  return reads ? API_ROLES.reader : API_ROLES.operator;
}

/** Why `caller` may not use a route that needs `role`, or undefined when it may. */
export function refusal(caller: Caller | undefined, role: ApiRole): HttpResponseInit | undefined {
  if (caller === undefined)
    return errorResponse(401, "Unauthenticated", "Sign in with Entra ID: this API needs a token for its app.");
  const allowed = caller.roles.has(role) || (role === API_ROLES.reader && caller.roles.has(API_ROLES.operator));
  return allowed
    ? undefined
    : errorResponse(403, "Forbidden", `This route needs the app role ${role}, which ${caller.name} does not have.`);
}

/** What every HTTP function registration has, whatever its trigger's other arguments (context, durable client). */
interface HttpRegistration {
  methods?: string[];
  authLevel?: "anonymous" | "function" | "admin";
  handler: (request: HttpRequest, ...rest: never[]) => unknown;
}

/** A route registration as the mode requires: keys checked by the host, or roles checked here. */
export function secured<O extends HttpRegistration>(options: O, mode: ApiAuthMode): O {
  if (options.authLevel === "anonymous" || mode === "keys") return options;
  const role = requiredRole(options.methods);
  const handler = options.handler;
  const checked = async (request: HttpRequest, ...rest: never[]) =>
    refusal(callerOf(request), role) ?? (await handler(request, ...rest));
  // The checked handler answers what the registered one answers, or a refusal (an HttpResponseInit).
  return { ...options, authLevel: "anonymous", handler: checked as O["handler"] };
}
