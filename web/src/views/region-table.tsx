/**
 * Every region of a rollout in one table: state, phase, attempts, the transient faults retried
 * (how many, how long waited, the last cause), timings, and the last error with its step, kind
 * and cause — what an operator needs to decide on a retry. A failed region gets its own Retry
 * button for operators.
 */
import type { RegionStatus } from "../api.js";
import { duration, span, stateClass } from "../format.js";

function Retries(props: { retries: RegionStatus["retries"] }) {
  const { retries } = props;
  if (retries === undefined || retries.count === 0) return <>0</>;
  return (
    <>
      {retries.count} ({duration(retries.waitedSeconds * 1000)} waited)
      {retries.last && (
        <div class="detail">
          last: {retries.last.activity} — {retries.last.cause}
        </div>
      )}
    </>
  );
}

function LastError(props: { error: RegionStatus["lastError"] }) {
  const { error } = props;
  if (error === undefined) return null;
  return (
    <div class="error" data-testid="region-error">
      <strong>{error.step}</strong> ({error.kind}): {error.cause}
    </div>
  );
}

export function RegionTable(props: { regions: RegionStatus[]; now: number; onRetry?: (region: string) => void }) {
  return (
    <section aria-labelledby="regions-title">
      <h2 id="regions-title">Per region</h2>
      <table data-testid="region-table">
        <thead>
          <tr>
            <th scope="col">Region</th>
            <th scope="col">State</th>
            <th scope="col">Phase</th>
            <th scope="col">Attempts</th>
            <th scope="col">Retries</th>
            <th scope="col">Time</th>
            <th scope="col">Last error</th>
            {props.onRetry && <th scope="col">Action</th>}
          </tr>
        </thead>
        <tbody>
          {props.regions.map((region) => (
            <tr key={region.region} data-region={region.region}>
              <th scope="row">{region.region}</th>
              <td>
                <span class={stateClass(region.state)}>{region.state}</span>
              </td>
              <td>{region.phase}</td>
              <td>{region.attempts}</td>
              <td>
                <Retries retries={region.retries} />
              </td>
              <td>{span(region.startedAt, region.finishedAt, props.now)}</td>
              <td>
                <LastError error={region.lastError} />
              </td>
              {props.onRetry && (
                <td>
                  {(region.state === "Failed" || region.state === "Canceled") && (
                    <button type="button" onClick={() => props.onRetry?.(region.region)}>
                      Retry {region.region}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
