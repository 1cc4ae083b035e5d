/**
 * ARM's long-running operations as a client polls them: the `Azure-AsyncOperation` and `Location`
 * URLs a write's first answer carries (on this server, under the operation's region), and the two
 * resources those URLs name, the operation's status record and its result.
 */
import { ArmError } from "./errors.js";
import type { Answer, ArmRouteTargets, RouteContext } from "./requests.js";
import type { AsyncOperation } from "./resources.js";

function operationUrl(
  targets: ArmRouteTargets,
  operation: AsyncOperation,
  kind: "operations" | "operationresults",
  apiVersion: string,
): string {
  return `${targets.baseUrl()}/subscriptions/${targets.state.subscriptionId}/providers/Microsoft.ContainerService/locations/${operation.region}/${kind}/${operation.id}?api-version=${encodeURIComponent(apiVersion)}`;
}

/** The headers a long-running operation's first answer points its poller with. */
export function operationHeaders(
  targets: ArmRouteTargets,
  operation: AsyncOperation,
  apiVersion: string,
  which: "async" | "location" | "both",
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (which !== "location")
    headers["Azure-AsyncOperation"] = operationUrl(targets, operation, "operations", apiVersion);
  if (which !== "async") headers.Location = operationUrl(targets, operation, "operationresults", apiVersion);
  return headers;
}

/**
 * A poll of a long-running operation: `operations` answers its status record, `operationresults`
 * 202 while it runs, 204 once it succeeded, and its error once it failed.
 */
export function operationRoute(targets: ArmRouteTargets, context: RouteContext, kind: string, id: string): Answer {
  const operation = targets.state.getOperation(id);
  if (operation === undefined) throw new ArmError(404, "NotFound", `Operation '${id}' was not found.`);
  if (kind === "operations") {
    context.setOperation("operations.get");
    return {
      status: 200,
      body: {
        id: `/subscriptions/${targets.state.subscriptionId}/providers/Microsoft.ContainerService/locations/${operation.region}/operations/${operation.id}`,
        name: operation.id,
        status: operation.status,
        startTime: operation.startTime,
        ...(operation.endTime === undefined ? {} : { endTime: operation.endTime }),
        ...(operation.error === undefined ? {} : { error: operation.error }),
      },
    };
  }
  context.setOperation("operationResults.get");
  if (operation.status === "InProgress") {
    return {
      status: 202,
      headers: { Location: operationUrl(targets, operation, "operationresults", context.apiVersion) },
    };
  }
  if (operation.status === "Succeeded") return { status: 204 };
  throw new ArmError(
    400,
    operation.error?.code ?? "OperationFailed",
    operation.error?.message ?? `Operation ${operation.status}.`,
  );
}
