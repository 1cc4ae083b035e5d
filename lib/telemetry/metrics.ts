/**
 * Every metric the app records, in one place (docs/monitoring.md): the instruments' names, kinds
 * and units, and one function per thing measured. Recorded only from activities, adapters and HTTP
 * functions — never from an orchestrator, whose code is replayed (a metric recorded there would
 * count once per replay). Instruments come from the global OpenTelemetry meter provider, which
 * lib/telemetry/exporters.ts installs at start; before that, and in tests that install none,
 * recording is a no-op.
 *
 * Names are the ones Prometheus shows (counters already end in `_total`; a histogram adds
 * `_bucket`, `_sum` and `_count`), so the Grafana dashboard (infra/grafana/) queries them as written.
 */
import { metrics, type Attributes, type MeterProvider } from "@opentelemetry/api";

/** The name of the app's meter and tracer (Prometheus shows it as `otel_scope_name`). */
export const INSTRUMENTATION_SCOPE = "besu-fleet";

export type InstrumentKind = "histogram" | "counter" | "gauge";

export interface InstrumentDefinition {
  name: string;
  kind: InstrumentKind;
  unit: string;
  description: string;
}

/** Phase and region durations span seconds (a preflight) to hours (24 regions of AKS clusters). */
const DURATION_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];
/** One activity: milliseconds (a document write) to minutes (waiting for Besu to be ready). */
const ACTIVITY_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export const INSTRUMENTS = {
  rolloutDuration: {
    name: "besu_fleet_rollout_duration_seconds",
    kind: "histogram",
    unit: "s",
    description: "Time from a rollout's creation to its end, by network and final state",
  },
  regionDuration: {
    name: "besu_fleet_region_duration_seconds",
    kind: "histogram",
    unit: "s",
    description: "Time one region took in a rollout (its last attempt), by region and state",
  },
  phaseDuration: {
    name: "besu_fleet_phase_duration_seconds",
    kind: "histogram",
    unit: "s",
    description: "Time a rollout spent in one phase, by phase",
  },
  activityDuration: {
    name: "besu_fleet_activity_duration_seconds",
    kind: "histogram",
    unit: "s",
    description: "Time one activity call took, by activity and outcome (ok, transient, permanent)",
  },
  activityFailures: {
    name: "besu_fleet_activity_failures_total",
    kind: "counter",
    unit: "{failure}",
    description:
      "Activity calls that failed, by activity, kind and code; the transient ones are what the orchestrator retries",
  },
  adapterRetries: {
    name: "besu_fleet_adapter_retries_total",
    kind: "counter",
    unit: "{retry}",
    description: "Requests an adapter tried again within one activity, by the failure's classification",
  },
  armRequests: {
    name: "besu_fleet_arm_requests_total",
    kind: "counter",
    unit: "{request}",
    description: "HTTP requests to Azure Resource Manager (each try), by method, status and whether ARM throttled it",
  },
  armRateLimitRemaining: {
    name: "besu_fleet_arm_ratelimit_remaining",
    kind: "gauge",
    unit: "{request}",
    description:
      "Requests ARM will still accept from this subscription in its current window (x-ms-ratelimit-remaining-subscription-reads/writes)",
  },
  quotaHeadroom: {
    name: "besu_fleet_quota_headroom_vcpus",
    kind: "gauge",
    unit: "{vCPU}",
    description: "vCPUs a quota leaves free beyond what the planned pools need, per region and quota, at preflight",
  },
  driftFindings: {
    name: "besu_fleet_drift_findings",
    kind: "gauge",
    unit: "{finding}",
    description: "Findings of a network's last drift check, by kind and status (found, ignored, unknown)",
  },
  chainHeight: {
    name: "besu_fleet_chain_height",
    kind: "gauge",
    unit: "{block}",
    description: "The highest block a cluster's nodes reported when last observed, by region and cluster",
  },
  validatorsUp: {
    name: "besu_fleet_validators_up",
    kind: "gauge",
    unit: "{validator}",
    description: "A cluster's validators that answered and are ready when last observed, by region and cluster",
  },
} as const satisfies Record<string, InstrumentDefinition>;

type Instruments = {
  [K in keyof typeof INSTRUMENTS]: (value: number, attributes: Attributes) => void;
};

let cached: { provider: MeterProvider; instruments: Instruments } | undefined;

/** The instruments of the current global provider (made again if exporters.ts installed a new one). */
function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider === provider) return cached.instruments;
  const meter = provider.getMeter(INSTRUMENTATION_SCOPE);
  const made = Object.fromEntries(
    Object.entries(INSTRUMENTS).map(([key, { name, kind, unit, description }]) => {
      if (kind === "counter") {
        const counter = meter.createCounter(name, { unit, description });
        return [key, (value: number, attributes: Attributes) => counter.add(value, attributes)];
      }
      if (kind === "gauge") {
        const gauge = meter.createGauge(name, { unit, description });
        return [key, (value: number, attributes: Attributes) => gauge.record(value, attributes)];
      }
      const boundaries = key === "activityDuration" ? ACTIVITY_BUCKETS_SECONDS : DURATION_BUCKETS_SECONDS;
      const histogram = meter.createHistogram(name, {
        unit,
        description,
        advice: { explicitBucketBoundaries: boundaries },
      });
      return [key, (value: number, attributes: Attributes) => histogram.record(value, attributes)];
    }),
  ) as Instruments;
  cached = { provider, instruments: made };
  return made;
}

export type ActivityOutcomeKind = "ok" | "transient" | "permanent";

/** One activity call ended (activities/factory.ts `define`). */
export function recordActivity(activity: string, outcome: ActivityOutcomeKind, seconds: number, code?: string): void {
  const recorded = instruments();
  recorded.activityDuration(seconds, { activity, outcome });
  if (outcome !== "ok") recorded.activityFailures(1, { activity, kind: outcome, code: code ?? "unknown" });
}

/** An adapter is about to try a request again (lib/retry.ts); `cause` is the failure's classification kind. */
export function recordAdapterRetry(cause: string): void {
  instruments().adapterRetries(1, { cause });
}

/** One ARM response (each try); the remaining budget when ARM sent it. */
export function recordArmResponse(response: {
  method: string;
  status: number;
  remaining: { reads?: number; writes?: number };
}): void {
  const recorded = instruments();
  recorded.armRequests(1, {
    method: response.method,
    status: String(response.status),
    throttled: response.status === 429,
  });
  for (const [kind, value] of Object.entries(response.remaining))
    if (value !== undefined) recorded.armRateLimitRemaining(value, { kind });
}

/** What preflight found for one quota of one region. */
export function recordQuotaHeadroom(region: string, quota: string, vcpus: number): void {
  instruments().quotaHeadroom(vcpus, { region, quota });
}

/** The counts of one drift check, every kind and status (zeros included, so a resolved kind drops to 0). */
export function recordDriftFindings(
  network: string,
  counts: ReadonlyArray<{ kind: string; status: string; count: number }>,
): void {
  const recorded = instruments();
  for (const { kind, status, count } of counts) recorded.driftFindings(count, { network, kind, status });
}

/** What one observation of a cluster's nodes showed (a region may have more than one cluster). */
export function recordClusterHealth(
  region: string,
  cluster: string,
  health: { height?: number; validatorsUp: number },
): void {
  const recorded = instruments();
  if (health.height !== undefined) recorded.chainHeight(health.height, { region, cluster });
  recorded.validatorsUp(health.validatorsUp, { region, cluster });
}

/** The durations of one finished rollout (from its final status, lib/domain/measurements.ts). */
export function recordRolloutDurations(durations: {
  network: string;
  state: string;
  rolloutSeconds?: number;
  regions: ReadonlyArray<{ region: string; state: string; seconds: number }>;
  phases: ReadonlyArray<{ phase: string; seconds: number }>;
}): void {
  const recorded = instruments();
  if (durations.rolloutSeconds !== undefined)
    recorded.rolloutDuration(durations.rolloutSeconds, { network: durations.network, state: durations.state });
  for (const { region, state, seconds } of durations.regions) recorded.regionDuration(seconds, { region, state });
  for (const { phase, seconds } of durations.phases) recorded.phaseDuration(seconds, { phase });
}
