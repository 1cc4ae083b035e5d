/**
 * The drift check of one network (a singleton per network, orchestrators/drift/contract.ts): load
 * the desired state — the last successful rollout's spec and the network record — compare every
 * region with it in parallel (compare.ts), heal what is safe when the spec asks for it (heal.ts),
 * then save the report with its `since`s carried over and tell the webhook when the state moved
 * between InSync and Drifted or Unknown. The custom status shows the phase, then the result.
 */
import type { OrchestrationContext } from "durable-functions";
import { loadDriftBaseline, notifyDriftWebhook, saveDriftReport } from "../../activities/drift-contracts.js";
import {
  buildDriftReport,
  isAlertWorthy,
  type DriftAction,
  type DriftReport,
  type DriftUnknown,
} from "../../lib/domain/drift/report.js";
import { planRollout } from "../../lib/domain/plan.js";
import { rolloutPolicySchema } from "../../lib/domain/spec.js";
import { orchestration } from "../contracts.js";
import { call, now, type RetryScope } from "../durable.js";
import { compareNetwork, type Comparison } from "./compare.js";
import { driftCheckOrchestration, type DriftCheckStatus } from "./contract.js";
import { healKubernetes } from "./heal.js";

/** Before the spec is known, activities are retried by the default policy. */
const DEFAULT_RETRY: RetryScope = { policy: rolloutPolicySchema.parse({}).retry };
/** Reports kept when the spec is not known (no baseline). */
const DEFAULT_KEEP = 96;
/** How many findings the webhook's summary names. */
const ALERT_EXAMPLES = 5;

const publish = (context: OrchestrationContext, status: DriftCheckStatus): DriftCheckStatus => {
  context.df.setCustomStatus(status);
  return status;
};

/** What could not be compared when there is no desired state. */
const withoutBaseline = (network: string, reason: string): Comparison => ({
  observed: [],
  unknown: [{ kind: "desired-state", region: "-", resource: network, reason } satisfies DriftUnknown],
});

export const driftCheckOrchestrator = orchestration(driftCheckOrchestration, function* (context, input) {
  const { network, trigger } = input;
  const startedAt = now(context);
  publish(context, { network, startedAt, phase: "comparing" });
  const loaded = yield* call(context, loadDriftBaseline, { network }, DEFAULT_RETRY);
  const previous = loaded.ok ? (loaded.value.previous ?? undefined) : undefined;
  const baseline = loaded.ok ? (loaded.value.baseline ?? undefined) : undefined;
  const retry: RetryScope = baseline ? { policy: baseline.spec.rollout.retry } : DEFAULT_RETRY;
  const plans = baseline ? planRollout(baseline.spec) : [];
  const comparison: Comparison = !loaded.ok
    ? withoutBaseline(network, `the desired state could not be read: ${loaded.cause}`)
    : baseline === undefined
      ? withoutBaseline(network, `no successful rollout of network ${network} is on record`)
      : yield* compareNetwork(context, baseline, plans, retry);

  const report = (actions: DriftAction[]): DriftReport =>
    buildDriftReport({
      network,
      trigger,
      startedAt,
      finishedAt: now(context),
      observed: comparison.observed,
      unknown: comparison.unknown,
      actions,
      ignore: baseline?.spec.drift.ignore ?? [],
      ...(baseline ? { baseline: baseline.rolloutId } : {}),
      ...(previous ? { previous } : {}),
      ...(comparison.health ? { health: comparison.health } : {}),
    });
  let final = report([]);
  if (baseline?.spec.drift.remediate === "safe" && final.findings.some((finding) => finding.kind === "kubernetes")) {
    publish(context, { network, startedAt, phase: "healing" });
    final = report(yield* healKubernetes(context, baseline, plans, final.findings, retry));
  }

  publish(context, { network, startedAt, phase: "reporting" });
  const saved = yield* call(
    context,
    saveDriftReport,
    { report: final, keep: baseline?.spec.drift.keepReports ?? DEFAULT_KEEP },
    retry,
  );
  if (isAlertWorthy(previous?.state, final.state)) {
    // A webhook that cannot be reached is retried, and then let go: it never fails the check.
    yield* call(
      context,
      notifyDriftWebhook,
      {
        alert: {
          network,
          checkId: final.checkId,
          previousState: previous?.state ?? null,
          state: final.state,
          findings: final.findings.length,
          unknown: final.unknown.length,
          examples: final.findings
            .slice(0, ALERT_EXAMPLES)
            .map((finding) => `${finding.region} ${finding.resource} ${finding.field}`),
        },
      },
      retry,
    );
  }
  return publish(context, {
    network,
    startedAt,
    phase: "done",
    state: final.state,
    findings: final.findings.length,
    unknown: final.unknown.length,
    ...(saved.ok ? { document: saved.value.document } : {}),
  });
});
