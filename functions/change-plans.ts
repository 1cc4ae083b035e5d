/**
 * The change plan behind `POST /api/rollouts` and `POST /api/rollouts/{id}/retry`: the network's
 * record, read from the state container, against the spec (lib/domain/changes/plan.ts). A dry run
 * answers with the plan; a real start or a retry is refused with the same 400 when the plan cannot
 * keep QBFT quorum, before any orchestration exists. Reads only public data: the record holds no secret.
 */
import type { HttpResponseInit } from "@azure/functions";
import { planChanges, type ChangePlan } from "../lib/domain/changes/plan.js";
import { networkRecordName, networkRecordSchema } from "../lib/domain/network-record.js";
import type { DesiredState } from "../lib/domain/spec.js";
import { errorResponse as error } from "./responses.js";
import { stateDocuments } from "./state.js";

/** The plan for `spec`, or the answer that refuses it; `what` names the request in the refusal. */
export async function changePlanFor(
  spec: DesiredState,
  what = "the change",
): Promise<{ ok: true; plan: ChangePlan } | { ok: false; response: HttpResponseInit }> {
  const name = networkRecordName(spec.network.name);
  const stored = await stateDocuments().readDocument(name);
  const record = stored === undefined ? undefined : networkRecordSchema.safeParse(stored);
  if (record !== undefined && !record.success)
    return {
      ok: false,
      response: error(500, "UnreadableNetworkRecord", `${name} does not match the network record's schema`),
    };
  const decision = planChanges(spec, record?.data);
  if (decision.ok) return decision;
  return {
    ok: false,
    response: error(
      400,
      "UnsafeChange",
      `${what} cannot keep QBFT quorum (${decision.problems.length} problem(s)); nothing was changed`,
      { problems: decision.problems },
    ),
  };
}

/** Whether the request asks for a dry run (`?dryRun=true`); any other value than true or false is refused. */
export function dryRunOf(
  query: URLSearchParams,
): { ok: true; dryRun: boolean } | { ok: false; response: HttpResponseInit } {
  const value = query.get("dryRun");
  if (value === null || value === "false") return { ok: true, dryRun: false };
  if (value === "true") return { ok: true, dryRun: true };
  return {
    ok: false,
    response: error(400, "InvalidRequest", "the query has problems", {
      problems: [{ path: "dryRun", message: "must be true or false" }],
    }),
  };
}
