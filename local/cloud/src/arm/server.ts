/**
 * ARM over HTTPS: the path every request takes before and after its route (routes.ts) answers it.
 * In order: ARM's authentication answer, a path under a subscription, subscription throttling with
 * its remaining-requests header, the api-version, the subscription itself, the region the request
 * is about, then the injected faults (latency, reset, 429, 5xx) for that region; afterwards the
 * request ids every ARM answer carries and one entry in the operation log.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LoopbackHttpsServer, sendJson } from "../http.js";
import type { FaultInjector } from "../faults.js";
import type { OperationLog } from "../oplog.js";
import type { ServerCertificate } from "../tls.js";
import type { SimClock } from "../clock.js";
import { ArmError } from "./errors.js";
import {
  errorAnswer,
  readJsonBody,
  resourceTypeNotFound,
  type Answer,
  type ArmRouteTargets,
  type RouteContext,
} from "./requests.js";
import type { ArmState } from "./resources.js";
import { attributeRegion, route } from "./routes.js";
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

function requestClass(method: string): RequestClass {
  if (method === "GET" || method === "HEAD") return "reads";
  if (method === "DELETE") return "deletes";
  return "writes";
}

export class ArmServer {
  private readonly https: LoopbackHttpsServer;
  private readonly routeTargets: ArmRouteTargets;

  constructor(private readonly options: ArmServerOptions) {
    this.routeTargets = {
      state: options.state,
      tenantId: options.tenantId,
      caPem: options.caPem,
      baseUrl: () => this.baseUrl,
    };
    this.https = new LoopbackHttpsServer(options.certificate, (req, res) => this.handle(req, res));
  }

  start(): Promise<string> {
    return this.https.start();
  }

  close(): Promise<void> {
    return this.https.close();
  }

  private get baseUrl(): string {
    return this.https.baseUrl;
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
        throw resourceTypeNotFound(url);
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
        readJson: () => readJsonBody(req),
        setRegion: (value) => {
          region = value;
        },
        setOperation: (name) => {
          operation = name;
        },
      };
      attributeRegion(this.options.state, context);
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
      answer = await route(this.routeTargets, context);
      answer.headers = { ...answer.headers, [remainingHeader]: String(decision.remaining) };
    } catch (error) {
      answer = errorAnswer(error, this.options.log);
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
}
