/**
 * Node keys live only in the cluster, as Secrets created there once. The control plane reads a
 * key back only to derive the node's public identity; a key that exists is never replaced.
 */
import { NODE_KEY_SECRET_ENTRY } from "../domain/plan.js";
import { ClassifiedError } from "../errors.js";
import { secp256k1 } from "@besu-fleet/qbft";
import { toHex } from "@besu-fleet/qbft";
import { nodeIdentityFromPrivateKey, type NodeIdentity } from "@besu-fleet/qbft";
import type { KubeCluster } from "./cluster.js";

/**
 * The node's identity from its key Secret, creating the Secret with a fresh secp256k1 key only
 * when it does not exist. If two callers race, the loser reads the winner's key back.
 */
export async function ensureNodeKey(
  cluster: KubeCluster,
  namespace: string,
  secretName: string,
  labels: Record<string, string>,
): Promise<NodeIdentity> {
  let key = await cluster.readSecretEntry(namespace, secretName, NODE_KEY_SECRET_ENTRY);
  if (key === undefined) {
    await cluster.createSecretIfAbsent(
      namespace,
      secretName,
      { [NODE_KEY_SECRET_ENTRY]: toHex(secp256k1.utils.randomSecretKey()) },
      labels,
    );
    key = await cluster.readSecretEntry(namespace, secretName, NODE_KEY_SECRET_ENTRY);
  }
  // NOTE: a Secret without a valid key (edited by hand) is an operator problem; we never overwrite
  // it, and the message must not echo what the Secret holds (parse errors quote their input).
  const invalid = (problem: string) =>
    new ClassifiedError(`read node key ${namespace}/${secretName}`, {
      retryable: false,
      kind: "invalid",
      code: "InvalidNodeKey",
      message: problem,
    });
  if (key === undefined) throw invalid(`the Secret exists without a ${NODE_KEY_SECRET_ENTRY} entry`);
  try {
    return nodeIdentityFromPrivateKey(key);
  } catch {
    throw invalid(`the ${NODE_KEY_SECRET_ENTRY} entry is not a valid secp256k1 private key`);
  }
}
