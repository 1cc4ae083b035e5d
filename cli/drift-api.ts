/**
 * The drift routes of the control plane's HTTP API as the CLI sees them (docs/api.md), over the
 * rollout client's transport: the same endpoint, key, timeouts and error semantics, every answer
 * checked against the contract.
 */
import {
  driftAcceptedSchema,
  driftHistorySchema,
  driftLatestSchema,
  driftOverviewSchema,
  type DriftAccepted,
  type DriftHistory,
  type DriftLatest,
  type DriftOverview,
} from "../lib/domain/drift/api.js";
import { RolloutApi, type ApiAnswer } from "./rollout-api.js";

export class DriftApi extends RolloutApi {
  /** `GET /api/drift`: every network's latest check. */
  overview(): Promise<ApiAnswer<DriftOverview>> {
    return this.call("GET", "/api/drift", driftOverviewSchema);
  }

  /** `GET /api/drift/{network}`: the latest report with its findings, and the check running now. */
  latest(network: string): Promise<ApiAnswer<DriftLatest>> {
    return this.call("GET", `/api/drift/${encodeURIComponent(network)}`, driftLatestSchema);
  }

  /** `GET /api/drift/{network}/history`, newest first. */
  history(network: string): Promise<ApiAnswer<DriftHistory>> {
    return this.call("GET", `/api/drift/${encodeURIComponent(network)}/history`, driftHistorySchema);
  }

  /** `POST /api/drift/{network}`: run a check now. */
  run(network: string): Promise<ApiAnswer<DriftAccepted>> {
    return this.call("POST", `/api/drift/${encodeURIComponent(network)}`, driftAcceptedSchema);
  }
}
