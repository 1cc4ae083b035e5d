/**
 * ARM over HTTPS: routes requests onto `ArmState`, with ARM's authentication answer, subscription
 * throttling, long-running-operation headers, injected faults and the operation log.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { closeServer, listenOnLoopback, readBody, sendJson, BodyTooLargeError } from "../http.js";
import type { FaultInjector } from "../faults.js";
import type { OperationLog } from "../oplog.js";
import type { ServerCertificate } from "../tls.js";
import type { SimClock } from "../clock.js";
import { kubernetesVersionList, locationList, normalizeRegion, resourceSkus } from "./catalog.js";
import { ArmError } from "./errors.js";
import type { ArmState, AsyncOperation } from "./resources.js";
import type { RequestClass, SubscriptionThrottle } from "./throttle.js";

export interface ArmServerOptions {
  state: ArmState;
  tenantId: string;
  certificate: ServerCertificate;
  caPem: string;
  throttle: SubscriptionThrottle;
  faults: FaultInjector;
  operationLog: OperationLog;
  clock: SimClock;
  log: (line: string) => void;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface RouteContext {
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

function requestClass(method: string): RequestClass {
  if (method === "GET" || method === "HEAD") return "reads";
  if (method === "DELETE") return "deletes";
  return "writes";
}

export class ArmServer {
  private readonly server: Server;
  private baseUrl = "";

  constructor(private readonly options: ArmServerOptions) {
    this.server = createServer({ cert: options.certificate.certPem, key: options.certificate.keyPem }, (req, res) => {
      void this.handle(req, res);
    });
  }

  async start(): Promise<string> {
    const port = await listenOnLoopback(this.server);
    this.baseUrl = `https://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", this.baseUrl);
    let region: string | undefined;
    let operation = `${method} ${url.pathname}`;
    let throttled = false;
    let fault: string | undefined;
    let answer: Answer;
    try {
      const authorization = req.headers.authorization ?? "";
      if (!/^Bearer\s+\S+/i.test(authorization)) {
        throw new ArmError(
          401,
          authorization === "" ? "AuthenticationFailed" : "InvalidAuthenticationToken",
          authorization === ""
            ? "Authentication failed. The 'Authorization' header is missing."
            : "The access token is invalid.",
          {
            "WWW-Authenticate": `Bearer authorization_uri="https://login.microsoftonline.com/${this.options.tenantId}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
          },
        );
      }
      const segments = url.pathname
        .split("/")
        .filter((segment) => segment !== "")
        .map((segment) => decodeURIComponent(segment));
      const lower = segments.map((segment) => segment.toLowerCase());
      if (lower[0] !== "subscriptions" || segments[1] === undefined) {
        throw new ArmError(
          404,
          "InvalidResourceType",
          `The resource type could not be found for path '${url.pathname}'.`,
        );
      }
      const subscriptionId = segments[1];
      const decision = this.options.throttle.take(subscriptionId, requestClass(method));
      const remainingHeader = `x-ms-ratelimit-remaining-subscription-${requestClass(method)}`;
      if (!decision.allowed) {
        throttled = true;
        throw new ArmError(
          429,
          "TooManyRequests",
          `The request is being throttled as the limit has been reached for operation type - ${requestClass(method)}. Retry after ${decision.retryAfterSeconds} seconds.`,
          { "Retry-After": String(decision.retryAfterSeconds), [remainingHeader]: "0" },
        );
      }
      const apiVersion = url.searchParams.get("api-version");
      if (apiVersion === null || apiVersion === "") {
        throw new ArmError(
          400,
          "MissingApiVersionParameter",
          "The api-version query parameter (?api-version=) is required for all requests.",
        );
      }
      if (subscriptionId.toLowerCase() !== this.options.state.subscriptionId.toLowerCase()) {
        throw new ArmError(404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`);
      }
      const context: RouteContext = {
        method,
        segments,
        lower,
        url,
        apiVersion,
        readJson: () => this.readJson(req),
        setRegion: (value) => {
          region = value;
        },
        setOperation: (name) => {
          operation = name;
        },
      };
      this.attributeRegion(context);
      const injected = this.options.faults.decide("arm", region);
      const latency = this.options.faults.latencyMs("arm", region);
      if (latency > 0) await this.options.clock.sleepWall(latency);
      if (injected.kind === "reset") {
        fault = injected.description;
        req.socket.destroy();
        this.logRequest(started, region, operation, "reset", throttled, fault);
        return;
      }
      if (injected.kind === "429") {
        fault = injected.description;
        throttled = true;
        throw new ArmError(429, "TooManyRequests", "The request is being throttled. Retry after 1 seconds.", {
          "Retry-After": "1",
          [remainingHeader]: "0",
        });
      }
      if (injected.kind === "5xx") {
        fault = injected.description;
        throw new ArmError(
          injected.status,
          injected.status === 503 ? "ServiceUnavailable" : "InternalServerError",
          "The server encountered an internal error. Please retry the request.",
        );
      }
      answer = await this.route(context);
      answer.headers = { ...answer.headers, [remainingHeader]: String(decision.remaining) };
    } catch (error) {
      answer = this.errorAnswer(error);
    }
    answer.headers = {
      ...answer.headers,
      "x-ms-request-id": randomUUID(),
      "x-ms-correlation-request-id": randomUUID(),
    };
    sendJson(res, answer.status, answer.body, answer.headers);
    this.logRequest(started, region, operation, answer.status, throttled, fault);
  }

  private logRequest(
    started: number,
    region: string | undefined,
    operation: string,
    status: number | string,
    throttled: boolean,
    fault: string | undefined,
  ): void {
    this.options.operationLog.record({
      time: new Date(started).toISOString(),
      target: "arm",
      ...(region === undefined ? {} : { region }),
      operation,
      status,
      durationMs: Date.now() - started,
      throttled,
      ...(fault === undefined ? {} : { fault }),
    });
  }

  private errorAnswer(error: unknown): Answer {
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
    this.options.log(`ARM internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return {
      status: 500,
      body: { error: { code: "InternalServerError", message: "The server encountered an internal error." } },
    };
  }

  private async readJson(req: IncomingMessage): Promise<unknown> {
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

  /** Region a request is about, before it runs (faults can target a region). */
  private attributeRegion(context: RouteContext): void {
    const { lower, segments } = context;
    const state = this.options.state;
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

  private async route(context: RouteContext): Promise<Answer> {
    const { method, segments, lower } = context;
    const state = this.options.state;
    const rest = lower.slice(2);
    const resourceGroup = segments[3];
    if (rest.length === 0 && method === "GET") {
      context.setOperation("subscriptions.get");
      return {
        status: 200,
        body: {
          id: `/subscriptions/${state.subscriptionId}`,
          subscriptionId: state.subscriptionId,
          tenantId: this.options.tenantId,
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
        this.requireMethod(method, ["GET"]);
        context.setOperation("resourceGroups.list");
        return { status: 200, body: { value: state.listResourceGroups() } };
      }
      if (resourceGroup !== undefined && rest.length === 2) return this.resourceGroupRoute(context, resourceGroup);
      if (
        resourceGroup !== undefined &&
        rest[2] === "providers" &&
        rest[3] === "microsoft.containerservice" &&
        rest[4] === "managedclusters"
      ) {
        return this.clusterRoute(context, resourceGroup);
      }
    }
    if (rest[0] === "providers") {
      if (rest[1] === "microsoft.containerservice" && rest[2] === "managedclusters" && rest.length === 3) {
        this.requireMethod(method, ["GET"]);
        context.setOperation("managedClusters.list");
        return { status: 200, body: { value: state.listClusters() } };
      }
      if (
        rest[1] === "microsoft.containerservice" &&
        rest[2] === "locations" &&
        rest.length === 6 &&
        (rest[4] === "operations" || rest[4] === "operationresults")
      ) {
        this.requireMethod(method, ["GET"]);
        return this.operationRoute(context, rest[4], segments[7] ?? "");
      }
      if (
        rest[1] === "microsoft.containerservice" &&
        rest[2] === "locations" &&
        rest[4] === "kubernetesversions" &&
        rest.length === 5
      ) {
        this.requireMethod(method, ["GET"]);
        context.setOperation("managedClusters.listKubernetesVersions");
        this.requireRegion(segments[5] ?? "");
        return { status: 200, body: kubernetesVersionList() };
      }
      if (rest[1] === "microsoft.compute" && rest[2] === "skus" && rest.length === 3) {
        this.requireMethod(method, ["GET"]);
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
        this.requireMethod(method, ["GET"]);
        context.setOperation("usages.list");
        return { status: 200, body: state.usages(segments[5] ?? "") };
      }
    }
    throw new ArmError(
      404,
      "InvalidResourceType",
      `The resource type could not be found for path '${context.url.pathname}'.`,
    );
  }

  private requireRegion(location: string): string {
    const region = normalizeRegion(location);
    if (region === undefined)
      throw new ArmError(
        404,
        "NoRegisteredProviderFound",
        `No registered resource provider found for location '${location}'.`,
      );
    return region;
  }

  private requireMethod(method: string, allowed: string[]): void {
    if (!allowed.includes(method))
      throw new ArmError(405, "MethodNotAllowed", `The HTTP method '${method}' is not supported for this resource.`);
  }

  private async resourceGroupRoute(context: RouteContext, name: string): Promise<Answer> {
    const state = this.options.state;
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
        return { status: 202, headers: this.operationHeaders(operation, context.apiVersion, "location") };
      }
      default:
        return this.requireMethodAnswer(context.method);
    }
  }

  private requireMethodAnswer(method: string): never {
    throw new ArmError(405, "MethodNotAllowed", `The HTTP method '${method}' is not supported for this resource.`);
  }

  private async clusterRoute(context: RouteContext, resourceGroup: string): Promise<Answer> {
    const { method, segments, lower } = context;
    const state = this.options.state;
    const name = segments[7];
    if (name === undefined) {
      this.requireMethod(method, ["GET"]);
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
            headers: this.operationHeaders(result.operation, context.apiVersion, "async"),
          };
        }
        case "GET":
          context.setOperation("managedClusters.get");
          return { status: 200, body: state.getCluster(resourceGroup, name) };
        case "DELETE": {
          context.setOperation("managedClusters.delete");
          const operation = state.deleteCluster(resourceGroup, name);
          if (operation === undefined) return { status: 204 };
          return { status: 202, headers: this.operationHeaders(operation, context.apiVersion, "both") };
        }
        default:
          return this.requireMethodAnswer(method);
      }
    }
    if (sub.length === 1 && (sub[0] === "listclusterusercredential" || sub[0] === "listclusteradmincredential")) {
      this.requireMethod(method, ["POST"]);
      const role = sub[0] === "listclusteradmincredential" ? "admin" : "user";
      context.setOperation(
        role === "admin" ? "managedClusters.listClusterAdminCredential" : "managedClusters.listClusterUserCredential",
      );
      return { status: 200, body: state.credentials(resourceGroup, name, role, this.options.caPem) };
    }
    if (sub[0] === "agentpools") {
      const pool = segments[9];
      if (pool === undefined) {
        this.requireMethod(method, ["GET"]);
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
              headers: this.operationHeaders(result.operation, context.apiVersion, "async"),
            };
          }
          case "DELETE": {
            context.setOperation("agentPools.delete");
            const operation = state.deleteAgentPool(resourceGroup, name, pool);
            if (operation === undefined) return { status: 204 };
            return { status: 202, headers: this.operationHeaders(operation, context.apiVersion, "both") };
          }
          default:
            return this.requireMethodAnswer(method);
        }
      }
    }
    throw new ArmError(
      404,
      "InvalidResourceType",
      `The resource type could not be found for path '${context.url.pathname}'.`,
    );
  }

  private operationUrl(operation: AsyncOperation, kind: "operations" | "operationresults", apiVersion: string): string {
    return `${this.baseUrl}/subscriptions/${this.options.state.subscriptionId}/providers/Microsoft.ContainerService/locations/${operation.region}/${kind}/${operation.id}?api-version=${encodeURIComponent(apiVersion)}`;
  }

  private operationHeaders(
    operation: AsyncOperation,
    apiVersion: string,
    which: "async" | "location" | "both",
  ): Record<string, string> {
    const headers: Record<string, string> = {};
    if (which !== "location") headers["Azure-AsyncOperation"] = this.operationUrl(operation, "operations", apiVersion);
    if (which !== "async") headers.Location = this.operationUrl(operation, "operationresults", apiVersion);
    return headers;
  }

  private operationRoute(context: RouteContext, kind: string, id: string): Answer {
    const operation = this.options.state.getOperation(id);
    if (operation === undefined) throw new ArmError(404, "NotFound", `Operation '${id}' was not found.`);
    if (kind === "operations") {
      context.setOperation("operations.get");
      return {
        status: 200,
        body: {
          id: `/subscriptions/${this.options.state.subscriptionId}/providers/Microsoft.ContainerService/locations/${operation.region}/operations/${operation.id}`,
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
        headers: { Location: this.operationUrl(operation, "operationresults", context.apiVersion) },
      };
    }
    if (operation.status === "Succeeded") return { status: 204 };
    throw new ArmError(
      400,
      operation.error?.code ?? "OperationFailed",
      operation.error?.message ?? `Operation ${operation.status}.`,
    );
  }
}
