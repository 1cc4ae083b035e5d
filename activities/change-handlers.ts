/**
 * Handlers of the change activities (change-contracts.ts), defined like every activity
 * (activities/define.ts) and built by activities/factory.ts with the helpers its handlers use (a
 * cluster connection, a node's JSON-RPC through the service proxy), so that they behave exactly
 * like the others.
 */
import { rejoinState } from "../lib/besu/rejoin.js";
import type { BesuRpc } from "../lib/besu/rpc.js";
import type { KubeCluster } from "../lib/kube/cluster.js";
import { deleteStatefulSet, restartIfStale } from "../lib/kube/restarts.js";
import type { NodePlan } from "../lib/domain/plan.js";
import { checkNodesRejoined, restartStaleNodes, stopNodeWorkloads, voteOnRemoval } from "./change-contracts.js";
import type { ClusterRef } from "./contracts.js";
import { define } from "./define.js";

/** What factory.ts lends: its `inCluster`, `rpcThroughProxy` and `checkUntil`, and ARM's word on a cluster. */
export interface HandlerKit {
  inCluster<T>(ref: ClusterRef, step: string, operation: (cluster: KubeCluster) => Promise<T>): Promise<T>;
  rpc(cluster: KubeCluster, namespace: string, node: NodePlan): BesuRpc;
  checkUntil<T>(waitSeconds: number, check: () => Promise<T>, done: (answer: T) => boolean): Promise<T>;
  /** Whether ARM still has the cluster. */
  clusterExists(ref: ClusterRef): Promise<boolean>;
}

export function createChangeHandlers(kit: HandlerKit) {
  return {
    restartStaleNodes: define(restartStaleNodes, async ({ cluster, namespace, nodes }) =>
      kit.inCluster(cluster, "restart stale pods", async (kube) => {
        const restarted: string[] = [];
        const current: string[] = [];
        const notObserved: string[] = [];
        const heads: Record<string, number> = {};
        for (const node of nodes) {
          // The head before the restart tells the wave how far the chain must advance; a node that
          // does not answer (already down) has none.
          const head = await kit
            .rpc(kube, namespace, node)
            .blockNumber()
            .catch(() => undefined);
          if (head !== undefined) heads[node.id] = head;
          const outcome = await restartIfStale(kube, namespace, node);
          ({ restarted, current, notObserved })[outcome].push(node.id);
        }
        return { ok: true as const, restarted, current, notObserved, heads };
      }),
    ),

    checkNodesRejoined: define(checkNodesRejoined, async (input) =>
      kit.inCluster(input.cluster, "check restarted nodes", async (kube) => {
        const check = () =>
          Promise.all(
            input.nodes.map(async ({ node, sealer }) => ({
              node,
              state: await rejoinState(
                kit.rpc(kube, input.namespace, node),
                () => kube.podReadiness(input.namespace, node.podName),
                {
                  validatorPublicKeys: input.validatorPublicKeys,
                  minValidatorPeers: input.minValidatorPeers,
                  anyPeers: input.anyPeers,
                  sinceBlock: input.sinceBlock,
                  ...(sealer === undefined ? {} : { sealer }),
                },
              ),
            })),
          );
        const answers = await kit.checkUntil(input.waitSeconds, check, (all) =>
          all.every((answer) => answer.state.rejoined),
        );
        return {
          ok: true as const,
          rejoined: answers.flatMap(({ node, state }) =>
            state.rejoined ? [{ nodeId: node.id, head: state.head }] : [],
          ),
          waiting: answers.flatMap(({ node, state }) =>
            state.rejoined ? [] : [{ nodeId: node.id, reason: state.reason }],
          ),
        };
      }),
    ),

    voteOnRemoval: define(voteOnRemoval, async ({ cluster, namespace, nodes, address, remove }) =>
      kit.inCluster(cluster, "vote on a removal", async (kube) => ({
        ok: true as const,
        reports: await Promise.all(
          nodes.map(async (node) => {
            const rpc = kit.rpc(kube, namespace, node);
            try {
              if (remove) await rpc.proposeValidatorVote(address, false);
              else await rpc.discardValidatorVote(address);
              return { nodeId: node.id, validators: await rpc.validators("latest") };
            } catch (error) {
              // One voter that cannot be reached is a fact for the tally, not a failure of the others.
              return { nodeId: node.id, error: error instanceof Error ? error.message : String(error) };
            }
          }),
        ),
      })),
    ),

    stopNodeWorkloads: define(stopNodeWorkloads, async ({ cluster, namespace, statefulSets }) => {
      // A cluster deleted meanwhile (deprovision: delete, by an earlier rollout) runs no pods.
      if (!(await kit.clusterExists(cluster))) return { ok: true as const, deleted: statefulSets };
      return kit.inCluster(cluster, "stop removed nodes", async (kube) => {
        for (const name of statefulSets) await deleteStatefulSet(kube, namespace, name);
        return { ok: true as const, deleted: statefulSets };
      });
    }),
  };
}
