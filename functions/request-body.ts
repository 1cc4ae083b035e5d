/**
 * The bodies the rollout API accepts: a spec (JSON or YAML) or a small JSON request, never larger
 * than {@link MAX_BODY_BYTES}. The size is checked twice: from Content-Length before anything is
 * read, and while reading, because a chunked body announces no length. A body over the limit is
 * never parsed (YAML and schema validation cost grows with the text), and a media type that is
 * not a spec is refused before reading.
 */
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import type { SpecFormat } from "../lib/domain/spec-validation.js";
import { errorResponse } from "./responses.js";

/** The largest body the API reads: the 24-region example spec is under 3 KiB, so this leaves room for any real one. */
export const MAX_BODY_BYTES = 256 * 1024;

const JSON_TYPES = /^application\/(?:[\w.+-]+\+)?json$/;
const YAML_TYPES = /^(?:application|text)\/(?:x-)?yaml$|^application\/[\w.+-]+\+yaml$/;

/** A body that was read, or the response refusing it. */
export type BodyRead<T> = { ok: true; value: T } | { ok: false; response: HttpResponseInit };

/** The media type without parameters (`application/json; charset=utf-8` → `application/json`), "" when none. */
function mediaType(request: HttpRequest): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

function unsupported(type: string, accepted: string): BodyRead<never> {
  return { ok: false, response: errorResponse(415, "UnsupportedMediaType", `${type} is not accepted: ${accepted}`) };
}

/**
 * How a spec body is encoded, from its Content-Type: JSON, YAML, or (none, or text/plain) decided by
 * the text; anything else is refused with 415.
 */
export function specFormat(request: HttpRequest): BodyRead<SpecFormat> {
  const type = mediaType(request);
  if (JSON_TYPES.test(type)) return { ok: true, value: "json" };
  if (YAML_TYPES.test(type)) return { ok: true, value: "yaml" };
  if (type === "" || type === "text/plain") return { ok: true, value: "auto" };
  return unsupported(type, "send the spec as application/json or application/yaml");
}

/** Refuses a request body that is not JSON (no Content-Type and text/plain are read as JSON too). */
export function expectJson(request: HttpRequest): BodyRead<void> {
  const type = mediaType(request);
  if (type === "" || type === "text/plain" || JSON_TYPES.test(type)) return { ok: true, value: undefined };
  return unsupported(type, "send application/json");
}

function tooLarge(): BodyRead<never> {
  return {
    ok: false,
    response: errorResponse(
      413,
      "PayloadTooLarge",
      `the request body is larger than ${MAX_BODY_BYTES} bytes (${MAX_BODY_BYTES / 1024} KiB), the limit of this API`,
    ),
  };
}

/** The body as UTF-8 text, or 413 as soon as it is known to exceed {@link MAX_BODY_BYTES}. */
export async function readBodyText(request: HttpRequest): Promise<BodyRead<string>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return tooLarge();
  if (request.body === null) return { ok: true, value: "" };
  // The library types the stream's chunks as any; undici's request body yields bytes.
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return tooLarge();
    }
    chunks.push(value);
  }
  return { ok: true, value: Buffer.concat(chunks).toString("utf8") };
}
