/**
 * The chaos suite's fault scenarios, a to f (issue "Resilience", item 6), and the seeded moments
 * at which the host is killed. Faults are the simulator's own transient fault rules
 * (docs/simulator.md, "Fault rules"), put in force through its control API; the simulator picks
 * the failing requests itself (unseeded), so only the kill moments follow `--seed`.
 */

/** One transient fault rule, in the shape `PUT /_sim/faults` takes (the simulator validates it). */
export interface TransientRule {
  target: "arm" | "kube";
  kind: "5xx" | "429" | "reset";
  rate: number;
  status?: number;
}

export interface ChaosScenario {
  /** The letter `--only` selects it by. */
  id: string;
  title: string;
  /** Rules in force for the whole run. */
  rules: readonly TransientRule[];
  /**
   * Wall seconds in which every ARM request is answered 429, from the start of the rollout: its
   * preflight reads, resource group and cluster creates and the first polls of those creates.
   */
  armStormSeconds?: number;
  /** SIGKILLs of the host at seeded moments, each followed at once by a restart on the same storage. */
  hostKills: number;
}

const ARM_503S: TransientRule = { target: "arm", kind: "5xx", status: 503, rate: 0.2 };
const KUBERNETES_503S: TransientRule = { target: "kube", kind: "5xx", status: 503, rate: 0.1 };
/** On both sides: a reset drops the TCP connection before the request is served. */
const RESETS: readonly TransientRule[] = [
  { target: "arm", kind: "reset", rate: 0.05 },
  { target: "kube", kind: "reset", rate: 0.05 },
];
/** Wall seconds, as the simulator's throttling is: the limit is on how fast clients send. */
const STORM_SECONDS = 60;
const HOST_KILLS = 8;

/** Every ARM request answered 429 with `Retry-After: 1`; first in the list so that it wins over the others. */
export const ARM_STORM_RULE: TransientRule = { target: "arm", kind: "429", rate: 1 };

// NOTE: in f, the simulator applies the first rule that fires to a request, so of the requests
// not picked for a 503, 5 % are reset: the rates add up rather than overlap.
export const SCENARIOS: readonly ChaosScenario[] = [
  { id: "a", title: "20 % ARM 503s", rules: [ARM_503S], hostKills: 0 },
  { id: "b", title: "10 % Kubernetes 503s", rules: [KUBERNETES_503S], hostKills: 0 },
  { id: "c", title: "5 % connection resets (ARM and Kubernetes)", rules: RESETS, hostKills: 0 },
  { id: "d", title: `${STORM_SECONDS} s ARM 429 storm`, rules: [], armStormSeconds: STORM_SECONDS, hostKills: 0 },
  { id: "e", title: `${HOST_KILLS} SIGKILLs of the host`, rules: [], hostKills: HOST_KILLS },
  {
    id: "f",
    title: "a to e together",
    rules: [ARM_503S, KUBERNETES_503S, ...RESETS],
    armStormSeconds: STORM_SECONDS,
    hostKills: HOST_KILLS,
  },
];

/** The fault-free run every other run is compared with. */
export const BASELINE: ChaosScenario = { id: "baseline", title: "no faults", rules: [], hostKills: 0 };

/**
 * mulberry32, a well-known 32-bit generator: the same seed gives the same kill moments on every
 * machine. NOTE: hand-written (five lines) rather than a dependency, as no seeded generator is
 * installed and this benchmark's needs are a handful of draws.
 */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `count` moments (ms after the rollout starts), uniform over `spanMs`, in order. */
export function killMoments(count: number, spanMs: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Math.round(random() * spanMs)).sort((left, right) => left - right);
}
