/**
 * The control plane's HTTP API as the CLI sees it: where it is, which key to present, and typed
 * calls whose answers are checked against the contract (docs/api.md). Answers the API gives on
 * purpose (400, 404, 409) come back as values; anything that means "the API cannot be used"
 * (unreachable, key refused, an answer outside the contract) is thrown as an {@link ApiFailure}.
 */
import { changePlanSchema, type ChangePlan } from "../lib/domain/changes/plan.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { rolloutStateSchema, rolloutStatusSchema, type RolloutStatus } from "../lib/domain/rollout-status.js";
import { UsageError } from "./args.js";
import { apiScope, entraTokens, type TokenSource } from "./credentials.js";

/** The local stack's host address (`besu-fleet local up`). */
export const LOCAL_API_URL = "http://127.0.0.1:7071";

/** Header that carries the function key (authLevel function). */
export const KEY_HEADER = "x-functions-key";

/** Environment variables the CLI reads. */
export const URL_ENV = "BESU_FLEET_URL";
export const KEY_ENV = "BESU_FLEET_KEY";
/** The API's Entra app registration: when set, the CLI sends an Entra token instead of a key. */
export const API_CLIENT_ID_ENV = "BESU_FLEET_API_CLIENT_ID";

/**
 * A rollout in `GET /api/rollouts`: the head of its status, without regions. The counts are
 * missing while the rollout has not published its first status.
 */
export const rolloutSummarySchema = rolloutStatusSchema
  .pick({ rolloutId: true, network: true, state: true, phase: true, createdAt: true, updatedAt: true })
  .extend({ counts: rolloutStatusSchema.shape.counts.optional() });
export type RolloutSummary = z.infer<typeof rolloutSummarySchema>;

/** 202 of `POST /api/rollouts` and of `POST /api/rollouts/{id}/retry`. */
export const rolloutAcceptedSchema = z.object({ rolloutId: z.string().min(1), statusUrl: z.string().min(1) });
export type RolloutAccepted = z.infer<typeof rolloutAcceptedSchema>;

/** 202 of `POST /api/rollouts/{id}/cancel`. */
export const cancelAcceptedSchema = z.object({ rolloutId: z.string().min(1), state: rolloutStateSchema });
export type CancelAccepted = z.infer<typeof cancelAcceptedSchema>;

/** The body of every 4xx answer the API gives on purpose. */
export const apiErrorSchema = z.object({
  error: z.string().min(1),
  message: z.string().optional(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  runningRolloutId: z.string().optional(),
});
export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

/** Where the key came from: named in messages instead of the key itself. */
export type KeySource = "--key" | typeof KEY_ENV | "local keys file" | "none";

export interface ApiEndpoint {
  baseUrl: string;
  key: string | undefined;
  /** The Entra token scope to authenticate with (Azure), instead of a key. */
  tokenScope?: string;
  keySource: KeySource;
  /** The local keys file that was looked at, for the "no key" hint. */
  localKeysFile: string;
}

const localKeysSchema = z.object({ functionKeys: z.object({ default: z.string().min(1) }) });

function isLoopback(url: URL): boolean {
  return url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
}

function readLocalKey(file: string): string | undefined {
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined; // no local stack yet, or a damaged file: the request goes without a key and says so
  }
  const parsed = localKeysSchema.safeParse(content);
  return parsed.success ? parsed.data.functionKeys.default : undefined;
}

/**
 * The API's base URL and key: flags first, then the environment, then the local stack.
 * NOTE: the local keys file is only used for a loopback URL, so a key of this machine's host is
 * never sent to another machine.
 */
export function resolveEndpoint(
  flags: { url?: string; key?: string; apiClientId?: string },
  env: Readonly<Record<string, string | undefined>>,
  projectRoot: string,
): ApiEndpoint {
  const text = flags.url ?? (env[URL_ENV] || undefined) ?? LOCAL_API_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`The API URL '${text}' is not a URL (from ${flags.url !== undefined ? "--url" : URL_ENV}).`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`The API URL must be http or https, not '${url.protocol}'.`);
  const baseUrl = url.href.replace(/\/+$/, "");
  const localKeysFile = path.join(projectRoot, ".local", "keys.json");
  const apiClientId = flags.apiClientId ?? (env[API_CLIENT_ID_ENV] || undefined);
  if (apiClientId !== undefined)
    return { baseUrl, key: undefined, keySource: "none", localKeysFile, tokenScope: apiScope(apiClientId) };
  const explicit: { key: string; keySource: KeySource } | undefined =
    flags.key !== undefined
      ? { key: flags.key, keySource: "--key" }
      : env[KEY_ENV]
        ? { key: env[KEY_ENV], keySource: KEY_ENV }
        : undefined;
  if (explicit !== undefined) {
    // A key is a credential that may start rollouts: never in clear text over a network.
    if (url.protocol === "http:" && !isLoopback(url))
      throw new UsageError(
        `Refusing to send the key from ${explicit.keySource} over plain HTTP to ${url.host}: use an https URL.`,
      );
    return { baseUrl, ...explicit, localKeysFile };
  }
  const local = isLoopback(url) ? readLocalKey(localKeysFile) : undefined;
  return { baseUrl, key: local, keySource: local === undefined ? "none" : "local keys file", localKeysFile };
}

/** Why the API could not be used: unreachable, key refused, or an answer outside the contract. */
export class ApiFailure extends Error {
  override name = "ApiFailure";
  constructor(
    readonly kind: "unreachable" | "unauthorized" | "unexpected",
    message: string,
    /** The HTTP status when the API answered at all. */
    readonly httpStatus?: number,
  ) {
    super(message);
  }

  /** True when waiting may help: no answer, or a server error (e.g. a host restarting). */
  get transient(): boolean {
    return this.kind === "unreachable" || (this.httpStatus !== undefined && this.httpStatus >= 500);
  }
}

/** An answer of the API: the contract's success body, or one of its deliberate error answers. */
export type ApiAnswer<T> =
  | { ok: true; status: number; body: T; json: unknown }
  | { ok: false; status: 400 | 404 | 409; error: ApiErrorBody; json: unknown };

/** Statuses the contract answers with an error body on purpose. */
const DELIBERATE_ERRORS = new Set([400, 404, 409]);

const REQUEST_TIMEOUT_MS = 30_000;

function networkCause(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code !== undefined ? `${code} (${cause.message})` : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A client for one API endpoint. Every call checks the answer against the contract. */
export class RolloutApi {
  constructor(
    readonly endpoint: ApiEndpoint,
    private readonly tokens: TokenSource = entraTokens,
  ) {}

  private describeKeyRefusal(status: number, text: string): string {
    const { baseUrl, keySource, localKeysFile, tokenScope } = this.endpoint;
    if (tokenScope !== undefined) {
      const why = apiErrorSchema.safeParse(text === "" ? undefined : safeJson(text));
      return `The API at ${baseUrl} refused the Entra token for ${tokenScope} (HTTP ${status})${why.success && why.data.message !== undefined ? `: ${why.data.message}` : ""}.`;
    }
    if (keySource === "none") {
      return `The API at ${baseUrl} refused the request (HTTP ${status}): no key was sent. Pass --key, set ${KEY_ENV}, or start the local stack (which writes ${localKeysFile}).`;
    }
    return `The API at ${baseUrl} refused the key from ${keySource} (HTTP ${status}). Check the key for this URL.`;
  }

  protected async call<T>(
    method: string,
    route: string,
    schema: z.ZodType<T>,
    body?: { text: string; contentType: string },
  ): Promise<ApiAnswer<T>> {
    const url = `${this.endpoint.baseUrl}${route}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.endpoint.key !== undefined) headers[KEY_HEADER] = this.endpoint.key;
    if (this.endpoint.tokenScope !== undefined) headers.authorization = `Bearer ${await this.token()}`;
    if (body !== undefined) headers["content-type"] = body.contentType;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body?.text,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      throw new ApiFailure("unreachable", `Cannot reach the API at ${this.endpoint.baseUrl}: ${networkCause(error)}.`);
    }
    if (response.status === 401 || response.status === 403)
      throw new ApiFailure("unauthorized", this.describeKeyRefusal(response.status, text), response.status);
    const json = text === "" ? undefined : safeJson(text);
    const outside = (why: string): ApiFailure =>
      new ApiFailure(
        "unexpected",
        `The API at ${this.endpoint.baseUrl} answered ${method} ${route} with HTTP ${response.status}: ${why}.`,
        response.status,
      );
    if (response.ok) {
      const parsed = schema.safeParse(json);
      if (!parsed.success)
        throw outside(`the body does not match the contract (${z.prettifyError(parsed.error).replace(/\n/g, " ")})`);
      return { ok: true, status: response.status, body: parsed.data, json };
    }
    if (DELIBERATE_ERRORS.has(response.status)) {
      const parsed = apiErrorSchema.safeParse(json);
      // A bare 404 comes from a host without this route: not the API's "no such rollout".
      if (parsed.success) return { ok: false, status: response.status as 400 | 404 | 409, error: parsed.data, json };
      throw outside(
        response.status === 404 ? "no such route (is this the besu-fleet API, and is it deployed?)" : "no error body",
      );
    }
    throw outside(text === "" ? "no body" : text.slice(0, 300));
  }

  private async token(): Promise<string> {
    const scope = this.endpoint.tokenScope ?? "";
    try {
      return await this.tokens(scope);
    } catch (error) {
      throw new ApiFailure(
        "unauthorized",
        `Cannot get an Entra token for ${scope} (sign in with az login): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** `POST /api/rollouts` with the spec as written (JSON or YAML). */
  startRollout(specText: string, contentType: string): Promise<ApiAnswer<RolloutAccepted>> {
    return this.call("POST", "/api/rollouts", rolloutAcceptedSchema, { text: specText, contentType });
  }

  /** `POST /api/rollouts?dryRun=true`: the change plan for the spec; nothing changes. */
  planRollout(specText: string, contentType: string): Promise<ApiAnswer<ChangePlan>> {
    return this.call("POST", "/api/rollouts?dryRun=true", changePlanSchema, { text: specText, contentType });
  }

  /** `GET /api/rollouts`, newest first. */
  listRollouts(): Promise<ApiAnswer<RolloutSummary[]>> {
    return this.call("GET", "/api/rollouts", z.array(rolloutSummarySchema));
  }

  /** `GET /api/rollouts/{id}`: the status (before its first one, the rollout answers that status as it starts). */
  getRollout(rolloutId: string): Promise<ApiAnswer<RolloutStatus>> {
    return this.call("GET", `/api/rollouts/${encodeURIComponent(rolloutId)}`, rolloutStatusSchema);
  }

  /** `POST /api/rollouts/{id}/retry`; no regions means every region that did not succeed. */
  retryRollout(rolloutId: string, regions: readonly string[]): Promise<ApiAnswer<RolloutAccepted>> {
    const body = JSON.stringify(regions.length > 0 ? { regions } : {});
    return this.call("POST", `/api/rollouts/${encodeURIComponent(rolloutId)}/retry`, rolloutAcceptedSchema, {
      text: body,
      contentType: "application/json",
    });
  }

  /** `POST /api/rollouts/{id}/cancel`. */
  cancelRollout(rolloutId: string): Promise<ApiAnswer<CancelAccepted>> {
    return this.call("POST", `/api/rollouts/${encodeURIComponent(rolloutId)}/cancel`, cancelAcceptedSchema);
  }
}
