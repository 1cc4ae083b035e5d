/**
 * The Key Vault keys operations the simulator serves, after authentication (server.ts): create,
 * import, get and sign, with the JSON shapes of Key Vault's REST API (KeyBundle, KeyOperationResult)
 * and its error answers — `{"error": {"code", "message", "innererror"?}}`, 404 `KeyNotFound`, 403
 * `Forbidden` / `ForbiddenByRbac` naming the data action, 400 `BadParameter`. Only EC keys on
 * `P-256K` exist here (what an Ethereum account needs); asking for anything else is a 400 that
 * says so rather than a key that would behave unlike Azure's.
 */
import { z } from "zod";
import { DATA_ACTIONS, type KeyAction, type VaultAccess } from "./access.js";
import { SUPPORTED_CURVE, type PublicKeyVersion, type VaultKeys } from "./keys.js";

/** Key Vault's error answer. */
export class VaultError extends Error {
  /** Extra response headers (the challenge, Retry-After). */
  readonly headers: Record<string, string> = {};

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
  ) {
    super(message);
    this.name = "VaultError";
  }

  body(): { error: { code: string; message: string; innererror?: { code: string } } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.innerCode === undefined ? {} : { innererror: { code: this.innerCode } }),
      },
    };
  }
}

/** An authenticated request, as the routes see it. */
export interface KeyRequest {
  method: string;
  /** Path segments after `/keys/`, empty ones kept (`/keys/k/` asks for the newest version). */
  segments: readonly string[];
  /** The caller: the bearer token it presented. */
  principal: string;
  /** `https://127.0.0.1:<port>`, the base of every `kid`. */
  vaultUrl: string;
  readJson(): Promise<unknown>;
}

export interface KeyRoutes {
  keys: VaultKeys;
  access: VaultAccess;
}

/** Key Vault's rule for object names. */
const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;

const attributesSchema = z.looseObject({ enabled: z.boolean().optional() }).optional();
const createSchema = z.looseObject({
  kty: z.string(),
  crv: z.string().optional(),
  key_ops: z.array(z.string()).optional(),
  attributes: attributesSchema,
  tags: z.record(z.string(), z.string()).optional(),
});
const importSchema = z.looseObject({
  key: z.looseObject({
    kty: z.string(),
    crv: z.string().optional(),
    d: z.string().optional(),
    key_ops: z.array(z.string()).optional(),
  }),
  attributes: attributesSchema,
  tags: z.record(z.string(), z.string()).optional(),
});
const signSchema = z.looseObject({ alg: z.string(), value: z.string() });

export async function routeKeyRequest(
  routes: KeyRoutes,
  request: KeyRequest,
): Promise<{ status: number; body: unknown }> {
  const [name = "", ...rest] = request.segments;
  if (!KEY_NAME.test(name))
    throw new VaultError(
      400,
      "BadParameter",
      `The key name '${name}' is invalid: use 1-127 letters, digits and dashes.`,
    );
  const { method } = request;
  if (method === "POST" && rest.length === 1 && rest[0] === "create") return ok(await createKey(routes, request, name));
  if (method === "PUT" && rest.length === 0) return ok(await importKey(routes, request, name));
  if (method === "GET" && rest.length <= 1) return ok(getKey(routes, request, name, rest[0]));
  if (method === "POST" && rest.length === 2 && rest[1] === "sign")
    return ok(await sign(routes, request, name, rest[0]));
  throw new VaultError(
    405,
    "MethodNotAllowed",
    `${method} /keys/${request.segments.join("/")} is not an operation of this vault.`,
  );
}

function ok(body: unknown): { status: number; body: unknown } {
  return { status: 200, body };
}

function authorize(routes: KeyRoutes, request: KeyRequest, action: KeyAction, name: string): void {
  if (routes.access.allows(request.principal, action)) return;
  throw new VaultError(
    403,
    "Forbidden",
    `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller role: ${routes.access.roleOf(request.principal)}\r\nAction: '${DATA_ACTIONS[action]}'\r\nResource: 'keys/${name}'\r\nAssignment: (not found)\r\n`,
    "ForbiddenByRbac",
  );
}

async function parseBody<T>(request: KeyRequest, schema: z.ZodType<T>): Promise<T> {
  const parsed = schema.safeParse(await request.readJson());
  if (!parsed.success)
    throw new VaultError(400, "BadParameter", `The request body is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function checkEcKey(kty: string, crv: string | undefined): void {
  // NOTE: a Standard-tier vault: EC-HSM (Premium) is refused like the other types, not faked.
  if (kty !== "EC" || crv !== SUPPORTED_CURVE)
    throw new VaultError(
      400,
      "BadParameter",
      `The simulated vault (Standard tier) holds only kty EC keys on curve ${SUPPORTED_CURVE}; kty '${kty}' with crv '${crv ?? "(none)"}' is not supported here.`,
    );
}

async function createKey(routes: KeyRoutes, request: KeyRequest, name: string): Promise<unknown> {
  authorize(routes, request, "create", name);
  const body = await parseBody(request, createSchema);
  checkEcKey(body.kty, body.crv);
  const created = routes.keys.create(name, { keyOps: body.key_ops, tags: body.tags });
  return keyBundle(request.vaultUrl, created);
}

async function importKey(routes: KeyRoutes, request: KeyRequest, name: string): Promise<unknown> {
  authorize(routes, request, "import", name);
  const body = await parseBody(request, importSchema);
  checkEcKey(body.key.kty, body.key.crv);
  const d = body.key.d === undefined ? undefined : Buffer.from(body.key.d, "base64url");
  if (d?.length !== 32)
    throw new VaultError(400, "BadParameter", "An imported EC key needs its private part 'd' (32 bytes, base64url).");
  try {
    return keyBundle(request.vaultUrl, routes.keys.importKey(name, d, { keyOps: body.key.key_ops, tags: body.tags }));
  } catch (error) {
    throw new VaultError(400, "BadParameter", error instanceof Error ? error.message : String(error));
  }
}

function getKey(routes: KeyRoutes, request: KeyRequest, name: string, version: string | undefined): unknown {
  authorize(routes, request, "read", name);
  return keyBundle(request.vaultUrl, existing(routes, name, version));
}

async function sign(
  routes: KeyRoutes,
  request: KeyRequest,
  name: string,
  version: string | undefined,
): Promise<unknown> {
  authorize(routes, request, "sign", name);
  const key = existing(routes, name, version);
  const body = await parseBody(request, signSchema);
  if (body.alg !== "ES256K")
    throw new VaultError(
      400,
      "BadParameter",
      `Algorithm '${body.alg}' does not match key type EC ${SUPPORTED_CURVE} (use ES256K).`,
    );
  if (!key.keyOps.includes("sign"))
    throw new VaultError(
      403,
      "Forbidden",
      `Operation sign is not permitted on key ${name}/${key.version}.`,
      "KeyOperationForbidden",
    );
  const digest = Buffer.from(body.value, "base64url");
  if (digest.length !== 32)
    throw new VaultError(400, "BadParameter", `Invalid digest length ${digest.length}: ES256K signs a 32-byte digest.`);
  const signature = routes.keys.sign(name, key.version, digest);
  return { kid: keyId(request.vaultUrl, key), value: Buffer.from(signature).toString("base64url") };
}

/** `version` empty or absent means the newest version. */
function existing(routes: KeyRoutes, name: string, version: string | undefined): PublicKeyVersion {
  const key = routes.keys.get(name, version === "" ? undefined : version);
  if (key === undefined)
    throw new VaultError(
      404,
      "KeyNotFound",
      `A key with (name/id) ${name}${version ? `/${version}` : ""} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    );
  return key;
}

export function keyId(vaultUrl: string, key: PublicKeyVersion): string {
  return `${vaultUrl}/keys/${key.name}/${key.version}`;
}

/** Key Vault's KeyBundle: the public JWK and the attributes; never `d`. */
function keyBundle(vaultUrl: string, key: PublicKeyVersion): unknown {
  return {
    key: {
      kid: keyId(vaultUrl, key),
      kty: "EC",
      key_ops: key.keyOps,
      crv: SUPPORTED_CURVE,
      x: Buffer.from(key.x).toString("base64url"),
      y: Buffer.from(key.y).toString("base64url"),
    },
    attributes: {
      enabled: true,
      created: key.created,
      updated: key.created,
      recoveryLevel: "Recoverable+Purgeable",
      recoverableDays: 90,
      exportable: false,
    },
    tags: key.tags,
  };
}
