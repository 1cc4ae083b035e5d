/**
 * The managed clusters of a resource group and what hangs under each: list, create or update, read
 * and delete a cluster, fetch its user or admin kubeconfig, and list, read, create or scale and
 * delete its agent pools. Every change answers with the long-running operation's polling headers.
 */
import { operationHeaders } from "./operation-routes.js";
import {
  methodNotAllowed,
  requireMethod,
  resourceTypeNotFound,
  type Answer,
  type ArmRouteTargets,
  type RouteContext,
} from "./requests.js";

/** Requests under `resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters`. */
export async function clusterRoute(
  targets: ArmRouteTargets,
  context: RouteContext,
  resourceGroup: string,
): Promise<Answer> {
  const { method, segments, lower } = context;
  const state = targets.state;
  const name = segments[7];
  if (name === undefined) {
    requireMethod(method, ["GET"]);
    context.setOperation("managedClusters.listByResourceGroup");
    return { status: 200, body: { value: state.listClusters(resourceGroup) } };
  }
  const sub = lower.slice(8);
  if (sub.length === 0) {
    switch (method) {
      case "PUT": {
        context.setOperation("managedClusters.createOrUpdate");
        const result = state.putCluster(resourceGroup, name, await context.readJson());
        context.setRegion(result.operation.region);
        return {
          status: result.created ? 201 : 200,
          body: result.resource,
          headers: operationHeaders(targets, result.operation, context.apiVersion, "async"),
        };
      }
      case "GET":
        context.setOperation("managedClusters.get");
        return { status: 200, body: state.getCluster(resourceGroup, name) };
      case "DELETE": {
        context.setOperation("managedClusters.delete");
        const operation = state.deleteCluster(resourceGroup, name);
        if (operation === undefined) return { status: 204 };
        return { status: 202, headers: operationHeaders(targets, operation, context.apiVersion, "both") };
      }
      default:
        return methodNotAllowed(method);
    }
  }
  if (sub.length === 1 && (sub[0] === "listclusterusercredential" || sub[0] === "listclusteradmincredential")) {
    requireMethod(method, ["POST"]);
    const role = sub[0] === "listclusteradmincredential" ? "admin" : "user";
    context.setOperation(
      role === "admin" ? "managedClusters.listClusterAdminCredential" : "managedClusters.listClusterUserCredential",
    );
    return { status: 200, body: state.credentials(resourceGroup, name, role, targets.caPem) };
  }
  if (sub[0] === "agentpools") {
    const pool = segments[9];
    if (pool === undefined) {
      requireMethod(method, ["GET"]);
      context.setOperation("agentPools.list");
      return { status: 200, body: { value: state.listAgentPools(resourceGroup, name) } };
    }
    if (sub.length === 2) {
      switch (method) {
        case "GET":
          context.setOperation("agentPools.get");
          return { status: 200, body: state.getAgentPool(resourceGroup, name, pool) };
        case "PUT": {
          context.setOperation("agentPools.createOrUpdate");
          const result = state.putAgentPool(resourceGroup, name, pool, await context.readJson());
          return {
            status: result.created ? 201 : 200,
            body: result.resource,
            headers: operationHeaders(targets, result.operation, context.apiVersion, "async"),
          };
        }
        case "DELETE": {
          context.setOperation("agentPools.delete");
          const operation = state.deleteAgentPool(resourceGroup, name, pool);
          if (operation === undefined) return { status: 204 };
          return { status: 202, headers: operationHeaders(targets, operation, context.apiVersion, "both") };
        }
        default:
          return methodNotAllowed(method);
      }
    }
  }
  throw resourceTypeNotFound(context.url);
}
