/**
 * What one simulated cluster needs from the world around it (the KubeWorld provides it): the
 * simulated clock, the container runtimes, external IPs for LoadBalancer Services, routes to
 * pods in other clusters, HTTP probes into running containers, the operation log and the audit log of Secret requests.
 */
import type { SimClock } from "../clock.js";
import type { ContainerRuntime, PodEndpoint, RunningContainer } from "./container-runtime.js";
import type { PodSource } from "./network-policies.js";
import type { SecretAuditEntry } from "./rbac.js";

export interface ClusterHost {
  clock: SimClock;
  runtimes: readonly ContainerRuntime[];
  allocateExternalIP(): string;
  releaseExternalIP(ip: string): void;
  /** Where `host:port` leads from a pod (`from`: its namespace, labels and address) of a cluster. */
  resolve(fromClusterKey: string, from: PodSource, host: string, port: number): PodEndpoint[];
  probe(
    container: RunningContainer,
    port: number,
    path: string,
    headers: Record<string, string>,
  ): Promise<number | undefined>;
  /** Records a modelled wait of this cluster in the operation log (simulated milliseconds). */
  recordDelay(operation: string, startedAt: Date, simulatedMs: number): void;
  log(line: string): void;
  /** Records a Secret request (kube/rbac.ts) in the world's audit log. */
  auditSecretAccess(entry: SecretAuditEntry): void;
}
