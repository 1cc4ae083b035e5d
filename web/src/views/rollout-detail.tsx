/**
 * One rollout, live (GET /api/rollouts/{id}, polled every 2 s until it ends): its state and phase,
 * the rollout-level failure, the region grid, the table per region, the timeline and, at the end,
 * the verification, and the contracts, CCIP and funding steps when the spec has them. Operators get Cancel while it runs and Retry (all regions that did not
 * succeed, or one) once it ended; a retry starts a new rollout, which the page then follows.
 */
import { useState } from "preact/hooks";
import type { Accepted, Api, RegionInfo, RolloutStatus } from "../api.js";
import { clock, isRunning, span, stateClass } from "../format.js";
import { usePoll } from "../poll.js";
import type { Session } from "../session.js";
import { OnChainSection } from "./onchain.js";
import { RegionGrid } from "./region-grid.js";
import { RegionTable } from "./region-table.js";
import { Timeline } from "./timeline.js";
import { VerificationTable } from "./verification.js";

const POLL_MS = 2000;

export function RolloutDetail(props: { api: Api; session: Session; rolloutId: string; catalog: RegionInfo[] }) {
  const { api, session, rolloutId } = props;
  const polled = usePoll<RolloutStatus>(
    () => api.get(`rollouts/${encodeURIComponent(rolloutId)}`),
    POLL_MS,
    (status) => !isRunning(status.state),
  );
  const [notice, setNotice] = useState<string>();
  const status = polled.value;
  const now = Date.now();

  const act = async (route: string, body?: string): Promise<void> => {
    setNotice(undefined);
    const result = await api.post<Accepted>(route, body, "application/json");
    if (!result.ok) return setNotice(`${result.error}: ${result.message}`);
    if (result.value.rolloutId !== rolloutId) location.hash = `#/rollouts/${result.value.rolloutId}`;
    else polled.refresh();
  };
  const retry = (regions?: string[]) =>
    act(`rollouts/${rolloutId}/retry`, regions === undefined ? undefined : JSON.stringify({ regions }));

  if (status === undefined) return <p role="status">{polled.error ?? `Loading ${rolloutId}…`}</p>;
  const finished = !isRunning(status.state);
  return (
    <article aria-labelledby="rollout-title">
      <p>
        <a href="#/rollouts">← All rollouts</a>
      </p>
      <h1 id="rollout-title">{rolloutId}</h1>
      <p role="status" aria-live="polite" data-testid="rollout-state">
        <span class={stateClass(status.state)}>{status.state}</span> · phase <strong>{status.phase}</strong> · started{" "}
        {clock(status.createdAt)} · {finished ? "took" : "elapsed"} {span(status.createdAt, status.finishedAt, now)} ·{" "}
        {status.counts.succeeded}/{status.counts.total} regions succeeded
        {status.cancelRequested && " · cancel requested"}
      </p>
      {polled.error && <p class="error">Could not refresh: {polled.error}</p>}
      {session.canOperate && (
        <div class="actions">
          {!finished && !status.cancelRequested && (
            <button type="button" onClick={() => void act(`rollouts/${rolloutId}/cancel`)}>
              Cancel rollout
            </button>
          )}
          {finished && status.state !== "Succeeded" && (
            <button type="button" onClick={() => void retry()}>
              Retry regions that did not succeed
            </button>
          )}
        </div>
      )}
      {notice && (
        <p class="error" role="alert">
          {notice}
        </p>
      )}
      {status.failure && (
        <p class="error" role="alert" data-testid="rollout-failure">
          The rollout failed in phase {status.failure.phase}: {status.failure.reason}
        </p>
      )}
      <RegionGrid catalog={props.catalog} regions={status.regions} />
      <RegionTable
        regions={status.regions}
        now={now}
        onRetry={session.canOperate && finished ? (region) => void retry([region]) : undefined}
      />
      <Timeline status={status} now={now} />
      {status.verification && <VerificationTable verification={status.verification} />}
      {status.onChain && <OnChainSection onChain={status.onChain} contracts={status.contracts} />}
    </article>
  );
}
