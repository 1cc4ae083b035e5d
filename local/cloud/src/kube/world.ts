/**
 * All simulated clusters together: starts and removes each cluster's API server as ARM creates and
 * deletes clusters, routes addresses between pods across clusters (LoadBalancer external IPs),
 * and runs HTTP probes against running containers through a loopback server.
 */
import { randomBytes } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { ClusterApiHost, ClusterIdentity, NodePoolShape } from "../cluster-host.js";
import type { SimClock } from "../clock.js";
import type { FaultInjector } from "../faults.js";
import { closeServer, isRecord, listenOnLoopback } from "../http.js";
import type { OperationLog } from "../oplog.js";
import type { ServerCertificate } from "../tls.js";
import { formatIPv4 } from "./addresses.js";
import { KubeApiServer } from "./api-server.js";
import { AuthorizedRanges } from "./authorized-ranges.js";
import { KubeCluster } from "./cluster.js";
import type { ContainerRuntime, PodEndpoint, RunningContainer } from "./container-runtime.js";
import type { PodSource } from "./network-policies.js";
import { CLUSTER_ADMIN, CLUSTER_USER, SecretAuditLog, type SecretAuditEntry } from "./rbac.js";

export interface KubeWorldOptions {
  clock: SimClock;
  certificate: ServerCertificate;
  faults: FaultInjector;
  operationLog: OperationLog;
  runtimes: readonly ContainerRuntime[];
  log: (line: string) => void;
}

interface ClusterEntry {
  cluster: KubeCluster;
  server: KubeApiServer;
  url: string;
  authorizedRanges: AuthorizedRanges;
}

/** 198.18.0.0/15 is reserved for benchmarking: never routed, so never dialed by mistake. */
const externalBase = (198 << 24) | (18 << 16);
const externalSize = 2 ** 17;

const probeHeader = "x-besu-fleet-probe";

export class KubeWorld implements ClusterApiHost {
  private readonly clusters = new Map<string, ClusterEntry>();
  private readonly starting = new Map<string, Promise<string>>();
  /** External IPs in use, with the key of the cluster that allocated each. */
  private readonly externalIPOwners = new Map<string, string>();
  private nextExternal = 1;
  private readonly probeTargets = new Map<string, { container: RunningContainer; port: number }>();
  private readonly probeServer: Server;
  private probePort = 0;
  private readonly secretAudit = new SecretAuditLog();

  constructor(private readonly options: KubeWorldOptions) {
    this.probeServer = createServer((req, res) => {
      const id = String(req.headers[probeHeader] ?? "");
      const target = this.probeTargets.get(id);
      delete req.headers[probeHeader];
      let served = false;
      try {
        served = target !== undefined && target.container.handleHttp(target.port, req, res);
      } catch (error) {
        this.options.log(`probe handler failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!served && !res.headersSent) {
        // Nothing listens on that port: the kubelet sees a refused connection.
        res.writeHead(599, { "x-besu-fleet-not-listening": "1" });
        res.end();
      }
    });
  }

  async start(): Promise<void> {
    this.probePort = await listenOnLoopback(this.probeServer);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.starting.values()]);
    const entries = [...this.clusters.values()];
    this.clusters.clear();
    for (const entry of entries) entry.cluster.close();
    await Promise.all(entries.map((entry) => entry.server.close()));
    await closeServer(this.probeServer);
  }

  // ---- ClusterApiHost -------------------------------------------------------------------------

  startCluster(identity: ClusterIdentity, pools: NodePoolShape[]): Promise<string> {
    const started = this.startClusterNow(identity, pools);
    this.starting.set(identity.key, started);
    void started.finally(() => this.starting.delete(identity.key)).catch(() => undefined);
    return started;
  }

  private async startClusterNow(identity: ClusterIdentity, pools: NodePoolShape[]): Promise<string> {
    const cluster = new KubeCluster(
      {
        key: identity.key,
        subscriptionId: identity.subscriptionId,
        resourceGroup: identity.resourceGroup,
        name: identity.name,
        region: identity.region,
        kubernetesVersion: identity.kubernetesVersion,
      },
      {
        clock: this.options.clock,
        runtimes: this.options.runtimes,
        allocateExternalIP: () => this.allocateExternalIP(identity.key),
        releaseExternalIP: (ip) => this.externalIPOwners.delete(ip),
        resolve: (fromClusterKey, from, host, port) => this.resolve(fromClusterKey, from, host, port),
        probe: (container, port, path, headers) => this.probe(container, port, path, headers),
        recordDelay: (operation, startedAt, simulatedMs) =>
          this.options.operationLog.record({
            time: startedAt.toISOString(),
            target: "lro",
            region: identity.region,
            cluster: identity.key,
            operation,
            status: "Succeeded",
            durationMs: simulatedMs,
            throttled: false,
          }),
        log: this.options.log,
        auditSecretAccess: (entry) => this.secretAudit.record(entry),
      },
    );
    cluster.setNodePools(pools);
    const authorizedRanges = new AuthorizedRanges(identity.authorizedIpRanges);
    const server = new KubeApiServer({
      cluster,
      certificate: this.options.certificate,
      authorizedRanges,
      users: new Map([
        [identity.tokens.user, CLUSTER_USER],
        [identity.tokens.admin, CLUSTER_ADMIN],
      ]),
      faults: this.options.faults,
      operationLog: this.options.operationLog,
      clock: this.options.clock,
      log: this.options.log,
    });
    const url = await server.start();
    this.clusters.set(identity.key, { cluster, server, url, authorizedRanges });
    return url;
  }

  setAuthorizedIpRanges(key: string, ranges: readonly string[]): void {
    this.clusters.get(key)?.authorizedRanges.set(ranges);
  }

  setNodePools(key: string, pools: NodePoolShape[]): void {
    this.clusters.get(key)?.cluster.setNodePools(pools);
  }

  async removeCluster(key: string): Promise<void> {
    await this.starting.get(key)?.catch(() => undefined);
    const entry = this.clusters.get(key);
    if (entry === undefined) return;
    this.clusters.delete(key);
    entry.cluster.close();
    await entry.server.close();
  }

  // ---- views ----------------------------------------------------------------------------------

  /** Every Secret request any cluster's API server (or a pod's token) made, allowed or denied. */
  secretAccess(): SecretAuditEntry[] {
    return this.secretAudit.list();
  }

  cluster(key: string): KubeCluster | undefined {
    return this.clusters.get(key.toLowerCase())?.cluster;
  }

  apiServerUrl(key: string): string | undefined {
    return this.clusters.get(key.toLowerCase())?.url;
  }

  allClusters(): KubeCluster[] {
    return [...this.clusters.values()].map((entry) => entry.cluster);
  }

  // ---- network --------------------------------------------------------------------------------

  private allocateExternalIP(clusterKey: string): string {
    for (let attempt = 0; attempt < externalSize; attempt++) {
      const offset = this.nextExternal;
      this.nextExternal = (this.nextExternal % (externalSize - 2)) + 1;
      const value = externalBase + offset;
      const ip = formatIPv4(value);
      if (!this.externalIPOwners.has(ip)) {
        this.externalIPOwners.set(ip, clusterKey);
        return ip;
      }
    }
    throw new Error("no external IP address left in 198.18.0.0/15");
  }

  /**
   * Where `host:port` leads from a pod in a cluster: that cluster's addresses first (where its
   * NetworkPolicies apply), then any cluster's LoadBalancer IPs.
   */
  resolve(fromClusterKey: string, from: PodSource, host: string, port: number): PodEndpoint[] {
    const local = this.clusters.get(fromClusterKey)?.cluster.resolveLocal(from, host, port);
    if (local !== undefined) return local;
    // Every Besu node dials every peer's LoadBalancer IP on each topology refresh: ask the cluster
    // that allocated the IP first instead of searching all of them (a requested IP is searched for).
    const owner = this.clusters.get(this.externalIPOwners.get(host) ?? "");
    for (const { cluster } of owner === undefined ? this.clusters.values() : [owner, ...this.clusters.values()]) {
      const service = cluster.serviceByExternalIP(host);
      if (service === undefined) continue;
      // A LoadBalancer forwards its port to the Service's target port.
      const ports =
        isRecord(service.spec) && Array.isArray(service.spec.ports) ? service.spec.ports.filter(isRecord) : [];
      if (!ports.some((candidate) => candidate.port === port)) return [];
      return cluster.serviceEndpoints(service, port);
    }
    return [];
  }

  // ---- probes ---------------------------------------------------------------------------------

  probe(
    container: RunningContainer,
    port: number,
    path: string,
    headers: Record<string, string>,
  ): Promise<number | undefined> {
    const id = randomBytes(12).toString("hex");
    this.probeTargets.set(id, { container, port });
    return new Promise<number | undefined>((resolve) => {
      const finish = (status: number | undefined): void => {
        this.probeTargets.delete(id);
        resolve(status);
      };
      const probeRequest = request(
        {
          host: "127.0.0.1",
          port: this.probePort,
          path,
          method: "GET",
          headers: { ...headers, "User-Agent": "kube-probe/1.31", [probeHeader]: id },
          timeout: 2000,
        },
        (response) => {
          response.resume();
          response.on("end", () =>
            finish(response.headers["x-besu-fleet-not-listening"] === "1" ? undefined : response.statusCode),
          );
          response.on("error", () => finish(undefined));
        },
      );
      probeRequest.on("timeout", () => probeRequest.destroy());
      probeRequest.on("error", () => finish(undefined));
      probeRequest.end();
    });
  }
}
