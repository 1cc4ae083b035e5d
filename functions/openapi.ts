/** GET /api/openapi.json — the HTTP API described from the same zod schemas that validate it. */
import type { HttpFunctionOptions } from "@azure/functions";
import { z } from "zod";
import { changePlanSchema } from "../lib/domain/changes/plan.js";
import { rolloutStatusSchema } from "../lib/domain/rollout-status.js";
import { desiredStateSchema } from "../lib/domain/spec.js";
import { AUDIT_SYSTEMS } from "../lib/state/audit.js";
import { API_ROLES, requiredRole } from "./authorization.js";
import { driftPaths, driftSchemas } from "./drift-openapi.js";
import { MAX_PAGE_SIZE } from "./instance-pages.js";
import { MAX_BODY_BYTES } from "./request-body.js";

const problemSchema = z.object({ path: z.string(), message: z.string() });
const errorSchema = z.object({
  error: z.string(),
  message: z.string(),
  problems: z.array(problemSchema).optional(),
  runningRolloutId: z.string().optional(),
});
const acceptedSchema = z.object({ rolloutId: z.string(), statusUrl: z.string() });
const summarySchema = z.object({
  rolloutId: z.string(),
  network: z.string(),
  state: z.string(),
  phase: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  counts: z.unknown(),
});

const schema = (value: z.ZodType): Record<string, unknown> =>
  z.toJSONSchema(value, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
const body = (ref: string) => ({
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const errors = { description: "see `error` and `message`", ...body("Error") };
/** The answers every endpoint with a body can give to a body it will not read. */
const bodyRefusals = {
  "413": { description: `PayloadTooLarge: the body is over ${MAX_BODY_BYTES} bytes (256 KiB)`, ...body("Error") },
  "415": {
    description: "UnsupportedMediaType: the body's media type is not one this endpoint reads",
    ...body("Error"),
  },
};

/** Each operation states the app role it needs in entra mode (functions/authorization.ts). */
function withRoles(paths: Record<string, Record<string, Record<string, unknown>>>) {
  return Object.fromEntries(
    Object.entries(paths).map(([route, operations]) => [
      route,
      Object.fromEntries(
        Object.entries(operations).map(([method, operation]) => [
          method,
          "security" in operation ? operation : { ...operation, "x-app-role": requiredRole([method.toUpperCase()]) },
        ]),
      ),
    ]),
  );
}

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "besu-fleet control plane",
      version: "0.1.0",
      description: "Rolls out and verifies the Chain 138 Besu QBFT network across Azure regions.",
    },
    components: {
      securitySchemes: {
        functionKey: {
          type: "apiKey",
          in: "header",
          name: "x-functions-key",
          description: "A function key (BESU_FLEET_API_AUTH=keys, the local stack): may call every route.",
        },
        entra: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: `An Entra ID token for the API's app registration (BESU_FLEET_API_AUTH=entra, Azure). App roles: ${API_ROLES.reader} for reads, ${API_ROLES.operator} for starting, retrying and cancelling.`,
        },
      },
      schemas: {
        DesiredState: schema(desiredStateSchema),
        RolloutStatus: schema(rolloutStatusSchema),
        RolloutSummary: schema(summarySchema),
        Accepted: schema(acceptedSchema),
        ChangePlan: schema(changePlanSchema),
        Error: schema(errorSchema),
        ...driftSchemas,
      },
    },
    security: [{ functionKey: [] }, { entra: [] }],
    paths: withRoles({
      "/api/rollouts": {
        post: {
          summary: "Start a rollout from a desired-state spec (JSON or YAML), or with dryRun=true only plan it",
          parameters: [
            {
              name: "dryRun",
              in: "query",
              description:
                "true: answer 200 with the change plan (per node action and reason, the waves, quorum per wave) and change nothing",
              schema: { type: "boolean", default: false },
            },
          ],
          requestBody: {
            required: true,
            description: `At most ${MAX_BODY_BYTES} bytes. Without a media type, or as text/plain, text starting with { is JSON and anything else YAML.`,
            content: {
              "application/json": { schema: { $ref: "#/components/schemas/DesiredState" } },
              "application/yaml": { schema: { type: "string" } },
            },
          },
          responses: {
            "200": { description: "dryRun=true: the change plan", ...body("ChangePlan") },
            "202": { description: "started", ...body("Accepted") },
            "400": {
              description:
                "InvalidSpec: every problem by path; UnsafeChange: the plan cannot keep QBFT quorum (also for a dry run)",
              ...body("Error"),
            },
            "409": { description: "a rollout of this network is running", ...body("Error") },
            ...bodyRefusals,
          },
        },
        get: {
          summary: "List rollouts, a page at a time, newest first within the page",
          parameters: [
            {
              name: "top",
              in: "query",
              description: "rollouts per page",
              schema: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 },
            },
            {
              name: "continuationToken",
              in: "query",
              description: "the x-continuation-token of the previous page",
              schema: { type: "string" },
            },
          ],
          responses: {
            "200": {
              description: "rollouts",
              headers: {
                "x-continuation-token": {
                  description: "present when more rollouts follow: pass it as continuationToken",
                  schema: { type: "string" },
                },
              },
              content: {
                "application/json": {
                  schema: { type: "array", items: { $ref: "#/components/schemas/RolloutSummary" } },
                },
              },
            },
            "400": { description: "a bad top or continuationToken, by path", ...body("Error") },
          },
        },
      },
      "/api/rollouts/{rolloutId}": {
        get: {
          summary: "A rollout's live status",
          parameters: [{ name: "rolloutId", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": { description: "status", ...body("RolloutStatus") }, "404": errors },
        },
      },
      "/api/rollouts/{rolloutId}/retry": {
        post: {
          summary: "Retry the failed and unfinished regions (or the listed ones) with the original spec",
          description: `The body (JSON, at most ${MAX_BODY_BYTES} bytes) is checked before the rollout is looked up.`,
          parameters: [{ name: "rolloutId", in: "path", required: true, schema: { type: "string" } }],
          requestBody: {
            content: {
              "application/json": {
                schema: { type: "object", properties: { regions: { type: "array", items: { type: "string" } } } },
              },
            },
          },
          responses: {
            "202": { description: "the new rollout", ...body("Accepted") },
            "400": errors,
            "404": errors,
            "409": errors,
            ...bodyRefusals,
          },
        },
      },
      "/api/rollouts/{rolloutId}/cancel": {
        post: {
          summary: "Cancel: nothing new starts, in-flight steps finish, final state Canceled",
          parameters: [{ name: "rolloutId", in: "path", required: true, schema: { type: "string" } }],
          responses: { "202": { description: "cancel requested" }, "404": errors, "409": errors },
        },
      },
      "/api/regions": {
        get: {
          summary: "The region catalog (24 deployment regions and the admin region)",
          responses: { "200": { description: "regions" } },
        },
      },
      "/api/audit": {
        get: {
          summary:
            "The audit trail, newest first: every request that asked for a change, and every change the control plane made to Azure, Kubernetes or a chain (who asked, when, what, result)",
          parameters: [
            { name: "top", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
            {
              name: "target",
              in: "query",
              description: "only entries about this rollout id (or drift check instance id)",
              schema: { type: "string" },
            },
            {
              name: "system",
              in: "query",
              description: "only entries of this system",
              schema: { type: "string", enum: [...AUDIT_SYSTEMS] },
            },
          ],
          responses: { "200": { description: "entries" }, "400": errors },
        },
      },
      "/api/health": {
        get: { summary: "Liveness of the Functions app", security: [], responses: { "200": { description: "ok" } } },
      },
      "/api/metrics": {
        get: {
          summary:
            "The app's metrics in the Prometheus text format (docs/monitoring.md); 404 where they go to Application Insights",
          responses: {
            "200": { description: "metrics", content: { "text/plain": { schema: { type: "string" } } } },
            "404": errors,
          },
        },
      },
      "/api/openapi.json": { get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } } },
      "/api/dashboard/{path}": {
        get: {
          summary:
            "The admin dashboard's files (docs/dashboard.md); anonymous in keys mode, Fleet.Reader in entra mode",
          parameters: [{ name: "path", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": { description: "a file of the page (index.html when empty)" },
            "404": { description: "no such file" },
          },
        },
      },
      ...driftPaths,
    }),
  };
}

export const openApiFunctions: Record<string, HttpFunctionOptions> = {
  openapi: {
    route: "openapi.json",
    methods: ["GET"],
    authLevel: "function",
    handler: () => ({ status: 200, jsonBody: openApiDocument() }),
  },
};
