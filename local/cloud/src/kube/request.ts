/**
 * What an API request asks, read as the API server reads it: its body (JSON or YAML by media
 * type), the field manager and dry-run of a write, whether a GET is a watch, and the attributes
 * the authorizer decides on (the verb Kubernetes derives from the method and the path).
 */
import type { IncomingMessage } from "node:http";
import { parse as parseYaml } from "yaml";
import { readBody } from "../http.js";
import type { ResourceType } from "./catalog.js";
import { KubeError } from "./errors.js";
import type { RequestAttributes } from "./rbac.js";
import type { WriteOptions } from "./writes.js";

export function mediaType(req: IncomingMessage): string {
  return (
    String(req.headers["content-type"] ?? "application/json")
      .split(";")[0]
      ?.trim()
      .toLowerCase() ?? "application/json"
  );
}

/** The request's body, decoded by its media type; 400 when it is empty or does not decode. */
export async function readObject(req: IncomingMessage): Promise<unknown> {
  const raw = (await readBody(req)).toString("utf8");
  if (raw.trim() === "") throw new KubeError(400, "BadRequest", "the request body is empty");
  try {
    return mediaType(req).includes("yaml") ? (parseYaml(raw) as unknown) : (JSON.parse(raw) as unknown);
  } catch (error) {
    throw new KubeError(
      400,
      "BadRequest",
      `the body of the request could not be decoded: ${error instanceof Error ? error.message : "invalid"}`,
    );
  }
}

/**
 * A write's options: the field manager of a non-apply write (the `fieldManager` parameter, else
 * the client's user agent as the API server derives it) and `dryRun=All`.
 */
export function writeOptionsOf(url: URL, req: IncomingMessage): Required<WriteOptions> {
  const explicit = url.searchParams.get("fieldManager");
  const agent = String(req.headers["user-agent"] ?? "unknown");
  return {
    fieldManager: explicit !== null && explicit !== "" ? explicit : agent.split("/")[0] || "unknown",
    dryRun: url.searchParams.get("dryRun") === "All",
  };
}

export function isWatch(url: URL): boolean {
  return url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
}

/** The authorizer's view of a request: the verb Kubernetes derives from the method and the path. */
export function requestAttributes(
  method: string,
  url: URL,
  resourceType: ResourceType,
  namespace: string | undefined,
  name: string | undefined,
  subresource: string | undefined,
): RequestAttributes {
  const verbs: Record<string, string> = {
    GET: name !== undefined ? "get" : isWatch(url) ? "watch" : "list",
    POST: "create",
    PUT: "update",
    PATCH: "patch",
    DELETE: name === undefined ? "deletecollection" : "delete",
  };
  return {
    verb: verbs[method] ?? method.toLowerCase(),
    group: resourceType.group,
    resource: resourceType.plural,
    ...(subresource === undefined ? {} : { subresource }),
    namespace,
    // A create names no object, unless it creates a subresource of one (a TokenRequest).
    name: method === "POST" && subresource === undefined ? undefined : name,
  };
}
