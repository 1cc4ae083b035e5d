/**
 * Every write the ARM adapter sends (PUT, PATCH, DELETE, and POST actions other than reading a
 * cluster's credentials), noted for the audit trail (lib/state/change-trail.ts) with its resource
 * path and ARM's answer. A pipeline policy of the adapter's one client, placed per call (outside
 * the SDK's retries), so that each write is noted once, with its final answer, whichever
 * operation sent it. Bodies are not noted: a cluster body is the plan, which the rollout's spec
 * already records.
 */
import { isRestError, type PipelinePolicy, type PipelineResponse } from "@azure/core-rest-pipeline";
import { noteChange } from "../state/change-trail.js";

/** POST actions that only read: listing a cluster's credentials changes nothing in Azure. */
const READ_ACTIONS = /\/list[A-Za-z]*$/;

function isWrite(method: string, path: string): boolean {
  if (method === "GET" || method === "HEAD") return false;
  return !(method === "POST" && READ_ACTIONS.test(path));
}

/** ARM's error code in an error answer's body, if it has one. */
function errorCode(response: PipelineResponse): string | undefined {
  try {
    const body = JSON.parse(response.bodyAsText ?? "") as { error?: { code?: unknown } };
    return typeof body.error?.code === "string" ? body.error.code : undefined;
  } catch {
    return undefined;
  }
}

export function armAuditPolicy(): PipelinePolicy {
  return {
    name: "besuFleetArmAudit",
    async sendRequest(request, next) {
      const path = new URL(request.url).pathname;
      if (!isWrite(request.method, path)) return next(request);
      const noted = (status: number | undefined, outcome: string) =>
        noteChange({
          system: "azure",
          action: request.method,
          subject: path,
          outcome,
          ...(status === undefined ? {} : { status }),
        });
      try {
        const response = await next(request);
        noted(response.status, response.status < 400 ? "accepted" : (errorCode(response) ?? `Http${response.status}`));
        return response;
      } catch (error) {
        const response = isRestError(error) ? error.response : undefined;
        const code = isRestError(error) ? error.code : undefined;
        noted(response?.status, code ?? (response === undefined ? "NoAnswer" : `Http${response.status}`));
        throw error;
      }
    },
  };
}
