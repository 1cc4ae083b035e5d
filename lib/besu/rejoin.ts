/**
 * Whether a restarted node is back in the network, as a wave of a change needs it before the
 * next wave may start: its pod Ready, not syncing, at or past the height the wave started at
 * (the chain advanced), directly peered with enough validators for QBFT messages to reach it
 * (Besu sends them only to directly connected validators), and — for a validator of the set —
 * proposing blocks again (qbft_getSignerMetrics shows a block it proposed after the restart).
 */
import { z } from "zod";
import type { PodReadiness } from "../kube/cluster.js";
import type { BesuRpc } from "./rpc.js";

/** What a node must show to count as rejoined. */
export interface RejoinCriteria {
  /** Public keys (0x + 128 hex) of the validators of the set. */
  validatorPublicKeys: readonly string[];
  /** Validators it must be directly peered with: quorum − 1 (a validator), 1 (a sentry). */
  minValidatorPeers: number;
  /**
   * Count any peer instead (net_peerCount): a sentry serves no ADMIN API, so it cannot say who
   * its peers are.
   */
  anyPeers?: boolean;
  /** The head when the wave began: the node's head must be past it. */
  sinceBlock: number;
  /** For a validator of the set, its address: it must have proposed a block after `sinceBlock`. */
  sealer?: string;
}

export type RejoinState = { rejoined: true; head: number } | { rejoined: false; reason: string };

const signerMetricsSchema = z.array(
  z.object({ address: z.string(), lastProposedBlockNumber: z.string().regex(/^0x[0-9a-fA-F]+$/) }).loose(),
);

/** Asks the node (and its pod) whether it rejoined; the first unmet condition is the reason. */
export async function rejoinState(
  rpc: BesuRpc,
  pod: () => Promise<PodReadiness>,
  criteria: RejoinCriteria,
): Promise<RejoinState> {
  const readiness = await pod();
  if (!readiness.ready) return { rejoined: false, reason: readiness.reason };
  try {
    const [syncing, head, peers, metrics] = await Promise.all([
      rpc.syncing(),
      rpc.blockNumber(),
      criteria.anyPeers === true ? Promise.resolve(undefined) : rpc.peerPublicKeys(),
      criteria.sealer === undefined ? Promise.resolve([]) : rpc.call("qbft_getSignerMetrics", []),
    ]);
    if (syncing) return { rejoined: false, reason: `syncing at block ${head}` };
    if (head <= criteria.sinceBlock)
      return { rejoined: false, reason: `head ${head} not past block ${criteria.sinceBlock} yet` };
    const validators = new Set(criteria.validatorPublicKeys);
    const validatorPeers =
      peers === undefined ? await rpc.peerCount() : peers.filter((peer) => validators.has(peer)).length;
    if (validatorPeers < criteria.minValidatorPeers)
      return {
        rejoined: false,
        reason: `peered with ${validatorPeers} ${peers === undefined ? "nodes" : "validators"}, needs ${criteria.minValidatorPeers}`,
      };
    if (criteria.sealer !== undefined) {
      const own = signerMetricsSchema.parse(metrics).find((entry) => entry.address.toLowerCase() === criteria.sealer);
      const last = own === undefined ? 0 : Number.parseInt(own.lastProposedBlockNumber, 16);
      if (last <= criteria.sinceBlock)
        return { rejoined: false, reason: `has not proposed a block since block ${criteria.sinceBlock}` };
    }
    return { rejoined: true, head };
  } catch (error) {
    return { rejoined: false, reason: `RPC: ${error instanceof Error ? error.message : String(error)}` };
  }
}
