/**
 * The rollout as a timeline: one bar per rollout phase and per region, from its start to its end
 * (or now), in seconds since the rollout began, coloured by state. Chart.js floating bars draw it
 * (only the parts registered here are bundled); animation is off, since the chart is redrawn on
 * every poll. The canvas has a text summary for screen readers; the region table holds the same
 * figures.
 */
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from "chart.js";
import { useEffect, useRef } from "preact/hooks";
import type { RolloutStatus } from "../api.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

const COLOURS: Record<string, string> = {
  Succeeded: "#1a7f37",
  Failed: "#c62828",
  Canceled: "#6e7781",
  Running: "#0969da",
  Pending: "#afb8c1",
  phase: "#8250df",
};

interface Bar {
  label: string;
  range: [number, number];
  colour: string;
}

function barsOf(status: RolloutStatus, now: number): Bar[] {
  const origin = Date.parse(status.createdAt);
  const seconds = (iso: string | undefined): number => ((iso === undefined ? now : Date.parse(iso)) - origin) / 1000;
  const end = status.finishedAt;
  const phases = status.phases.map((phase) => ({
    label: `phase ${phase.phase}`,
    range: [seconds(phase.startedAt), seconds(phase.finishedAt ?? end)] as [number, number],
    colour: COLOURS.phase as string,
  }));
  const regions = status.regions
    .filter((region) => region.startedAt !== undefined)
    .map((region) => ({
      label: region.region,
      range: [
        seconds(region.startedAt),
        seconds(region.finishedAt ?? (region.state === "Running" ? undefined : end)),
      ] as [number, number],
      colour: COLOURS[region.state] ?? (COLOURS.Pending as string),
    }));
  return [...phases, ...regions];
}

export function Timeline(props: { status: RolloutStatus; now: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<"bar", [number, number][], string>>(undefined);
  const bars = barsOf(props.status, props.now);

  useEffect(() => {
    if (canvas.current === null) return;
    chart.current = new Chart(canvas.current, {
      type: "bar",
      data: { labels: [], datasets: [{ label: "seconds since start", data: [], backgroundColor: [] }] },
      options: {
        indexAxis: "y",
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, title: { display: true, text: "seconds since the rollout started" } } },
        plugins: {
          tooltip: { callbacks: { label: (item) => `${(item.raw as number[]).map(Math.round).join("–")} s` } },
        },
      },
    });
    return () => chart.current?.destroy();
  }, []);

  useEffect(() => {
    const current = chart.current;
    const dataset = current?.data.datasets[0];
    if (current === undefined || dataset === undefined) return;
    current.data.labels = bars.map((bar) => bar.label);
    dataset.data = bars.map((bar) => bar.range);
    dataset.backgroundColor = bars.map((bar) => bar.colour);
    current.update("none");
  });

  const summary = bars
    .map((bar) => `${bar.label} ${Math.round(bar.range[0])}–${Math.round(bar.range[1])} s`)
    .join("; ");
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      <div class="chart" style={{ height: `${Math.max(160, 28 * bars.length + 60)}px` }}>
        <canvas ref={canvas} role="img" aria-label={`Timeline: ${summary}`} data-testid="timeline" />
      </div>
    </section>
  );
}
