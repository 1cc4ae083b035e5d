/**
 * A minimal stand-in for the simulated Kubernetes side of the container-runtime seam: pods with
 * mounted files, env and argv; Services reachable by DNS name or cluster IP inside their cluster;
 * LoadBalancer IPs reachable from everywhere. Used to drive the Besu runtime without an API server.
 */
import { createHash } from "node:crypto";
import {
  encodeQbftExtraData,
  enodeUrl,
  nodeIdentityFromPrivateKey,
  QBFT_MIX_HASH,
  type NodeIdentity,
} from "@besu-fleet/qbft";
import type {
  ContainerEnvironment,
  ContainerRuntime,
  PodEndpoint,
  PodLocation,
  RunningContainer,
} from "../../src/kube/container-runtime.js";

export interface FakePodSpec {
  cluster: string;
  region: string;
  name: string;
  image?: string;
  files: Record<string, string>;
  argv: string[];
  env?: Record<string, string>;
  /** A Service selecting only this pod: reachable as `<name>` / its cluster IP inside the cluster. */
  serviceName?: string;
  /** A LoadBalancer IP routing to this pod from anywhere. */
  loadBalancerIP?: string;
}

interface FakePod {
  spec: FakePodSpec;
  location: PodLocation;
  serviceIP: string;
  container: RunningContainer | undefined;
  lastStart: { reason?: string; message?: string; started: boolean };
  logs: string[];
}

export class FakeClusters {
  private readonly pods = new Map<string, FakePod>();
  private nextIp = 10;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly timeScale: number,
  ) {}

  /** Adds and starts a pod. */
  add(spec: FakePodSpec): FakePod {
    const octet = this.nextIp++;
    const pod: FakePod = {
      spec,
      location: {
        subscriptionId: "sub",
        resourceGroup: `rg-${spec.region}`,
        clusterName: spec.cluster,
        region: spec.region,
        namespace: "besu",
        podName: spec.name,
        podIP: `10.244.0.${octet}`,
      },
      serviceIP: `10.0.0.${octet}`,
      container: undefined,
      lastStart: { started: false },
      logs: [],
    };
    this.pods.set(spec.name, pod);
    this.start(pod);
    return pod;
  }

  private environment(pod: FakePod): ContainerEnvironment {
    return {
      location: pod.location,
      pod: {
        metadata: { name: pod.spec.name },
        spec: { containers: [{ name: "besu", image: pod.spec.image ?? "hyperledger/besu:24.12.2" }] },
      },
      containerName: "besu",
      readFile: (path) => pod.spec.files[path],
      writeFile: () => false,
      inClusterApi: undefined,
      env: pod.spec.env ?? {},
      argv: pod.spec.argv,
      resolve: (host, port) => this.resolve(pod, host, port),
      log: (line) => pod.logs.push(line),
      timeScale: this.timeScale,
    };
  }

  private resolve(from: FakePod, host: string, port: number): PodEndpoint[] {
    const endpoint = (pod: FakePod): PodEndpoint[] => [{ location: pod.location, containerName: "besu", port }];
    for (const pod of this.pods.values()) {
      if (pod.spec.loadBalancerIP === host) return endpoint(pod);
      if (pod.location.clusterName !== from.location.clusterName) continue;
      if (pod.location.podIP === host) return endpoint(pod);
      const service = pod.spec.serviceName;
      if (
        service !== undefined &&
        (host === pod.serviceIP ||
          host === service ||
          host === `${service}.besu` ||
          host === `${service}.besu.svc.cluster.local`)
      )
        return endpoint(pod);
    }
    return [];
  }

  private start(pod: FakePod): void {
    const result = this.runtime.start(this.environment(pod));
    if (result.started) {
      pod.container = result.container;
      pod.lastStart = { started: true };
    } else {
      pod.container = undefined;
      pod.lastStart = { started: false, reason: result.reason, message: result.message };
    }
  }

  get(name: string): FakePod {
    const pod = this.pods.get(name);
    if (pod === undefined) throw new Error(`no pod ${name}`);
    return pod;
  }

  /** Stops a pod's container (as a deleted pod). */
  stop(name: string): void {
    const pod = this.get(name);
    pod.container?.stop();
    pod.container = undefined;
  }

  /** Starts a stopped pod again with the same spec (as the StatefulSet recreating it). */
  restart(name: string): void {
    this.stop(name);
    this.start(this.get(name));
  }

  stopAll(): void {
    for (const name of this.pods.keys()) this.stop(name);
  }
}

/** A deterministic development key (never a real network's). */
export function testKey(label: string): string {
  return `0x${createHash("sha256").update(`besu-fleet test key ${label}`).digest("hex")}`;
}

/** A QBFT genesis for these validators. */
export function qbftGenesis(
  validators: readonly NodeIdentity[],
  overrides: {
    blockPeriodSeconds?: number;
    requestTimeoutSeconds?: number;
    timestamp?: string;
    alloc?: Record<string, { balance: string }>;
  } = {},
): string {
  return JSON.stringify(
    {
      config: {
        chainId: 138,
        berlinBlock: 0,
        londonBlock: 0,
        shanghaiTime: 0,
        zeroBaseFee: true,
        qbft: {
          blockperiodseconds: overrides.blockPeriodSeconds ?? 2,
          epochlength: 30000,
          requesttimeoutseconds: overrides.requestTimeoutSeconds ?? 4,
        },
      },
      nonce: "0x0",
      timestamp: overrides.timestamp ?? "0x0",
      gasLimit: "0x1fffffffffffff",
      difficulty: "0x1",
      mixHash: QBFT_MIX_HASH,
      coinbase: "0x0000000000000000000000000000000000000000",
      alloc: overrides.alloc ?? {},
      extraData: encodeQbftExtraData(validators.map((identity) => identity.address).sort()),
    },
    null,
    2,
  );
}

/** Identity plus enode URL at a host. */
export function nodeAt(label: string, host: string): { key: string; identity: NodeIdentity; enode: string } {
  const key = testKey(label);
  const identity = nodeIdentityFromPrivateKey(key);
  return { key, identity, enode: enodeUrl(identity.publicKey, host, 30303) };
}

/** argv of a validator as Besu's Kubernetes examples write it: a shell script that execs besu. */
export function besuArgv(extra: string[] = []): string[] {
  const flags = [
    "--data-path=/data",
    "--genesis-file=/etc/genesis/genesis.json",
    "--node-private-key-file=/secrets/key",
    "--static-nodes-file=/config/static-nodes.json",
    "--rpc-http-enabled",
    "--rpc-http-api=ETH,NET,WEB3,QBFT,ADMIN",
    '--host-allowlist="*"',
    "--p2p-port=30303",
    "--discovery-enabled=false",
    ...extra,
  ];
  return ["/bin/sh", "-c", `exec /opt/besu/bin/besu \\\n  ${flags.join(" \\\n  ")}`];
}
