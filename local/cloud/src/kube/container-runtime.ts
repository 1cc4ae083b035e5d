/**
 * The seam between the simulated Kubernetes API (which owns pods, volumes, Services and probes)
 * and what a container "runs". A container whose image no runtime claims simply runs: it becomes
 * ready after the simulated start delay and serves nothing. The Besu simulation registers a
 * runtime for `hyperledger/besu` images so that a pod spec is interpreted the way Besu would
 * interpret it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Where a pod runs in the simulated world. */
export interface PodLocation {
  subscriptionId: string;
  resourceGroup: string;
  clusterName: string;
  region: string;
  namespace: string;
  podName: string;
  /** The pod's IP inside its cluster (a private, never-dialed address). */
  podIP: string;
}

/** A pod that some address leads to, as the network of the simulated world routes it. */
export interface PodEndpoint {
  location: PodLocation;
  containerName: string;
  /** The container port the connection lands on. */
  port: number;
}

/** What a runtime may ask the simulated cluster while its container runs. */
export interface ContainerEnvironment {
  location: PodLocation;
  /** The pod object as stored by the API server (plain JSON, Kubernetes field names). */
  pod: Readonly<Record<string, unknown>>;
  containerName: string;
  /**
   * Reads a file at an absolute path inside the container, resolved through the container's
   * volumeMounts of ConfigMap, Secret and projected volumes (subPath and items honoured).
   * Returns undefined when no mounted volume provides that path.
   */
  readFile(path: string): string | undefined;
  /**
   * Writes a file into a writable volume of the pod (an `emptyDir` mounted without readOnly),
   * where the pod's other containers see it. False when no such volume holds the path.
   */
  writeFile(path: string, content: string): boolean;
  /**
   * The cluster's API as the pod's service account, as a client inside the pod reaches it with
   * the mounted token; undefined when the pod mounts no token (`automountServiceAccountToken`).
   */
  inClusterApi: InClusterApi | undefined;
  /** Environment variables after resolving `env` (value, valueFrom configMapKeyRef/secretKeyRef/fieldRef) and `envFrom`. */
  env: Readonly<Record<string, string>>;
  /** command + args as the kubelet would exec them. */
  argv: readonly string[];
  /**
   * Resolves a host (IP or DNS name) and port, as seen from this pod, to the pods it reaches:
   * same-cluster pod IPs, Service cluster IPs and DNS names (`svc`, `svc.ns`, `svc.ns.svc.cluster.local`),
   * headless-service pod DNS names, and LoadBalancer external IPs (which route to the Service's
   * ready-or-not endpoints in whichever cluster owns them). Anything else reaches nothing.
   */
  resolve(host: string, port: number): PodEndpoint[];
  /** Appends a line to the container log (served by the pods/log subresource). Never log secrets. */
  log(line: string): void;
  /** Simulated time runs this many times faster than wall time. */
  timeScale: number;
}

/** An answer of the API server: its status code and body (the object, or a `Status`). */
export interface ApiAnswer {
  status: number;
  body: Readonly<Record<string, unknown>>;
}

/** The requests an in-cluster client of the simulator can make. */
export interface InClusterApi {
  /** The namespace of the pod's service account (its token's `namespace` file). */
  namespace: string;
  /** Creates an object of the core API group (`secrets`, `configmaps`) in a namespace. */
  create(plural: string, namespace: string, body: Record<string, unknown>): ApiAnswer;
}

/** A running container instance; one per container start (a restart makes a new one). */
export interface RunningContainer {
  /**
   * Serves an HTTP request arriving on one of the container's ports (service proxy, probes).
   * Return false when nothing listens on that port (the caller answers as Kubernetes would).
   */
  handleHttp(port: number, req: IncomingMessage, res: ServerResponse): boolean;
  /** Called when the container stops (pod deleted, restarted, cluster deleted). */
  stop(): void;
}

export type ContainerStart =
  | { started: true; container: RunningContainer }
  /**
   * The process exits at once. Exit code 0 is a run-to-completion container that did its work
   * (an init container, a Job's container); any other code is a failure, after which the kubelet
   * restarts it with back-off (CrashLoopBackOff) as the pod's restartPolicy says.
   */
  | { started: false; exitCode: number; reason: string; message: string };

export interface ContainerRuntime {
  /** True when this runtime runs containers of that image (e.g. `hyperledger/besu:24.12.2`). */
  claims(image: string): boolean;
  start(environment: ContainerEnvironment): ContainerStart;
}
