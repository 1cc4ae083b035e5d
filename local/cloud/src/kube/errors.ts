/** Kubernetes API errors, answered as `Status` objects with the API server's reasons and codes. */
import { qualifiedName, type ResourceType } from "./catalog.js";

export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "KubeError";
  }

  status(): Record<string, unknown> {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...(this.details === undefined ? {} : { details: this.details }),
      code: this.code,
    };
  }
}

function details(name: string, group: string, kind: string): Record<string, unknown> {
  return { name, ...(group === "" ? {} : { group }), kind };
}

/** The `details` of a Status about one object: its name, its API group (none for the core group) and its resource. */
export function objectDetails(resourceType: ResourceType, name: string): Record<string, unknown> {
  return details(name, resourceType.group, resourceType.plural);
}

export function notFound(qualified: string, name: string, group: string, kind: string): KubeError {
  return new KubeError(404, "NotFound", `${qualified} "${name}" not found`, details(name, group, kind));
}

/** 404 for an object of one of the served types. */
export function objectNotFound(resourceType: ResourceType, name: string): KubeError {
  return notFound(qualifiedName(resourceType), name, resourceType.group, resourceType.plural);
}
