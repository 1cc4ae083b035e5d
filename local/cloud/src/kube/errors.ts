/** Kubernetes API errors, answered as `Status` objects with the API server's reasons and codes. */
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

export function notFound(qualified: string, name: string, group: string, kind: string): KubeError {
  return new KubeError(404, "NotFound", `${qualified} "${name}" not found`, { name, ...(group === "" ? {} : { group }), kind });
}
