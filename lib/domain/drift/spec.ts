/**
 * The spec's `drift` section: how the timer-triggered drift check treats one network. Ignore rules
 * silence known noise (they are still reported, as ignored), `remediate` opts in to healing what
 * is safe to heal, and `keepReports` bounds the reports kept in blob storage. Every field has a
 * default, so a spec without the section gets report-only checks.
 */
import { z } from "zod";

/** Where a finding was observed: Azure (ARM), a cluster's Kubernetes API, the Besu nodes, the contracts. */
export const driftKindSchema = z.enum(["arm", "kubernetes", "besu", "contracts"]);
export type DriftKind = z.infer<typeof driftKindSchema>;

export const driftIgnoreRuleSchema = z
  .strictObject({
    kind: driftKindSchema.optional().describe("Only findings of this kind; all kinds when absent."),
    resource: z
      .string()
      .min(1)
      .default("*")
      .describe(
        "Resource name pattern, `*` matching any run of characters, e.g. `ConfigMap/besu-*` or `northeurope/*`.",
      ),
    field: z
      .string()
      .min(1)
      .optional()
      .describe("Field path prefix, e.g. `.metadata.labels` or `nodePools`; every field when absent."),
    reason: z.string().max(200).optional().describe("Why this is known noise; shown with each finding it matches."),
  })
  .describe("A finding that matches every given part is reported as ignored, not as drift.");
export type DriftIgnoreRule = z.output<typeof driftIgnoreRuleSchema>;

export const driftSpecSchema = z
  .strictObject({
    ignore: z.array(driftIgnoreRuleSchema).max(100).default([]).describe("Known noise."),
    remediate: z
      .enum(["none", "safe"])
      .default("none")
      .describe(
        "`none` only reports; `safe` also re-applies the Kubernetes configuration of regions whose objects were edited or deleted, and restarts the nodes whose StatefulSet was in the rollout's waves (at most `rollout.maxUnavailableValidators` validators at once). Clusters are never recreated and validators never voted in or out by healing.",
      ),
    minimumBalances: z
      .record(
        z.string().min(1),
        z
          .string()
          .regex(/^(0|[1-9][0-9]*)$/, "must be a whole number of base units (wei) written in decimal, quoted in YAML"),
      )
      .default({})
      .describe(
        "Per top-up of the funding section (by its name): the balance below which the drift check reports it, in base units. A top-up not named here is reported when its balance is below its target.",
      ),
    keepReports: z.int().min(1).max(1000).default(96).describe("Drift reports kept per network (a day at 15 minutes)."),
  })
  .describe("The timer-triggered drift check: ignore rules, healing and how many reports to keep.");
export type DriftSpec = z.output<typeof driftSpecSchema>;

/** Each `drift.minimumBalances` entry must name a top-up of the funding section (a typo would silently check nothing). */
export function minimumBalanceProblems(
  drift: DriftSpec,
  topUps: readonly { name: string }[],
): { path: readonly string[]; message: string }[] {
  return Object.keys(drift.minimumBalances)
    .filter((name) => !topUps.some((topUp) => topUp.name === name))
    .map((name) => ({
      path: ["drift", "minimumBalances", name],
      message: `names no top-up of funding.topUps${topUps.length === 0 ? " (there are none)" : ` (${topUps.map((topUp) => topUp.name).join(", ")})`}`,
    }));
}
