/** The drift routes and bodies of the OpenAPI document (functions/openapi.ts), from their zod schemas. */
import { z } from "zod";
import {
  driftAcceptedSchema,
  driftHistorySchema,
  driftLatestSchema,
  driftOverviewSchema,
} from "../lib/domain/drift/api.js";

const schema = (value: z.ZodType): Record<string, unknown> =>
  z.toJSONSchema(value, { io: "output", unrepresentable: "any" }) as Record<string, unknown>;
const body = (ref: string) => ({
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const errors = { description: "see `error` and `message`", ...body("Error") };
const network = { name: "network", in: "path", required: true, schema: { type: "string" } };

export const driftSchemas = {
  DriftOverview: schema(driftOverviewSchema),
  DriftLatest: schema(driftLatestSchema),
  DriftHistory: schema(driftHistorySchema),
  DriftAccepted: schema(driftAcceptedSchema),
};

export const driftPaths = {
  "/api/drift": {
    get: {
      summary: "Every network with a recorded deployment: its latest drift check and the one running",
      responses: { "200": { description: "networks", ...body("DriftOverview") } },
    },
  },
  "/api/drift/{network}": {
    get: {
      summary: "A network's latest drift report, with findings, unknowns, ignored findings and healing actions",
      parameters: [network],
      responses: {
        "200": { description: "the latest report (null before the first check)", ...body("DriftLatest") },
        "400": errors,
        "404": errors,
      },
    },
    post: {
      summary: "Run a drift check of the network now",
      parameters: [network],
      responses: {
        "202": { description: "started; follow it at statusUrl", ...body("DriftAccepted") },
        "400": errors,
        "404": errors,
        "409": { description: "a drift check of this network is running", ...body("Error") },
      },
    },
  },
  "/api/drift/{network}/history": {
    get: {
      summary: "The network's kept drift reports, newest first (the spec's drift.keepReports)",
      parameters: [network],
      responses: { "200": { description: "the index", ...body("DriftHistory") }, "400": errors, "404": errors },
    },
  },
};
