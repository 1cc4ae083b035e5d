/**
 * What ARM's route handlers share: the request as they see it (path segments, api-version, a
 * body read as JSON on demand, and the setters that attribute it to a region and an operation for
 * faults and the operation log), what they answer from besides the request, the answer they
 * return, and the refusals ARM makes of any request: 405 for a method a resource lacks, 404 for a
 * path that names no resource type, 400 for a body that is no JSON. `errorAnswer` turns whatever a
 * handler throws into the error answer ARM would give.
 */
import type { IncomingMessage } from "node:http";
import { BodyTooLargeError, readBody } from "../http.js";
import { ArmError } from "./errors.js";
import type { ArmState } from "./resources.js";

/** What the handlers answer from besides the request. */
export interface ArmRouteTargets {
  state: ArmState;
  tenantId: string;
  /** The CA certificate the kubeconfigs handed out trust. */
  caPem: string;
  /** This server's own URL, for the operation links it hands out; known once it listens. */
  baseUrl(): string;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteContext {
  method: string;
  segments: string[];
  /** Lower-cased segments for matching fixed names (ARM paths are case-insensitive). */
  lower: string[];
  url: URL;
  apiVersion: string;
  readJson: () => Promise<unknown>;
  /** Sets the region that faults and the operation log attribute this request to. */
  setRegion: (region: string | undefined) => void;
  setOperation: (name: string) => void;
}

/** The refusal of a method the addressed resource does not support. */
export function methodNotAllowed(method: string): never {
  throw new ArmError(405, "MethodNotAllowed", `The HTTP method '${method}' is not supported for this resource.`);
}

export function requireMethod(method: string, allowed: string[]): void {
  if (!allowed.includes(method)) methodNotAllowed(method);
}

/** ARM's answer to a path that names no resource type it knows. */
export function resourceTypeNotFound(url: URL): ArmError {
  return new ArmError(404, "InvalidResourceType", `The resource type could not be found for path '${url.pathname}'.`);
}

/** The answer ARM gives for what a handler threw; anything unexpected is logged and answered 500. */
export function errorAnswer(error: unknown, log: (line: string) => void): Answer {
  if (error instanceof ArmError) return { status: error.status, body: error.body(), headers: error.headers };
  if (error instanceof BodyTooLargeError)
    return { status: 413, body: { error: { code: "RequestEntityTooLarge", message: error.message } } };
  if (error instanceof URIError)
    return {
      status: 400,
      body: {
        error: {
          code: "InvalidRequestUri",
          message: "The request URI is not valid: it holds a malformed percent-encoding.",
        },
      },
    };
  log(`ARM internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return {
    status: 500,
    body: { error: { code: "InternalServerError", message: "The server encountered an internal error." } },
  };
}

/** A request body as JSON; an empty or malformed body is ARM's 400 InvalidRequestContent. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const raw = (await readBody(req)).toString("utf8");
  if (raw.trim() === "")
    throw new ArmError(
      400,
      "InvalidRequestContent",
      "The request content was invalid and could not be deserialized: the body is empty.",
    );
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new ArmError(
      400,
      "InvalidRequestContent",
      "The request content was invalid and could not be deserialized: the body is not valid JSON.",
    );
  }
}
