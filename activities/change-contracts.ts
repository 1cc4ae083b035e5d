/**
 * The activities of a change to a live network (lib/domain/changes/): restarting a wave's pods
 * and asking whether they rejoined. Kept apart from contracts.ts, whose conventions they follow:
 * failures are data, and no contract carries a secret (public keys and addresses only).
 */
import { z } from "zod";
import { nodePlanSchema } from "../lib/domain/plan.js";
import { clusterRefSchema, contract, outcome, waitSecondsSchema } from "./contracts.js";

const addressSchema = z.string().regex(/^0x[0-9a-f]{40}$/);

/**
 * Deletes the pod of each node whose StatefulSet has a newer template (OnDelete: the controller
 * recreates it from that template). A node already current is left alone, so running the wave
 * again after a crash restarts nothing twice; `notObserved` lists nodes whose controller has not
 * seen the new template yet (ask again). `heads` is each node's head before its restart.
 */
export const restartStaleNodes = contract(
  "restartStaleNodes",
  z.object({ cluster: clusterRefSchema, namespace: z.string(), nodes: z.array(nodePlanSchema) }),
  outcome({
    restarted: z.array(z.string()),
    current: z.array(z.string()),
    notObserved: z.array(z.string()),
    heads: z.record(z.string(), z.number().int()),
  }),
);

/** Whether each node rejoined (lib/besu/rejoin.ts); re-checked inside for up to `waitSeconds`. */
export const checkNodesRejoined = contract(
  "checkNodesRejoined",
  z.object({
    cluster: clusterRefSchema,
    namespace: z.string(),
    nodes: z.array(z.object({ node: nodePlanSchema, sealer: addressSchema.optional() })),
    validatorPublicKeys: z.array(z.string()),
    minValidatorPeers: z.int().min(0),
    /** Count every peer (net_peerCount) rather than validators only: for sentries, which serve no ADMIN API. */
    anyPeers: z.boolean().default(false),
    sinceBlock: z.int().min(0),
    waitSeconds: waitSecondsSchema,
  }),
  outcome({
    rejoined: z.array(z.object({ nodeId: z.string(), head: z.number().int() })),
    waiting: z.array(z.object({ nodeId: z.string(), reason: z.string() })),
  }),
);

/**
 * One round of a removal vote on the validators of one cluster: each node proposes removing
 * `address` (`remove: true`) or discards its vote on it (`remove: false`), and reports the latest
 * block's validator set. Idempotent: proposing again replaces the node's pending vote.
 */
export const voteOnRemoval = contract(
  "voteOnRemoval",
  z.object({
    cluster: clusterRefSchema,
    namespace: z.string(),
    nodes: z.array(nodePlanSchema),
    address: addressSchema,
    remove: z.boolean(),
  }),
  outcome({
    reports: z.array(
      z.object({ nodeId: z.string(), validators: z.array(z.string()).optional(), error: z.string().optional() }),
    ),
  }),
);

/**
 * Deletes the StatefulSets of removed nodes (their pods stop; data volumes are kept). Absent ones
 * count as deleted, and so do all of a cluster ARM no longer has.
 */
export const stopNodeWorkloads = contract(
  "stopNodeWorkloads",
  z.object({ cluster: clusterRefSchema, namespace: z.string(), statefulSets: z.array(z.string()) }),
  outcome({ deleted: z.array(z.string()) }),
);
