/**
 * The rollouts (GET /api/rollouts, polled every 3 s): newest first, each with its state, phase and
 * how many regions succeeded, linked to its live view. Operators can start a rollout from a spec
 * pasted or loaded from a file (YAML or JSON, POST /api/rollouts); the page then follows it.
 */
import { useState } from "preact/hooks";
import type { Accepted, Api, RolloutSummary } from "../api.js";
import { clock, stateClass } from "../format.js";
import { usePoll } from "../poll.js";
import type { Session } from "../session.js";

const POLL_MS = 3000;

function StartRollout(props: { api: Api }) {
  const [spec, setSpec] = useState("");
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  const load = async (input: HTMLInputElement): Promise<void> => {
    const file = input.files?.[0];
    if (file !== undefined) setSpec(await file.text());
  };
  const start = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const contentType = spec.trimStart().startsWith("{") ? "application/json" : "application/yaml";
    const result = await props.api.post<Accepted>("rollouts", spec, contentType);
    setBusy(false);
    if (result.ok) location.hash = `#/rollouts/${result.value.rolloutId}`;
    else setProblem(`${result.error}: ${result.message}`);
  };
  return (
    <form class="start" onSubmit={(event) => void start(event)} aria-labelledby="start-title">
      <h2 id="start-title">Start a rollout</h2>
      <label for="spec-file">Load a spec file</label>
      <input
        id="spec-file"
        type="file"
        accept=".yaml,.yml,.json"
        onChange={(event) => void load(event.currentTarget)}
      />
      <label for="spec-text">Desired-state spec (YAML or JSON)</label>
      <textarea
        id="spec-text"
        rows={12}
        value={spec}
        spellcheck={false}
        onInput={(event) => setSpec(event.currentTarget.value)}
      />
      <button type="submit" disabled={busy || spec.trim() === ""}>
        {busy ? "Starting…" : "Start rollout"}
      </button>
      {problem && (
        <pre class="error" role="alert">
          {problem}
        </pre>
      )}
    </form>
  );
}

export function RolloutsList(props: { api: Api; session: Session }) {
  const polled = usePoll<RolloutSummary[]>(() => props.api.get("rollouts?top=50"), POLL_MS);
  const rollouts = [...(polled.value ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <>
      <h1>Rollouts</h1>
      {polled.error && <p class="error">Could not refresh: {polled.error}</p>}
      {polled.value === undefined && !polled.error && <p role="status">Loading…</p>}
      {polled.value !== undefined && rollouts.length === 0 && <p>No rollouts yet.</p>}
      {rollouts.length > 0 && (
        <table data-testid="rollouts">
          <thead>
            <tr>
              <th scope="col">Rollout</th>
              <th scope="col">Network</th>
              <th scope="col">State</th>
              <th scope="col">Phase</th>
              <th scope="col">Regions succeeded</th>
              <th scope="col">Started</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {rollouts.map((rollout) => (
              <tr key={rollout.rolloutId}>
                <th scope="row">
                  <a href={`#/rollouts/${rollout.rolloutId}`}>{rollout.rolloutId}</a>
                </th>
                <td>{rollout.network}</td>
                <td>
                  <span class={stateClass(rollout.state)}>{rollout.state}</span>
                </td>
                <td>{rollout.phase}</td>
                <td>{rollout.counts ? `${rollout.counts.succeeded} / ${rollout.counts.total}` : "—"}</td>
                <td>{clock(rollout.createdAt)}</td>
                <td>{clock(rollout.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.session.canOperate && <StartRollout api={props.api} />}
    </>
  );
}
