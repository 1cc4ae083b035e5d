/**
 * How one Besu node runs, as the Besu CLI reference names it: the paths inside its container, the
 * health endpoints its probes call, the JSON-RPC API groups per role, whether a role takes part in
 * peer discovery, and the command line that puts these together. The workloads (besu-workloads.ts)
 * and the Services and network policies that reach a node (network.ts) follow from these choices.
 */
import { METRICS_PORT, NODE_KEY_SECRET_ENTRY, P2P_PORT, RPC_PORT, type NodePlan, type NodeRole } from "../plan.js";

/** Paths inside the Besu container. */
export const BESU_PATHS = Object.freeze({
  data: "/data",
  genesisDirectory: "/etc/besu/genesis",
  genesisFile: "/etc/besu/genesis/genesis.json",
  staticNodesDirectory: "/etc/besu/static-nodes",
  staticNodesFile: "/etc/besu/static-nodes/static-nodes.json",
  keyDirectory: "/etc/besu/keys",
  keyFile: `/etc/besu/keys/${NODE_KEY_SECRET_ENTRY}`,
});

/** Readiness as Besu defines it: at least one peer and at most two blocks behind. */
export const READINESS_PATH = "/readiness?minPeers=1&maxBlocksBehind=2";
export const LIVENESS_PATH = "/liveness";

/** JSON-RPC API groups per role. */
export const RPC_APIS: Readonly<Record<NodeRole, string>> = Object.freeze({
  // ADMIN lets the control plane verify peering (admin_peers, admin_nodeInfo); validators'
  // RPC is reachable only inside the cluster (see the network policies).
  validator: "ETH,NET,QBFT,WEB3,ADMIN",
  // Sentries serve RPC to clients, so no ADMIN there. QBFT stays for read-only checks of the
  // validator set; a vote proposed on a sentry has no effect, as sentries never propose blocks.
  sentry: "ETH,NET,QBFT,WEB3",
});

/**
 * Validators peer only through the static-nodes mesh, as Besu documents for static networks;
 * leaving them out of discovery keeps outside peers on the sentries. Sentries discover peers.
 */
export function usesDiscovery(role: NodeRole): boolean {
  return role === "sentry";
}

/** Besu's command line for one node, flag by flag as the Besu CLI reference names them. */
export function besuArguments(node: NodePlan, p2pHost: string): string[] {
  return [
    `--genesis-file=${BESU_PATHS.genesisFile}`,
    `--node-private-key-file=${BESU_PATHS.keyFile}`,
    `--data-path=${BESU_PATHS.data}`,
    `--static-nodes-file=${BESU_PATHS.staticNodesFile}`,
    "--sync-mode=FULL",
    "--p2p-enabled=true",
    "--p2p-interface=0.0.0.0",
    // The LoadBalancer's public IP: what other regions dial and what the enode advertises.
    `--p2p-host=${p2pHost}`,
    `--p2p-port=${P2P_PORT}`,
    `--discovery-enabled=${usesDiscovery(node.role)}`,
    // Kubernetes NAT detection is deprecated in Besu; the address is given explicitly instead.
    "--nat-method=NONE",
    "--rpc-http-enabled=true",
    "--rpc-http-host=0.0.0.0",
    `--rpc-http-port=${RPC_PORT}`,
    `--rpc-http-api=${RPC_APIS[node.role]}`,
    // Requests arrive through Services and the API server proxy with varying Host headers;
    // access is restricted by the network policies instead.
    "--host-allowlist=*",
    "--min-gas-price=0",
    "--metrics-enabled=true",
    "--metrics-host=0.0.0.0",
    `--metrics-port=${METRICS_PORT}`,
    "--logging=INFO",
  ];
}
