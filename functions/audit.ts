/**
 * The audit trail of the HTTP API (lib/state/audit.ts): every request that asks for a change
 * (anything but GET) is recorded after it is answered — who, what, about which rollout, and the
 * answer — refusals included; `GET /api/audit` reads it back with the changes the rollouts and
 * drift checks made (lib/state/change-trail.ts), by rollout and system (Fleet.Reader in entra mode).
 * Recording never changes the answer: a storage failure is logged, and the request's own
 * outcome stands.
 */
import type { HttpFunctionOptions, HttpRequest } from "@azure/functions";
import { z } from "zod";
import { AUDIT_SYSTEMS, readAudit, recordAudit } from "../lib/state/audit.js";
import { log } from "../lib/telemetry/log.js";
import { requesterOf, type ApiAuthMode } from "./authorization.js";
import { errorResponse, jsonResponse } from "./responses.js";
import { stateDocuments } from "./state.js";

const answerSchema = z
  .object({
    status: z.int().optional(),
    jsonBody: z.object({ error: z.string().optional(), rolloutId: z.string().optional() }).loose().optional(),
  })
  .loose();

/** What every HTTP function registration has, whatever its trigger's other arguments. */
interface HttpRegistration {
  methods?: string[];
  route?: string;
  handler: (request: HttpRequest, ...rest: never[]) => unknown;
}

/** The registration, with its changes recorded in the audit trail (reads are not recorded). */
export function audited<O extends HttpRegistration>(options: O, mode: ApiAuthMode): O {
  if (options.methods !== undefined && options.methods.every((method) => method === "GET")) return options;
  const handler = options.handler;
  const recorded = async (request: HttpRequest, ...rest: never[]) => {
    const answer = await handler(request, ...rest);
    const parsed = answerSchema.safeParse(answer);
    const status = (parsed.success ? parsed.data.status : undefined) ?? 200;
    const body = parsed.success ? parsed.data.jsonBody : undefined;
    const who = requesterOf(request, mode);
    const target = request.params.rolloutId ?? request.params.network ?? body?.rolloutId;
    const action = `${request.method} ${new URL(request.url).pathname}`;
    try {
      await recordAudit(stateDocuments(), {
        at: new Date().toISOString(),
        who,
        action,
        ...(target === undefined ? {} : { target }),
        status,
        outcome: body?.error ?? (status < 400 ? "accepted" : `HTTP ${status}`),
      });
    } catch (error) {
      log("error", `audit: could not record ${action}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return answer;
  };
  // The recorded handler answers exactly what the registered one answers.
  return { ...options, handler: recorded as O["handler"] };
}

const auditQuerySchema = z.object({
  top: z.coerce.number().int().min(1).max(1000).default(100),
  target: z.string().min(1).max(200).optional(),
  system: z.enum(AUDIT_SYSTEMS).optional(),
});

export const auditFunctions: Record<string, HttpFunctionOptions> = {
  auditList: {
    route: "audit",
    methods: ["GET"],
    authLevel: "function",
    handler: async (request) => {
      const query = auditQuerySchema.safeParse({
        top: request.query.get("top") ?? undefined,
        target: request.query.get("target") ?? undefined,
        system: request.query.get("system") ?? undefined,
      });
      if (!query.success)
        return errorResponse(400, "InvalidRequest", "the query has problems", {
          problems: query.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
        });
      return jsonResponse(200, await readAudit(stateDocuments(), query.data));
    },
  },
};
