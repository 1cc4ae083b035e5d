/**
 * Drift (docs/drift.md): every network with a recorded deployment and its latest check
 * (GET /api/drift, polled every 5 s), and one network's latest report — findings with how long
 * each has existed, what could not be observed, what the spec's rules ignored and what healing
 * did (GET /api/drift/{network}, polled every 2 s). Operators can run a check now
 * (POST /api/drift/{network}); a 409 says one already runs.
 */
import { useState } from "preact/hooks";
import type { DriftLatest, DriftOverview } from "../../../lib/domain/drift/api.js";
import type { DriftReport } from "../../../lib/domain/drift/report.js";
import type { Api } from "../api.js";
import { clock, span, stateClass } from "../format.js";
import { usePoll } from "../poll.js";
import type { Session } from "../session.js";

const OVERVIEW_POLL_MS = 5000;
const NETWORK_POLL_MS = 2000;

export function DriftOverviewView(props: { api: Api }) {
  const polled = usePoll<DriftOverview>(() => props.api.get("drift"), OVERVIEW_POLL_MS);
  const networks = polled.value;
  return (
    <section aria-labelledby="drift-title">
      <h1 id="drift-title">Drift</h1>
      {polled.error && <p class="error">Could not refresh: {polled.error}</p>}
      {networks === undefined ? (
        <p role="status">Loading…</p>
      ) : networks.length === 0 ? (
        <p>No network has a recorded deployment yet.</p>
      ) : (
        <table data-testid="drift-networks">
          <thead>
            <tr>
              <th scope="col">Network</th>
              <th scope="col">State</th>
              <th scope="col">Checked</th>
              <th scope="col">Findings</th>
              <th scope="col">Not observed</th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            {networks.map((entry) => (
              <tr key={entry.network}>
                <td>
                  <a href={`#/drift/${encodeURIComponent(entry.network)}`}>{entry.network}</a>
                </td>
                <td>
                  {entry.latest ? (
                    <span class={stateClass(entry.latest.state)}>{entry.latest.state}</span>
                  ) : (
                    "never checked"
                  )}
                </td>
                <td>{clock(entry.latest?.finishedAt)}</td>
                <td>{entry.latest?.findings ?? ""}</td>
                <td>{entry.latest?.unknown ?? ""}</td>
                <td>{entry.running ? "checking…" : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Findings(props: { report: DriftReport; now: number }) {
  const { report } = props;
  if (report.findings.length === 0) return <p>No findings: what was observed matches the desired state.</p>;
  return (
    <table data-testid="drift-findings">
      <caption>Findings</caption>
      <thead>
        <tr>
          <th scope="col">Severity</th>
          <th scope="col">Kind</th>
          <th scope="col">Region</th>
          <th scope="col">Resource</th>
          <th scope="col">Field</th>
          <th scope="col">Desired</th>
          <th scope="col">Actual</th>
          <th scope="col">For</th>
        </tr>
      </thead>
      <tbody>
        {report.findings.map((finding) => (
          <tr
            key={`${finding.kind}/${finding.region}/${finding.resource}/${finding.field}`}
            class={finding.severity === "critical" ? "bad" : ""}
          >
            <td>{finding.severity}</td>
            <td>{finding.kind}</td>
            <td>{finding.region}</td>
            <td>{finding.resource}</td>
            <td>
              <code>{finding.field}</code>
            </td>
            <td class="detail">{finding.desired}</td>
            <td class="detail">{finding.actual}</td>
            <td>{span(finding.since, report.finishedAt, props.now)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The smaller lists of a report, each shown only when it has entries. */
function ReportLists(props: { report: DriftReport }) {
  const { unknown, ignored, actions } = props.report;
  return (
    <>
      {unknown.length > 0 && (
        <section aria-labelledby="drift-unknown-title">
          <h2 id="drift-unknown-title">Not observed</h2>
          <ul data-testid="drift-unknown">
            {unknown.map((entry) => (
              <li key={`${entry.kind}/${entry.region}/${entry.resource}`}>
                {entry.region} · {entry.resource} ({entry.kind}): {entry.reason}
              </li>
            ))}
          </ul>
        </section>
      )}
      {ignored.length > 0 && (
        <section aria-labelledby="drift-ignored-title">
          <h2 id="drift-ignored-title">Ignored by the spec's rules</h2>
          <ul>
            {ignored.map((entry) => (
              <li key={`${entry.kind}/${entry.region}/${entry.resource}/${entry.field}`}>
                {entry.region} · {entry.resource} <code>{entry.field}</code> — rule {entry.rule}
              </li>
            ))}
          </ul>
        </section>
      )}
      {actions.length > 0 && (
        <section aria-labelledby="drift-actions-title">
          <h2 id="drift-actions-title">Healing</h2>
          <ul>
            {actions.map((action, index) => (
              <li key={index}>
                {action.ok ? "✔" : "✘"} {action.region} · {action.resource}: {action.action} — {action.detail}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

export function DriftNetworkView(props: { api: Api; session: Session; network: string }) {
  const { api, network } = props;
  const route = `drift/${encodeURIComponent(network)}`;
  const polled = usePoll<DriftLatest>(() => api.get(route), NETWORK_POLL_MS);
  const [notice, setNotice] = useState<string>();
  const latest = polled.value;
  const report = latest?.report ?? undefined;

  const runNow = async (): Promise<void> => {
    setNotice(undefined);
    const result = await api.post(route);
    if (!result.ok) setNotice(`${result.error}: ${result.message}`);
    polled.refresh();
  };

  return (
    <article aria-labelledby="drift-network-title">
      <p>
        <a href="#/drift">← All networks</a>
      </p>
      <h1 id="drift-network-title">Drift of {network}</h1>
      {polled.error && <p class="error">Could not refresh: {polled.error}</p>}
      <p role="status" aria-live="polite" data-testid="drift-state">
        {report ? (
          <>
            <span class={stateClass(report.state)}>{report.state}</span> · checked {clock(report.finishedAt)} by{" "}
            {report.trigger === "timer" ? "the timer" : "a request"}
            {report.baseline && <> · desired state from {report.baseline}</>}
          </>
        ) : (
          "Not checked yet."
        )}
        {latest?.running && " · a check is running"}
      </p>
      {props.session.canOperate && (
        <div class="actions">
          <button type="button" disabled={Boolean(latest?.running)} onClick={() => void runNow()}>
            Run drift check now
          </button>
        </div>
      )}
      {notice && (
        <p class="error" role="alert">
          {notice}
        </p>
      )}
      {report && (
        <>
          <Findings report={report} now={Date.now()} />
          <ReportLists report={report} />
        </>
      )}
    </article>
  );
}
