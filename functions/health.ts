/** GET /api/health — liveness of the control plane's Functions app (no dependency is called). Anonymous: it tells nothing else. */
import type { HttpFunctionOptions, HttpResponseInit } from "@azure/functions";

export function health(): HttpResponseInit {
  return { status: 200, jsonBody: { status: "ok", service: "besu-fleet" } };
}

export const healthFunctions: Record<string, HttpFunctionOptions> = {
  health: { route: "health", methods: ["GET"], authLevel: "anonymous", handler: health },
};
