/** What one Besu node says about itself, gathered for network verification. */
import type { NodeSelfReport } from "../domain/verification";
import { BesuRpc, JsonRpcError } from "./rpc";

/** Methods whose group a node may legitimately not serve (sentries have no ADMIN). */
function notServed(error: unknown): boolean {
  return error instanceof JsonRpcError && (error.code === -32604 || error.code === -32601);
}

/**
 * Asks one node everything verification checks. A node that does not answer its first call is
 * unreachable; later failures are reported in `error` without hiding what did answer.
 */
export async function observeNode(rpc: BesuRpc, readiness: () => Promise<boolean>): Promise<NodeSelfReport> {
  let chainId: string;
  try {
    chainId = await rpc.chainId();
  } catch (error) {
    return { reachable: false, error: error instanceof Error ? error.message : String(error) };
  }
  const report: NodeSelfReport = { reachable: true, chainId };
  const problems: string[] = [];
  const ask = async <K extends keyof NodeSelfReport>(field: K, question: () => Promise<NodeSelfReport[K]>): Promise<void> => {
    try {
      report[field] = await question();
    } catch (error) {
      if (!notServed(error)) problems.push(`${String(field)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  await Promise.all([
    ask("genesisHash", () => rpc.genesisHash()),
    ask("blockNumber", async () => {
      const head = await rpc.blockNumber();
      report.blockNumberAt = new Date().toISOString();
      return head;
    }),
    ask("syncing", () => rpc.syncing()),
    ask("peerCount", () => rpc.peerCount()),
    ask("peerPublicKeys", () => rpc.peerPublicKeys()),
    ask("validatorsLatest", () => rpc.validators("latest")),
    ask("validatorsPending", () => rpc.validators("pending")),
    ask("clientVersion", () => rpc.clientVersion()),
    ask("ready", readiness),
  ]);
  if (problems.length > 0) report.error = problems.join("; ");
  return report;
}
