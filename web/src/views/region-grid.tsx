/**
 * The map of the fleet at a glance: one tile per deployment region (those outside this rollout
 * dimmed) and the admin region, which runs the control plane; each tile says its state in words
 * and colour, and turns green as its region succeeds.
 */
import type { RegionInfo, RegionStatus } from "../api.js";
import { stateClass } from "../format.js";

export function RegionGrid(props: { catalog: RegionInfo[]; regions: RegionStatus[] }) {
  const byName = new Map(props.regions.map((region) => [region.region, region]));
  const admin = props.catalog.filter((region) => region.role === "admin");
  const deployment = props.catalog.filter((region) => region.role === "deployment");
  return (
    <section aria-labelledby="grid-title">
      <h2 id="grid-title">Regions</h2>
      <ul class="grid" data-testid="region-grid">
        {admin.map((region) => (
          <li key={region.name} class="tile state state-admin" data-region={region.name} data-state="Admin">
            <strong>{region.displayName}</strong>
            <span>{region.name}</span>
            <span>control plane</span>
          </li>
        ))}
        {deployment.map((region) => {
          const status = byName.get(region.name);
          const state = status?.state ?? "Outside";
          return (
            <li
              key={region.name}
              class={`tile ${status === undefined ? "state state-outside" : stateClass(state)}`}
              data-region={region.name}
              data-state={state}
            >
              <strong>{region.displayName}</strong>
              <span>{region.name}</span>
              <span>{status === undefined ? "not in this rollout" : `${state} · ${status.phase}`}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
