/**
 * One typed contract per activity, defined once: its name, input and output schemas. The
 * orchestrators call activities only through these (orchestrators/durable.ts validates each
 * result with the output schema); the handlers validate their input with the same schemas, so the
 * two sides cannot drift.
 *
 * Error semantics: every outcome is RETURNED, as data — success, or a failure with its kind:
 * - `{ ok: false, kind: "transient", code, message, retryAfterMs? }` for faults that may pass (429,
 *   5xx, timeouts, resets) once an adapter's own per-request retries gave up; the orchestrator
 *   waits (honouring `retryAfterMs`) on a durable timer and calls again;
 * - `{ ok: false, kind: "permanent", code, message }` for outcomes a retry cannot change (quota,
 *   validation, authorization, not found where it must exist).
 * Data, not exceptions, because the SDK flattens thrown errors into strings. No contract carries a
 * secret: kubeconfigs, node keys and tokens stay inside the activity that uses them.
 */
import { z } from "zod";
import { nodePublicIdentitySchema } from "../lib/domain/genesis.js";
import { networkRecordSchema } from "../lib/domain/network-record.js";
import { clusterPlanSchema, nodePlanSchema, regionPlanSchema } from "../lib/domain/plan.js";

/** A permanent failure, returned (not thrown) so that it is not retried. */
export const permanentFailureSchema = z.object({
  ok: z.literal(false),
  kind: z.literal("permanent"),
  /** A stable code, e.g. QuotaExceeded, InvalidParameter, AuthorizationFailed, VmSizeNotOffered. */
  code: z.string(),
  /** What failed and why, for an operator; never a secret. */
  message: z.string(),
});
export type PermanentFailure = z.infer<typeof permanentFailureSchema>;

/** A transient failure that outlived the adapter's own retries; the orchestrator retries the activity. */
export const transientFailureSchema = z.object({
  ok: z.literal(false),
  kind: z.literal("transient"),
  code: z.string(),
  message: z.string(),
  /** How long the service asked to wait (Retry-After), in milliseconds. */
  retryAfterMs: z.int().min(0).optional(),
});
export type TransientFailure = z.infer<typeof transientFailureSchema>;

/** An activity's output: its success, or a permanent failure it returns instead of throwing. */
export type ActivityOutcome = z.ZodType<{ ok: true } | PermanentFailure | TransientFailure>;

export interface ActivityContract<I extends z.ZodType = z.ZodType, O extends ActivityOutcome = ActivityOutcome> {
  name: string;
  input: I;
  output: O;
}

/** A contract from its name and schemas. */
export const contract = <I extends z.ZodType, O extends ActivityOutcome>(
  name: string,
  input: I,
  output: O,
): ActivityContract<I, O> => ({ name, input, output });

/** An output schema: success with these fields, or a failure returned as data. */
export const outcome = <T extends z.ZodRawShape>(shape: T) =>
  z.union([z.object({ ok: z.literal(true), ...shape }), permanentFailureSchema, transientFailureSchema]);

/** The longest an activity waits for a condition before answering "not yet". */
export const MAX_ACTIVITY_WAIT_SECONDS = 30;

/**
 * How long the activity may keep re-checking before it answers "not yet": the orchestrator then
 * learns of the change within a fraction of a second instead of up to a poll interval later.
 * Seconds, never minutes: long waits belong to the orchestrator's durable timers.
 */
export const waitSecondsSchema = z.number().min(0).max(MAX_ACTIVITY_WAIT_SECONDS).default(0);

/** A document in the state container, by name (e.g. `rollouts/<id>/spec.json`). */
export const documentNameSchema = z.string().regex(/^[a-z0-9][a-z0-9/._-]*\.json$/);

/**
 * What every node of a rollout is deployed with, saved once per rollout by the genesis phase:
 * the genesis, the static nodes and each node's public p2p address. Public data only.
 */
export const rolloutNetworkSchema = z.object({
  genesisJson: z.string(),
  staticNodesJson: z.string(),
  p2pHosts: z.record(z.string(), z.string()),
});
export type RolloutNetwork = z.infer<typeof rolloutNetworkSchema>;

/** Where a cluster lives; enough for an activity to fetch its credentials itself. */
export const clusterRefSchema = z.object({
  resourceGroup: z.string(),
  clusterName: z.string(),
  region: z.string(),
});
export type ClusterRef = z.infer<typeof clusterRefSchema>;

// ---- preflight ---------------------------------------------------------------------------------

export const preflightRegion = contract(
  "preflightRegion",
  z.object({ plan: regionPlanSchema }),
  // ok:false carries the reason (unknown region, VM size not offered, quota) with numbers.
  outcome({ vcpusAvailable: z.number().int() }),
);

// ---- phase A: infrastructure -------------------------------------------------------------------

export const ensureResourceGroup = contract(
  "ensureResourceGroup",
  z.object({ resourceGroup: z.string(), region: z.string(), network: z.string() }),
  outcome({}),
);

/** Starts (or finds) the AKS create/update. Never waits for it: the orchestrator polls. */
export const beginCluster = contract(
  "beginCluster",
  z.object({ cluster: clusterRefSchema, plan: clusterPlanSchema, network: z.string() }),
  outcome({ provisioningState: z.string() }),
);

/** One poll of the cluster's provisioningState (Creating/Updating/Succeeded/Failed…). */
export const getClusterState = contract(
  "getClusterState",
  z.object({ cluster: clusterRefSchema }),
  outcome({ provisioningState: z.string(), failureMessage: z.string().optional() }),
);

/** Namespace, RBAC, storage class, network policy, PDBs, p2p LoadBalancer Services (server-side apply). */
export const configureCluster = contract(
  "configureCluster",
  z.object({
    cluster: clusterRefSchema,
    regionPlan: regionPlanSchema,
    clusterOrdinal: z.number().int().min(1),
    /** The rollout's spec document (saveDocument), read for its cluster section. */
    specDocument: documentNameSchema,
  }),
  outcome({ applied: z.number().int() }),
);

/**
 * Each node's public identity as its cluster publishes it: a key Job born in the cluster makes the
 * key (or finds the one the node's Secret holds) and publishes only the public key, which is all
 * the control plane ever sees (docs/keys.md). `p2pHost` is the node's LoadBalancer IP. `pending`
 * says, per node, what is still awaited after `waitSeconds`: its key Job or its IP. A key Job that
 * failed is a permanent failure (`KeyJobFailed`).
 */
export const ensureNodeKeys = contract(
  "ensureNodeKeys",
  z.object({
    cluster: clusterRefSchema,
    regionPlan: regionPlanSchema,
    clusterOrdinal: z.number().int().min(1),
    /** The rollout's spec document, read for the Besu image the key Job runs. */
    specDocument: documentNameSchema,
    waitSeconds: waitSecondsSchema,
  }),
  outcome({ identities: z.array(nodePublicIdentitySchema), pending: z.array(z.string()) }),
);

// ---- phase B: Besu ---------------------------------------------------------------------------

/** One cluster of a region, with the documents that say what is deployed on it. */
export const clusterDeploymentSchema = z.object({
  cluster: clusterRefSchema,
  regionPlan: regionPlanSchema,
  clusterOrdinal: z.number().int().min(1),
  /** The rollout's spec document, read for its network section. */
  specDocument: documentNameSchema,
  /** The rollout's network document (`rolloutNetworkSchema`): genesis, static nodes, p2p addresses. */
  networkDocument: documentNameSchema,
});

/**
 * Applies the cluster's Besu objects. With `nodes`, only those nodes' StatefulSets (and the shared
 * ConfigMaps): drift healing restores a deleted StatefulSet — whose pod starts at once — in the
 * wave that may start it, not with the rest of its cluster.
 */
export const deployBesu = contract(
  "deployBesu",
  clusterDeploymentSchema.extend({ nodes: z.array(z.string()).optional() }),
  outcome({ applied: z.number().int() }),
);

export const checkReadiness = contract(
  "checkReadiness",
  z.object({
    cluster: clusterRefSchema,
    namespace: z.string(),
    nodes: z.array(nodePlanSchema),
    waitSeconds: waitSecondsSchema,
  }),
  outcome({ ready: z.array(z.string()), notReady: z.array(z.object({ nodeId: z.string(), reason: z.string() })) }),
);

// ---- verification ----------------------------------------------------------------------------

/** What one node says about itself over JSON-RPC, read through the cluster API's service proxy. */
export const nodeObservationSchema = z.object({
  nodeId: z.string(),
  reachable: z.boolean(),
  error: z.string().optional(),
  chainId: z.string().optional(),
  genesisHash: z.string().optional(),
  blockNumber: z.number().int().optional(),
  /** When blockNumber was read (ISO): nodes are read one after another while blocks keep coming. */
  blockNumberAt: z.string().optional(),
  syncing: z.boolean().optional(),
  peerCount: z.number().int().optional(),
  /** enode public keys (0x + 128 hex) of the peers it is directly connected to. */
  peerPublicKeys: z.array(z.string()).optional(),
  validatorsLatest: z.array(z.string()).optional(),
  validatorsPending: z.array(z.string()).optional(),
  ready: z.boolean().optional(),
  clientVersion: z.string().optional(),
});
export type NodeObservation = z.infer<typeof nodeObservationSchema>;

export const observeNodes = contract(
  "observeNodes",
  z.object({
    cluster: clusterRefSchema,
    namespace: z.string(),
    nodes: z.array(nodePlanSchema),
    /** `heads`: only chain id and head (verification's first sample); `full`: everything it checks. */
    scope: z.enum(["heads", "full"]).default("full"),
  }),
  outcome({ observations: z.array(nodeObservationSchema) }),
);

// ---- validator admission ---------------------------------------------------------------------

/**
 * One voting round on the validators of one cluster: each node discards its votes on `discard`,
 * proposes adding every address in `propose`, and reports the latest block's validator set.
 * Idempotent: proposing again replaces the node's pending vote with the same one.
 */
export const voteValidators = contract(
  "voteValidators",
  z.object({
    cluster: clusterRefSchema,
    namespace: z.string(),
    nodes: z.array(nodePlanSchema),
    propose: z.array(z.string().regex(/^0x[0-9a-f]{40}$/)),
    discard: z.array(z.string().regex(/^0x[0-9a-f]{40}$/)),
  }),
  outcome({
    reports: z.array(
      z.object({
        nodeId: z.string(),
        ok: z.boolean(),
        validators: z.array(z.string()).optional(),
        error: z.string().optional(),
      }),
    ),
  }),
);

// ---- state -----------------------------------------------------------------------------------

/** Saves a JSON document (spec, report) to the state container; returns its blob name. */
export const saveDocument = contract(
  "saveDocument",
  z.object({ name: documentNameSchema, document: z.unknown() }),
  outcome({ blobName: z.string() }),
);

/** The network's record (lib/domain/network-record.ts), or null before the network formed. */
export const loadNetworkRecord = contract(
  "loadNetworkRecord",
  z.object({ network: z.string().min(1) }),
  outcome({ record: networkRecordSchema.nullable() }),
);

export type ActivityInput<C> = C extends ActivityContract<infer I, ActivityOutcome> ? z.input<I> : never;
export type ActivityOutput<C> = C extends ActivityContract<z.ZodType, infer O> ? z.output<O> : never;
/** What an activity returns when it succeeds. */
export type ActivitySuccess<C> = Extract<ActivityOutput<C>, { ok: true }>;
