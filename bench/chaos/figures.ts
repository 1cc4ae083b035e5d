/**
 * What one chaos run did to the cloud, from the simulator's own records: its operation log (read
 * as the run goes, so that the log's size limit never drops an entry), the addresses its Besu
 * nodes report, and the node key Secrets in its clusters at the end. The figures are the
 * targets of the suite: no cluster created twice, no node key generated twice; and the load the
 * faults added: ARM writes, and how many requests the faults hit.
 *
 * The example spec has one cluster per region, so the figures are counted per region (ARM's log
 * entries name the region a request is about, not the cluster).
 */
import { z } from "zod";
import type { OperationLogEntry } from "@besu-fleet/local-cloud";
import type { BenchStack } from "../stack.js";

export interface RunFigures {
  /** Cluster creates beyond the first, per region. */
  duplicateClusters: number;
  /** Node keys generated more than once, per region (see `regeneratedKeys`). */
  regeneratedKeys: number;
  /** Requests in ARM's write and delete classes, answered or not. */
  armWrites: number;
  /** Requests an injected fault answered (ARM and Kubernetes). */
  faultedRequests: number;
  /** Which regions the first two figures come from, for the report. */
  findings: string[];
}

/**
 * ARM's write and delete classes (its throttling buckets). Served requests are logged by the
 * simulator with their operation name; refused ones (throttled or faulted before routing) with
 * method and path.
 */
const ARM_WRITE = /^(PUT|POST|PATCH|DELETE) |\.(createOrUpdate|delete|listCluster(User|Admin)Credential)$/;
const CLUSTER_CREATE = (entry: OperationLogEntry): boolean =>
  entry.target === "arm" && entry.operation === "managedClusters.createOrUpdate" && entry.status === 201;
/**
 * Secrets are created only by the key Jobs' kubectl inside the clusters (lib/domain/manifests/
 * node-keys.ts), which the simulator's audit log of Secret requests shows (an allowed `create`).
 */
const secretAccessSchema = z.object({
  entries: z.array(z.object({ region: z.string(), verb: z.string(), allowed: z.boolean() }).loose()),
});

const besuNodesSchema = z.array(
  z.object({ region: z.string(), cluster: z.string(), pod: z.string(), address: z.string() }).loose(),
);
const stateSchema = z.object({
  clusters: z.array(z.object({ name: z.string(), resourceGroup: z.string(), region: z.string() }).loose()),
});
const secretsSchema = z.object({
  items: z.array(z.object({ data: z.record(z.string(), z.string()).optional() }).loose()),
});

export class RunRecorder {
  private readonly entries: OperationLogEntry[] = [];
  /**
   * Per Besu node (region/cluster/pod), every address it reported. NOTE: sentries too, and not
   * only nodes the simulator calls validators: a validator whose key changed is no longer in the
   * validator set, so it would drop out of a list of validators just when it matters.
   */
  private readonly addresses = new Map<string, Set<string>>();

  constructor(private readonly stack: BenchStack) {}

  /** Reads the log entries since the last sample and the Besu nodes' current addresses. */
  async sample(): Promise<void> {
    const entries = await this.stack.operations(this.entries.at(-1)?.seq ?? 0);
    this.entries.push(...entries);
    const nodes = besuNodesSchema.parse((await this.stack.control("GET", "besu/nodes")).body);
    for (const node of nodes) {
      const key = `${node.region}/${node.cluster}/${node.pod}`;
      this.addresses.set(key, (this.addresses.get(key) ?? new Set()).add(node.address));
    }
  }

  async figures(): Promise<RunFigures> {
    await this.sample();
    const findings: string[] = [];
    let duplicateClusters = 0;
    for (const [region, creates] of countByRegion(this.entries.filter(CLUSTER_CREATE))) {
      if (creates <= 1) continue;
      duplicateClusters += creates - 1;
      findings.push(`${region}: ${creates} cluster creates`);
    }
    let regeneratedKeys = 0;
    const keysNow = await this.nodeKeySecretsByRegion();
    const keyCreates = await this.keySecretCreatesByRegion();
    for (const region of new Set([...keyCreates.keys(), ...this.addressRegions()])) {
      const recreatedSecrets = Math.max(0, (keyCreates.get(region) ?? 0) - (keysNow.get(region) ?? 0));
      const changedAddresses = [...this.addresses]
        .filter(([node]) => node.startsWith(`${region}/`))
        .reduce((sum, [, seen]) => sum + seen.size - 1, 0);
      // The same regenerated key shows in both when its node ran before and after: count it once.
      const regenerated = Math.max(recreatedSecrets, changedAddresses);
      if (regenerated === 0) continue;
      regeneratedKeys += regenerated;
      findings.push(
        `${region}: ${keyCreates.get(region) ?? 0} node key Secrets created for ${keysNow.get(region) ?? 0} existing, ${changedAddresses} node address change(s)`,
      );
    }
    return {
      duplicateClusters,
      regeneratedKeys,
      armWrites: this.entries.filter((entry) => entry.target === "arm" && ARM_WRITE.test(entry.operation)).length,
      faultedRequests: this.entries.filter((entry) => entry.fault !== undefined).length,
      findings,
    };
  }

  private addressRegions(): string[] {
    return [...this.addresses.keys()].map((node) => node.split("/")[0] ?? "");
  }

  /** Secret creates the audit log allowed, per region. */
  private async keySecretCreatesByRegion(): Promise<Map<string, number>> {
    const { entries } = secretAccessSchema.parse((await this.stack.control("GET", "kube/secret-access")).body);
    const counts = new Map<string, number>();
    for (const entry of entries.filter((candidate) => candidate.verb === "create" && candidate.allowed))
      counts.set(entry.region, (counts.get(entry.region) ?? 0) + 1);
    return counts;
  }

  /** Node key Secrets (those holding a `nodekey` entry) that exist now, per region. */
  private async nodeKeySecretsByRegion(): Promise<Map<string, number>> {
    const clusters = stateSchema.parse((await this.stack.control("GET", "state")).body).clusters;
    const counts = new Map<string, number>();
    for (const cluster of clusters) {
      const secrets = secretsSchema.parse(
        (await this.stack.control("GET", `clusters/${cluster.resourceGroup}/${cluster.name}/objects/secrets`)).body,
      );
      const keys = secrets.items.filter((secret) => secret.data?.nodekey !== undefined).length;
      counts.set(cluster.region, (counts.get(cluster.region) ?? 0) + keys);
    }
    return counts;
  }
}

function countByRegion(entries: readonly OperationLogEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of entries) counts.set(entry.region ?? "?", (counts.get(entry.region ?? "?") ?? 0) + 1);
  return counts;
}
