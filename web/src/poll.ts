/**
 * Live updates by polling, within what Functions allow (no long-lived connections on
 * Consumption): each view asks again `intervalMs` after its last answer came back (never two
 * requests in flight), stops once `isFinal` says the resource can no longer change, and waits
 * while the tab is hidden — a tab nobody looks at costs the control plane nothing.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ApiResult } from "./api.js";

export interface Polled<T> {
  /** The last good answer (kept while a later poll fails). */
  value?: T;
  /** The last poll's failure, cleared by the next success. */
  error?: string;
  /** Asks now (after an action), whatever the schedule. */
  refresh(): void;
}

export function usePoll<T>(
  load: () => Promise<ApiResult<T>>,
  intervalMs: number,
  isFinal: (value: T) => boolean = () => false,
): Polled<T> {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const finalRef = useRef(isFinal);
  finalRef.current = isFinal;

  useEffect(() => {
    let stopped = false;
    let finished = false;
    let inFlight = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      timer = undefined;
      if (document.hidden || finished || inFlight) return;
      inFlight = true;
      const result = await loadRef.current();
      inFlight = false;
      if (stopped) return;
      if (result.ok) {
        setValue(result.value);
        setError(undefined);
        finished = finalRef.current(result.value);
        if (finished) return;
      } else setError(result.message);
      timer = setTimeout(() => void poll(), intervalMs);
    };
    const onVisible = (): void => {
      if (!document.hidden && timer === undefined) void poll();
    };
    void poll();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [intervalMs, tick]);

  const refresh = useCallback(() => setTick((count) => count + 1), []);
  return { value, error, refresh };
}
