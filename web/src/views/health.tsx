/**
 * Network health (docs/dashboard.md): what the drift checks observed of a network's Besu nodes —
 * the height and validators up over the kept checks (GET /api/drift/{network}/history, one point
 * per check), and the latest check's block time, quorum, fault tolerance and per-region heights,
 * nodes, validators and peering (GET /api/drift/{network}). The page asks the control plane for
 * what it stored, never the clusters: watching costs the 24 regions nothing. Chart.js line charts
 * draw the series, each with a text alternative; the table holds the latest figures.
 */
import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "preact/hooks";
import type { DriftHistory, DriftLatest, DriftOverview } from "../../../lib/domain/drift/api.js";
import type { NetworkHealth } from "../../../lib/domain/network-health.js";
import type { Api } from "../api.js";
import { clock } from "../format.js";
import { usePoll } from "../poll.js";

Chart.register(CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

const POLL_MS = 5000;

export function HealthOverviewView(props: { api: Api }) {
  const polled = usePoll<DriftOverview>(() => props.api.get("drift"), POLL_MS);
  const networks = polled.value;
  return (
    <section aria-labelledby="health-title">
      <h1 id="health-title">Network health</h1>
      <p>As the drift checks observed it; a network is checked by its timer, or now from its drift view.</p>
      {polled.error && <p class="error">Could not refresh: {polled.error}</p>}
      {networks === undefined ? (
        <p role="status">Loading…</p>
      ) : networks.length === 0 ? (
        <p>No network has a recorded deployment yet.</p>
      ) : (
        <ul data-testid="health-networks">
          {networks.map((entry) => (
            <li key={entry.network}>
              <a href={`#/health/${encodeURIComponent(entry.network)}`}>{entry.network}</a>
              {entry.latest?.health?.height === undefined
                ? " — not observed yet"
                : ` — height ${entry.latest.health.height}`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface Series {
  label: string;
  values: (number | null)[];
  colour: string;
  dashed?: boolean;
}

/** A line chart over the checks; its canvas is described by `summary` for screen readers. */
function LineChart(props: {
  id: string;
  title: string;
  axis: string;
  times: string[];
  series: Series[];
  summary: string;
  /** A count's axis starts at zero, so a drop is drawn to scale. */
  fromZero?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<"line", (number | null)[], string>>(undefined);

  useEffect(() => {
    if (canvas.current === null) return;
    chart.current = new Chart(canvas.current, {
      type: "line",
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: "drift check" } },
          y: {
            beginAtZero: props.fromZero === true,
            title: { display: true, text: props.axis },
            ticks: { precision: 0 },
          },
        },
      },
    });
    return () => chart.current?.destroy();
  }, []);

  useEffect(() => {
    const current = chart.current;
    if (current === undefined) return;
    current.data.labels = props.times;
    current.data.datasets = props.series.map((series) => ({
      label: series.label,
      data: series.values,
      borderColor: series.colour,
      backgroundColor: series.colour,
      ...(series.dashed ? { borderDash: [6, 4], pointRadius: 0 } : {}),
    }));
    current.update("none");
  });

  return (
    <section aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <div class="chart" style={{ height: "220px" }}>
        <canvas ref={canvas} role="img" aria-label={`${props.title}: ${props.summary}`} data-testid={props.id} />
      </div>
    </section>
  );
}

function RegionsTable(props: { health: NetworkHealth }) {
  const { health } = props;
  return (
    <table data-testid="health-regions">
      <caption>Regions at the latest check</caption>
      <thead>
        <tr>
          <th scope="col">Region</th>
          <th scope="col">Height</th>
          <th scope="col">Nodes up</th>
          <th scope="col">Validators up</th>
          <th scope="col">Fewest validator peers (need {health.peersNeeded})</th>
        </tr>
      </thead>
      <tbody>
        {health.regions.map((region) => {
          const short = region.minValidatorPeers !== undefined && region.minValidatorPeers < health.peersNeeded;
          const down = region.nodesUp < region.nodes || region.validatorsUp < region.validators;
          return (
            <tr key={region.region} class={short || down ? "bad" : ""}>
              <td>{region.region}</td>
              <td>{region.height ?? "no answer"}</td>
              <td>
                {region.nodesUp} of {region.nodes}
              </td>
              <td>
                {region.validatorsUp} of {region.validators}
              </td>
              <td>
                {region.minValidatorPeers ?? "—"}
                {short && " (too few)"}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Summary(props: { health: NetworkHealth; at: string }) {
  const { health } = props;
  const quorate = health.validatorsUp >= health.quorum;
  return (
    <dl class="facts" data-testid="health-summary">
      <dt>Height</dt>
      <dd>{health.height ?? "no answer"}</dd>
      <dt>Block time</dt>
      <dd>{health.blockSeconds === undefined ? "not moving" : `${health.blockSeconds.toFixed(1)} s`}</dd>
      <dt>Validators up</dt>
      <dd>
        <span class={quorate ? "state state-succeeded" : "state state-failed"}>
          {health.validatorsUp} of {health.validators} — {quorate ? "quorum met" : "below quorum"}
        </span>
      </dd>
      <dt>Quorum</dt>
      <dd>{health.quorum}</dd>
      <dt>Faults tolerated (f)</dt>
      <dd>{health.faultTolerance}</dd>
      <dt>Checked</dt>
      <dd>{clock(props.at)}</dd>
    </dl>
  );
}

export function NetworkHealthView(props: { api: Api; network: string }) {
  const route = `drift/${encodeURIComponent(props.network)}`;
  const history = usePoll<DriftHistory>(() => props.api.get(`${route}/history`), POLL_MS);
  const latest = usePoll<DriftLatest>(() => props.api.get(route), POLL_MS);
  const report = latest.value?.report ?? undefined;
  // Oldest first, only checks that observed the nodes (one without a desired state has no health).
  const points = (history.value?.reports ?? [])
    .flatMap((entry) => (entry.health === undefined ? [] : [{ at: entry.finishedAt, health: entry.health }]))
    .reverse();
  const times = points.map((point) => clock(point.at));
  const error = history.error ?? latest.error;

  return (
    <article aria-labelledby="health-network-title">
      <p>
        <a href="#/health">← All networks</a> · <a href={`#/drift/${encodeURIComponent(props.network)}`}>drift</a>
      </p>
      <h1 id="health-network-title">Health of {props.network}</h1>
      {error && <p class="error">Could not refresh: {error}</p>}
      {report?.health === undefined ? (
        <p role="status">{latest.value === undefined ? "Loading…" : "No drift check has observed the nodes yet."}</p>
      ) : (
        <>
          <Summary health={report.health} at={report.finishedAt} />
          <LineChart
            id="health-height"
            title="Height over time"
            axis="block"
            times={times}
            series={[{ label: "height", values: points.map((p) => p.health.height ?? null), colour: "#0969da" }]}
            summary={points.map((p) => `${clock(p.at)} ${p.health.height ?? "no answer"}`).join("; ")}
          />
          <LineChart
            id="health-validators"
            title="Validators up over time"
            axis="validators"
            fromZero
            times={times}
            series={[
              { label: "validators up", values: points.map((p) => p.health.validatorsUp), colour: "#1a7f37" },
              { label: "quorum", values: points.map((p) => p.health.quorum), colour: "#c62828", dashed: true },
            ]}
            summary={points
              .map((p) => `${clock(p.at)} ${p.health.validatorsUp} up, quorum ${p.health.quorum}`)
              .join("; ")}
          />
          <RegionsTable health={report.health} />
        </>
      )}
    </article>
  );
}
