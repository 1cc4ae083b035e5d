/** GET /api/health — liveness of the control plane's Functions app (no dependency is called). */
import { app, type HttpResponseInit } from "@azure/functions";

export function health(): HttpResponseInit {
  return { status: 200, jsonBody: { status: "ok", service: "besu-fleet" } };
}

app.http("health", { route: "health", methods: ["GET"], authLevel: "function", handler: health });
