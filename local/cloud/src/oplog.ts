/**
 * The operation log: one entry per request served (ARM, Kubernetes API, Key Vault or a simulated
 * chain's JSON-RPC endpoint), per long-running
 * operation finished and per modelled wait of a cluster that ended (a LoadBalancer IP assigned, a
 * pod started, a pod Ready). Benchmarks and tests read it through `GET /_sim/operations`.
 */
export interface OperationLogEntry {
  /** Increasing sequence number; pass `since=<seq>` to read only newer entries. */
  seq: number;
  /** ISO time the request arrived or the operation started. */
  time: string;
  target: "arm" | "kube" | "keyvault" | "evm" | "lro" | "drift";
  /** The region, or for `evm` the chain (`chain138`, `mainnet`). */
  region?: string;
  /** `<subscription>/<resourceGroup>/<cluster>` for cluster-scoped entries. */
  cluster?: string;
  /** e.g. `managedClusters.createOrUpdate`, `GET configmaps`, `agentPools.scale`. */
  operation: string;
  /** HTTP status, or the final state of a long-running operation (`Succeeded`, `Failed`). */
  status: number | string;
  /** Wall-clock milliseconds for requests; simulated milliseconds for long-running operations and modelled waits. */
  durationMs: number;
  throttled: boolean;
  /** The injected fault that shaped this answer, if any. */
  fault?: string;
}

const maxEntries = 100_000;

export class OperationLog {
  private readonly entries: OperationLogEntry[] = [];
  private nextSeq = 1;

  record(entry: Omit<OperationLogEntry, "seq">): void {
    this.entries.push({ seq: this.nextSeq++, ...entry });
    // A long demo must not grow memory without bound; the oldest entries go first.
    if (this.entries.length > maxEntries) this.entries.splice(0, this.entries.length - maxEntries);
  }

  since(seq: number): OperationLogEntry[] {
    return this.entries.filter((entry) => entry.seq > seq);
  }
}
