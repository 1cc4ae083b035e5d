/**
 * Where an ARM request goes. Before it runs, the region it is about (so that injected faults can
 * target a region); then the dispatch over the subscription's paths: the subscription itself and
 * its locations, resource groups, the cluster list, Kubernetes versions, resource SKUs and compute
 * usages. Managed clusters and agent pools are answered in cluster-routes.ts, polls of
 * long-running operations in operation-routes.ts.
 */
import { kubernetesVersionList, locationList, normalizeRegion, resourceSkus } from "./catalog.js";
import { clusterRoute } from "./cluster-routes.js";
import { ArmError } from "./errors.js";
import { operationHeaders, operationRoute } from "./operation-routes.js";
import {
  methodNotAllowed,
  requireMethod,
  resourceTypeNotFound,
  type Answer,
  type ArmRouteTargets,
  type RouteContext,
} from "./requests.js";
import type { ArmState } from "./resources.js";

/** Region a request is about, before it runs (faults can target a region). */
export function attributeRegion(state: ArmState, context: RouteContext): void {
  const { lower, segments } = context;
  if (lower[2] === "providers" && lower[4] === "locations" && segments[5] !== undefined) {
    context.setRegion(normalizeRegion(segments[5]));
  } else if (lower[2] === "resourcegroups" && segments[3] !== undefined) {
    if (lower[5] === "microsoft.containerservice" && lower[6] === "managedclusters" && segments[7] !== undefined) {
      context.setRegion(state.regionOfCluster(segments[3], segments[7]) ?? state.regionOfGroup(segments[3]));
    } else {
      context.setRegion(state.regionOfGroup(segments[3]));
    }
  }
}

/** Answers a request whose subscription, api-version and throttling have been checked. */
export async function route(targets: ArmRouteTargets, context: RouteContext): Promise<Answer> {
  const { method, segments, lower } = context;
  const state = targets.state;
  const rest = lower.slice(2);
  const resourceGroup = segments[3];
  if (rest.length === 0 && method === "GET") {
    context.setOperation("subscriptions.get");
    return {
      status: 200,
      body: {
        id: `/subscriptions/${state.subscriptionId}`,
        subscriptionId: state.subscriptionId,
        tenantId: targets.tenantId,
        displayName: "besu-fleet simulated subscription",
        state: "Enabled",
      },
    };
  }
  if (rest.length === 1 && rest[0] === "locations" && method === "GET") {
    context.setOperation("subscriptions.listLocations");
    return { status: 200, body: locationList(state.subscriptionId) };
  }
  if (rest[0] === "resourcegroups") {
    if (rest.length === 1) {
      requireMethod(method, ["GET"]);
      context.setOperation("resourceGroups.list");
      return { status: 200, body: { value: state.listResourceGroups() } };
    }
    if (resourceGroup !== undefined && rest.length === 2) return resourceGroupRoute(targets, context, resourceGroup);
    if (
      resourceGroup !== undefined &&
      rest[2] === "providers" &&
      rest[3] === "microsoft.containerservice" &&
      rest[4] === "managedclusters"
    ) {
      return clusterRoute(targets, context, resourceGroup);
    }
  }
  if (rest[0] === "providers") {
    if (rest[1] === "microsoft.containerservice" && rest[2] === "managedclusters" && rest.length === 3) {
      requireMethod(method, ["GET"]);
      context.setOperation("managedClusters.list");
      return { status: 200, body: { value: state.listClusters() } };
    }
    if (
      rest[1] === "microsoft.containerservice" &&
      rest[2] === "locations" &&
      rest.length === 6 &&
      (rest[4] === "operations" || rest[4] === "operationresults")
    ) {
      requireMethod(method, ["GET"]);
      return operationRoute(targets, context, rest[4], segments[7] ?? "");
    }
    if (
      rest[1] === "microsoft.containerservice" &&
      rest[2] === "locations" &&
      rest[4] === "kubernetesversions" &&
      rest.length === 5
    ) {
      requireMethod(method, ["GET"]);
      context.setOperation("managedClusters.listKubernetesVersions");
      requireRegion(segments[5] ?? "");
      return { status: 200, body: kubernetesVersionList() };
    }
    if (rest[1] === "microsoft.compute" && rest[2] === "skus" && rest.length === 3) {
      requireMethod(method, ["GET"]);
      context.setOperation("resourceSkus.list");
      // Clients filter by region with `$filter=location eq '<region>'`.
      const filter = /location\s+eq\s+'([^']+)'/i.exec(context.url.searchParams.get("$filter") ?? "")?.[1];
      const region = filter === undefined ? undefined : normalizeRegion(filter);
      return {
        status: 200,
        body: filter !== undefined && region === undefined ? { value: [] } : resourceSkus(region),
      };
    }
    if (rest[1] === "microsoft.compute" && rest[2] === "locations" && rest[4] === "usages" && rest.length === 5) {
      requireMethod(method, ["GET"]);
      context.setOperation("usages.list");
      return { status: 200, body: state.usages(segments[5] ?? "") };
    }
  }
  throw resourceTypeNotFound(context.url);
}

function requireRegion(location: string): string {
  const region = normalizeRegion(location);
  if (region === undefined)
    throw new ArmError(
      404,
      "NoRegisteredProviderFound",
      `No registered resource provider found for location '${location}'.`,
    );
  return region;
}

async function resourceGroupRoute(targets: ArmRouteTargets, context: RouteContext, name: string): Promise<Answer> {
  const state = targets.state;
  switch (context.method) {
    case "PUT": {
      context.setOperation("resourceGroups.createOrUpdate");
      const result = state.putResourceGroup(name, await context.readJson());
      context.setRegion(String(result.resource.location));
      return { status: result.created ? 201 : 200, body: result.resource };
    }
    case "GET":
      context.setOperation("resourceGroups.get");
      return { status: 200, body: state.getResourceGroup(name) };
    case "HEAD":
      context.setOperation("resourceGroups.checkExistence");
      return { status: state.regionOfGroup(name) === undefined ? 404 : 204 };
    case "DELETE": {
      context.setOperation("resourceGroups.delete");
      const operation = state.deleteResourceGroup(name);
      if (operation === undefined)
        throw new ArmError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
      return { status: 202, headers: operationHeaders(targets, operation, context.apiVersion, "location") };
    }
    default:
      return methodNotAllowed(context.method);
  }
}
