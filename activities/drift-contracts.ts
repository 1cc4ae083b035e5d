/**
 * The activity contracts of drift verification (orchestrators/drift/): load the desired state
 * (the last successful rollout's spec and the network record) with the previous report, compare
 * one cluster with it in ARM and Kubernetes, one chain with it (contracts, CCIP, balances), save a report with the network's index, and tell the
 * webhook. Besu is observed through the rollout's own `observeNodes`, healing re-applies through
 * `configureCluster` and `deployBesu`. Nothing here carries a secret: the webhook URL stays in the
 * app settings, read inside the activity.
 */
import { z } from "zod";
import {
  driftReportSchema,
  driftUnknownSchema,
  observedDriftSchema,
  driftStateSchema,
} from "../lib/domain/drift/report.js";
import { CHAIN_ROLES } from "../lib/domain/contracts-spec.js";
import { deployedContractSchema } from "../lib/domain/onchain-status.js";
import { desiredStateSchema } from "../lib/domain/spec.js";
import { clusterDeploymentSchema, contract, documentNameSchema, outcome } from "./contracts.js";

/** What the network must look like on the chain, from its record (public data). */
export const besuExpectationSchema = z.object({
  chainIdHex: z.string(),
  genesisHash: z.string(),
  validators: z.array(z.string()),
  validatorPublicKeys: z.array(z.string()),
});

/** The desired state of a network: the rollout it comes from, where its documents are, and its spec. */
export const driftBaselineSchema = z.object({
  rolloutId: z.string(),
  specDocument: documentNameSchema,
  networkDocument: documentNameSchema,
  spec: desiredStateSchema,
  expectation: besuExpectationSchema,
  /** The contracts the rollout deployed or found, with their code hashes (its status's `contracts`). */
  contracts: z.array(deployedContractSchema).default([]),
});
export type DriftBaseline = z.infer<typeof driftBaselineSchema>;

/** The desired state (null: no successful rollout of the network is on record) and the previous report. */
export const loadDriftBaseline = contract(
  "loadDriftBaseline",
  z.object({ network: z.string().min(1) }),
  outcome({ baseline: driftBaselineSchema.nullable(), previous: driftReportSchema.nullable() }),
);

/** One cluster compared with the desired state in ARM and in its Kubernetes API. */
export const checkClusterDrift = contract(
  "checkClusterDrift",
  clusterDeploymentSchema,
  outcome({
    /** False when ARM says the cluster is gone: its nodes are not observed. */
    exists: z.boolean(),
    observed: z.array(observedDriftSchema),
    unknown: z.array(driftUnknownSchema),
  }),
);

/**
 * One chain's contracts and CCIP lane compared with the baseline: code hashes at the recorded
 * addresses, the spec's ensure-steps on that chain, its funded balances. Reads only: a drift check
 * never sends a transaction. `contracts` are all the recorded ones (a step on one chain may name
 * an address on the other); the RPC URL is read from the app setting the spec names.
 */
export const checkOnChainDrift = contract(
  "checkOnChainDrift",
  z.object({
    specDocument: documentNameSchema,
    chain: z.enum(CHAIN_ROLES),
    contracts: z.array(deployedContractSchema),
  }),
  outcome({ observed: z.array(observedDriftSchema), unknown: z.array(driftUnknownSchema) }),
);

/** Saves a report, puts it in front of the network's index and deletes the reports beyond `keep`. */
export const saveDriftReport = contract(
  "saveDriftReport",
  z.object({ report: driftReportSchema, keep: z.number().int().min(1) }),
  outcome({ document: documentNameSchema }),
);

/** A state change, for the webhook: counts and names only. */
export const driftAlertSchema = z.object({
  network: z.string(),
  checkId: z.string(),
  previousState: driftStateSchema.nullable(),
  state: driftStateSchema,
  findings: z.int().min(0),
  unknown: z.int().min(0),
  /** The first few findings, as `region resource field`. */
  examples: z.array(z.string()),
});
export type DriftAlert = z.infer<typeof driftAlertSchema>;

/** POSTs the alert to the webhook of the app settings; `sent: false` when none is set. */
export const notifyDriftWebhook = contract(
  "notifyDriftWebhook",
  z.object({ alert: driftAlertSchema }),
  outcome({ sent: z.boolean() }),
);

/** The drift contracts that have handlers (activities/drift.ts), by activity name. */
export const driftActivityContracts = {
  loadDriftBaseline,
  checkClusterDrift,
  checkOnChainDrift,
  saveDriftReport,
  notifyDriftWebhook,
} as const;
