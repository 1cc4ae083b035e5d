/**
 * Injected faults: what the scenario file and the control API can make the simulated Azure do.
 * Permanent faults are per region (quota limits, provisioning failures); transient faults hit a
 * fraction of requests (5xx, 429, connection resets) on ARM, clusters' API servers, Key Vault or
 * the simulated chains' JSON-RPC endpoints; latency delays answers. The schemas here are the documented contract of both inputs.
 */
import { z } from "zod";

const regionFaultSchema = z.strictObject({
  /** Quota limits for this region: total regional vCPUs and per-family vCPU limits. */
  quota: z
    .strictObject({
      cores: z.number().int().min(0).optional(),
      families: z.record(z.string(), z.number().int().min(0)).optional(),
    })
    .optional(),
  /** Every cluster create/update in this region ends Failed with this error. */
  provisioningFailure: z.strictObject({ code: z.string().min(1), message: z.string().optional() }).optional(),
});

/**
 * Which servers a transient fault or latency rule applies to. Key Vault has no region: rules for it
 * give none. For `evm` (the simulated chains' JSON-RPC endpoints) the rule's `region` names the
 * chain, `chain138` or `mainnet`; both when absent.
 */
const faultTargetSchema = z.enum(["arm", "kube", "keyvault", "evm"]);
export type FaultTarget = z.infer<typeof faultTargetSchema>;

const transientFaultSchema = z.strictObject({
  target: faultTargetSchema,
  /** Only requests about this region (cluster location, usages location); all regions when absent. */
  region: z.string().optional(),
  kind: z.enum(["5xx", "429", "reset"]),
  /** Fraction of matching requests that fail, 0..1. */
  rate: z.number().min(0).max(1),
  /** HTTP status for `5xx` (default 500). */
  status: z.number().int().min(500).max(599).optional(),
  /** Stop after this many injected failures (unlimited when absent). */
  count: z.number().int().min(1).optional(),
});

const latencySchema = z.strictObject({
  target: faultTargetSchema,
  region: z.string().optional(),
  /** Extra wall-clock milliseconds before answering. */
  ms: z.number().min(0).max(60_000),
});

const bucketSchema = z.strictObject({ size: z.number().int().min(1), refillPerSecond: z.number().positive() });

export const FaultRulesSchema = z.strictObject({
  regions: z.record(z.string(), regionFaultSchema).optional(),
  transient: z.array(transientFaultSchema).optional(),
  latency: z.array(latencySchema).optional(),
  /** ARM throttling bucket sizes (defaults: Azure's published sizes). */
  throttling: z
    .strictObject({ reads: bucketSchema.optional(), writes: bucketSchema.optional(), deletes: bucketSchema.optional() })
    .optional(),
});
export type FaultRules = z.infer<typeof FaultRulesSchema>;
export type TransientFault = z.infer<typeof transientFaultSchema>;

const clusterRefFields = {
  /** Defaults to the simulator's subscription. */
  subscriptionId: z.string().optional(),
  resourceGroup: z.string().min(1),
  cluster: z.string().min(1),
};

const objectRefFields = {
  ...clusterRefFields,
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  namespace: z.string().optional(),
  name: z.string().min(1),
};

/** A change made behind the control plane's back (for drift detection). */
export const DriftActionSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("deleteCluster"), ...clusterRefFields }),
  z.strictObject({
    type: z.literal("scalePool"),
    ...clusterRefFields,
    pool: z.string().min(1),
    count: z.number().int().min(0),
  }),
  z.strictObject({ type: z.literal("editObject"), ...objectRefFields, mergePatch: z.record(z.string(), z.unknown()) }),
  z.strictObject({ type: z.literal("deleteObject"), ...objectRefFields }),
  z.strictObject({
    type: z.literal("killPod"),
    ...clusterRefFields,
    namespace: z.string().min(1),
    pod: z.string().min(1),
  }),
]);
export type DriftAction = z.infer<typeof DriftActionSchema>;

/**
 * The scenario file (JSON or YAML). Core sections are strict; any other top-level key must be the
 * name of a plugin, whose section that plugin validates.
 */
export const ScenarioCoreSchema = z.object({
  faults: FaultRulesSchema.optional(),
  /** Drift actions run at a simulated time after start. */
  events: z.array(z.strictObject({ afterSeconds: z.number().min(0), action: DriftActionSchema })).optional(),
});

export type FaultDecision =
  | { kind: "none" }
  | { kind: "5xx"; status: number; description: string }
  | { kind: "429"; description: string }
  | { kind: "reset"; description: string };

export class FaultInjector {
  private rules: FaultRules = {};
  /** Injected failures left per transient rule (by index), for rules with a count. */
  private remaining = new Map<TransientFault, number>();

  constructor(private readonly random: () => number = Math.random) {}

  set(rules: FaultRules): void {
    this.rules = rules;
    this.remaining = new Map(
      (rules.transient ?? []).flatMap((rule) => (rule.count === undefined ? [] : [[rule, rule.count] as const])),
    );
  }

  current(): FaultRules {
    return this.rules;
  }

  regionQuota(region: string): { cores?: number; families?: Record<string, number> } | undefined {
    return this.regionRule(region)?.quota;
  }

  provisioningFailure(region: string): { code: string; message?: string } | undefined {
    return this.regionRule(region)?.provisioningFailure;
  }

  private regionRule(region: string): z.infer<typeof regionFaultSchema> | undefined {
    const rules = this.rules.regions ?? {};
    const match = Object.keys(rules).find((key) => key.toLowerCase().replace(/\s+/g, "") === region);
    return match === undefined ? undefined : rules[match];
  }

  latencyMs(target: FaultTarget, region: string | undefined): number {
    return (this.rules.latency ?? [])
      .filter((rule) => rule.target === target && (rule.region === undefined || rule.region === region))
      .reduce((sum, rule) => sum + rule.ms, 0);
  }

  /** Decides whether this request fails on purpose. */
  decide(target: FaultTarget, region: string | undefined): FaultDecision {
    for (const rule of this.rules.transient ?? []) {
      if (rule.target !== target || (rule.region !== undefined && rule.region !== region)) continue;
      const left = this.remaining.get(rule);
      if (left === 0) continue;
      if (this.random() >= rule.rate) continue;
      if (left !== undefined) this.remaining.set(rule, left - 1);
      const description = `transient ${rule.kind} on ${target}${rule.region === undefined ? "" : ` in ${rule.region}`}`;
      if (rule.kind === "5xx") return { kind: "5xx", status: rule.status ?? 500, description };
      return { kind: rule.kind, description };
    }
    return { kind: "none" };
  }
}
