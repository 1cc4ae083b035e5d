/**
 * Counts every try of every ARM request and reads the subscription's remaining request budget that
 * ARM sends with each answer (`x-ms-ratelimit-remaining-subscription-reads` / `-writes`), so an
 * operator sees throttling coming before the 429s (docs/monitoring.md). A pipeline policy of the
 * ARM adapter's client: the SDK's own calls and the adapter's direct ones go through it alike.
 */
import { isRestError, type PipelinePolicy, type PipelineResponse } from "@azure/core-rest-pipeline";
import { recordArmResponse } from "../telemetry/metrics.js";

/** A header's whole-number value, or undefined when absent or not a number. */
export function remainingBudget(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function record(method: string, response: PipelineResponse): void {
  recordArmResponse({
    method,
    status: response.status,
    remaining: {
      reads: remainingBudget(response.headers.get("x-ms-ratelimit-remaining-subscription-reads")),
      writes: remainingBudget(response.headers.get("x-ms-ratelimit-remaining-subscription-writes")),
    },
  });
}

export function armMetricsPolicy(): PipelinePolicy {
  return {
    name: "besuFleetArmMetrics",
    async sendRequest(request, next) {
      try {
        const response = await next(request);
        record(request.method, response);
        return response;
      } catch (error) {
        // An error answer (the SDK throws some) still is an answer ARM counted.
        if (isRestError(error) && error.response !== undefined) record(request.method, error.response);
        throw error;
      }
    },
  };
}
