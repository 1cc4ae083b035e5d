/** GET /api/health — liveness of the control plane's Functions app (no dependency is called). */
import type { HttpFunctionOptions, HttpResponseInit } from "@azure/functions";

export function health(): HttpResponseInit {
  return { status: 200, jsonBody: { status: "ok", service: "besu-fleet" } };
}

export const healthFunctions: Record<string, HttpFunctionOptions> = {
  health: { route: "health", methods: ["GET"], authLevel: "function", handler: health },
};
