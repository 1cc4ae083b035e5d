/**
 * Asking a restarted node whether it is back in the network, as a wave of a change needs it
 * before the next wave may start: its pod Ready (Besu's readiness), then its sync state, head,
 * peers and — for a validator of the set — its signer metrics (qbft_getSignerMetrics), judged by
 * rejoinVerdict (lib/domain/changes/rejoin.ts).
 */
import { z } from "zod";
import { rejoinVerdict, type RejoinCriteria, type RejoinState } from "../domain/changes/rejoin.js";
import type { PodReadiness } from "../kube/cluster.js";
import type { BesuRpc } from "./rpc.js";

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
      criteria.anyPeers === true
        ? rpc.peerCount().then((count) => ({ count }))
        : rpc.peerPublicKeys().then((publicKeys) => ({ publicKeys })),
      criteria.sealer === undefined ? Promise.resolve(undefined) : rpc.call("qbft_getSignerMetrics", []),
    ]);
    const own =
      metrics === undefined
        ? undefined
        : signerMetricsSchema.parse(metrics).find((entry) => entry.address.toLowerCase() === criteria.sealer);
    return rejoinVerdict(
      {
        syncing,
        head,
        peers,
        ...(criteria.sealer === undefined
          ? {}
          : { lastProposedBlock: own === undefined ? 0 : Number.parseInt(own.lastProposedBlockNumber, 16) }),
      },
      criteria,
    );
  } catch (error) {
    return { rejoined: false, reason: `RPC: ${error instanceof Error ? error.message : String(error)}` };
  }
}
