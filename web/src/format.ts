/** How the page writes times, durations and states, the same way in every view. */

/** A duration as people read it: `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** From `start` to `end`, or to now while it has not ended. */
export function span(start: string | undefined, end: string | undefined, now = Date.now()): string {
  if (start === undefined) return "";
  return duration((end === undefined ? now : Date.parse(end)) - Date.parse(start));
}

/** A local clock time, with the ISO time as its machine-readable value. */
export function clock(iso: string | undefined): string {
  return iso === undefined ? "" : new Date(iso).toLocaleTimeString();
}

/** The CSS class of a rollout or region state (colour is never the only sign: the text says it too). */
export function stateClass(state: string): string {
  return `state state-${state.toLowerCase()}`;
}

export function isRunning(state: string): boolean {
  return state === "Running";
}
