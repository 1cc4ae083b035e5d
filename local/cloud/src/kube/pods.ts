/**
 * What the kubelet does for one pod: mounts, environment, container starts through the runtimes,
 * restarts with back-off (CrashLoopBackOff), readiness and liveness probes, and the pod's status.
 */
import { isRecord } from "../http.js";
import type { SimClock } from "../clock.js";
import type { ContainerEnvironment, ContainerRuntime, PodEndpoint, PodLocation, RunningContainer } from "./container-runtime.js";
import type { KubeObject } from "./fields.js";

const second = 1000;
/** Scheduling, image pull and sandbox creation before the first container start. */
const podStartDelay: readonly [number, number] = [2 * second, 6 * second];
const maxBackOff = 300 * second;
const maxLogLines = 2000;

/** What the pod needs from its cluster. */
export interface PodHost {
  clock: SimClock;
  runtimes: readonly ContainerRuntime[];
  getObject(plural: "configmaps" | "secrets", namespace: string, name: string): KubeObject | undefined;
  resolve(fromNamespace: string, host: string, port: number): PodEndpoint[];
  /** Reads the stored pod (undefined once deleted). */
  currentPod(): KubeObject | undefined;
  /** Writes the pod's status (the cluster bumps resourceVersion when it changed). */
  writeStatus(status: KubeObject): void;
  /** Sends an HTTP GET to a running container's port; resolves the status code, or undefined if nothing listens. */
  probe(container: RunningContainer, port: number, path: string, headers: Record<string, string>): Promise<number | undefined>;
  /** Records a modelled wait in the operation log (simulated milliseconds). */
  recordDelay(operation: string, startedAt: Date, simulatedMs: number): void;
  log(line: string): void;
}

interface ContainerState {
  name: string;
  image: string;
  running?: RunningContainer;
  /** A runtime claimed the image: probes are real; otherwise the container serves nothing and is ready once started. */
  claimed: boolean;
  ready: boolean;
  started: boolean;
  restartCount: number;
  startedAt?: string;
  waiting?: { reason: string; message?: string };
  lastTerminated?: { exitCode: number; reason: string; message?: string; startedAt?: string; finishedAt: string };
  probeFailures: { readiness: number; liveness: number };
  cancelTimers: (() => void)[];
}

class PodConfigError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function asList(value: unknown): KubeObject[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function decodeSecretValue(value: unknown): string {
  return Buffer.from(String(value), "base64").toString("utf8");
}

/** Files of a ConfigMap or Secret volume source: key → relative path (items honoured). */
function sourceFiles(host: PodHost, namespace: string, source: KubeObject, secret: boolean): Map<string, string> | undefined {
  const name = String(secret ? source.secretName ?? source.name : source.name);
  const object = host.getObject(secret ? "secrets" : "configmaps", namespace, name);
  const files = new Map<string, string>();
  if (object === undefined) {
    if (source.optional === true) return files;
    return undefined;
  }
  const values = new Map<string, string>();
  if (secret) for (const [key, value] of Object.entries(isRecord(object.data) ? object.data : {})) values.set(key, decodeSecretValue(value));
  else {
    for (const [key, value] of Object.entries(isRecord(object.data) ? object.data : {})) values.set(key, String(value));
    for (const [key, value] of Object.entries(isRecord(object.binaryData) ? object.binaryData : {})) values.set(key, decodeSecretValue(value));
  }
  const items = asList(source.items);
  if (items.length === 0) for (const [key, value] of values) files.set(key, value);
  else
    for (const item of items) {
      const value = values.get(String(item.key));
      if (value !== undefined) files.set(String(item.path ?? item.key), value);
    }
  return files;
}

export class PodLifecycle {
  private readonly containers: ContainerState[];
  private readonly logs = new Map<string, string[]>();
  private phase: "Pending" | "Running" | "Failed" = "Pending";
  private podIP?: string;
  private startTime?: string;
  private stopped = false;
  private readonly cancelStart: () => void;
  private readonly createdAt = new Date();
  /** The first Ready is logged once: later flaps are faults, not the pod's start-up. */
  private readyLogged = false;

  constructor(
    private readonly host: PodHost,
    private readonly location: Omit<PodLocation, "podIP">,
    private readonly allocatePodIP: () => string,
    private readonly nodeName: string | undefined,
  ) {
    const pod = host.currentPod() ?? {};
    const spec = isRecord(pod.spec) ? pod.spec : {};
    this.containers = asList(spec.containers).map((container) => ({
      name: String(container.name),
      image: String(container.image),
      claimed: false,
      ready: false,
      started: false,
      restartCount: 0,
      probeFailures: { readiness: 0, liveness: 0 },
      cancelTimers: [],
    }));
    for (const container of this.containers) container.waiting = { reason: "ContainerCreating" };
    this.publish();
    if (nodeName === undefined) {
      this.cancelStart = () => undefined;
      return;
    }
    const delay = podStartDelay[0] + Math.random() * (podStartDelay[1] - podStartDelay[0]);
    this.cancelStart = host.clock.after(delay, () => {
      host.recordDelay("pods.start", this.createdAt, delay);
      this.podIP = this.allocatePodIP();
      this.startTime = new Date().toISOString();
      this.phase = "Running";
      for (const container of this.containers) this.startContainer(container);
    });
  }

  get ip(): string | undefined {
    return this.podIP;
  }

  /** Running container instances by name. */
  running(): Map<string, RunningContainer> {
    const map = new Map<string, RunningContainer>();
    for (const container of this.containers) if (container.running !== undefined) map.set(container.name, container.running);
    return map;
  }

  isReady(): boolean {
    return this.phase === "Running" && this.containers.length > 0 && this.containers.every((container) => container.ready);
  }

  logLines(containerName: string): string[] {
    return this.logs.get(containerName) ?? [];
  }

  /** The containers die (drift or liveness): the kubelet restarts them. */
  killContainers(reason = "Error", exitCode = 137): void {
    for (const container of this.containers) if (container.running !== undefined) this.terminate(container, exitCode, reason, "killed", true);
  }

  /** The pod goes away: containers stop for good. */
  stop(): void {
    this.stopped = true;
    this.cancelStart();
    for (const container of this.containers) {
      for (const cancel of container.cancelTimers) cancel();
      container.cancelTimers = [];
      if (container.running !== undefined) {
        const running = container.running;
        container.running = undefined;
        this.safely(() => running.stop());
      }
    }
  }

  private safely(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.host.log(`pod ${this.location.namespace}/${this.location.podName}: runtime error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private appendLog(containerName: string, line: string): void {
    const lines = this.logs.get(containerName) ?? [];
    lines.push(line);
    if (lines.length > maxLogLines) lines.splice(0, lines.length - maxLogLines);
    this.logs.set(containerName, lines);
  }

  private containerSpec(name: string): KubeObject | undefined {
    const pod = this.host.currentPod();
    const spec = isRecord(pod?.spec) ? pod.spec : {};
    return asList(spec.containers).find((container) => container.name === name);
  }

  private environment(container: ContainerState, pod: KubeObject, spec: KubeObject): ContainerEnvironment {
    const namespace = this.location.namespace;
    const podSpec = isRecord(pod.spec) ? pod.spec : {};
    const volumes = new Map(asList(podSpec.volumes).map((volume) => [String(volume.name), volume]));
    const mounts = asList(spec.volumeMounts);
    // Fail the start the way the kubelet does when a mounted ConfigMap/Secret is missing.
    for (const mount of mounts) {
      const volume = volumes.get(String(mount.name));
      if (volume === undefined) continue;
      if (this.volumeFiles(volume) === undefined) throw new PodConfigError("ContainerCreating", `MountVolume.SetUp failed for volume "${String(mount.name)}": the ConfigMap or Secret it refers to was not found`);
    }
    const env = this.resolveEnv(spec, pod);
    const expand = (text: string): string => text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
    const argv = [...(Array.isArray(spec.command) ? spec.command : []), ...(Array.isArray(spec.args) ? spec.args : [])].map((part) => expand(String(part)));
    const location: PodLocation = { ...this.location, podIP: this.podIP ?? "" };
    return {
      location,
      pod: structuredClone(pod),
      containerName: container.name,
      env,
      argv,
      timeScale: this.host.clock.timeScale,
      readFile: (path) => this.readFile(path, mounts, volumes),
      resolve: (host, port) => this.host.resolve(namespace, host, port),
      log: (line) => this.appendLog(container.name, line),
    };
  }

  private volumeFiles(volume: KubeObject): Map<string, string> | undefined {
    const namespace = this.location.namespace;
    if (isRecord(volume.configMap)) return sourceFiles(this.host, namespace, volume.configMap, false);
    if (isRecord(volume.secret)) return sourceFiles(this.host, namespace, volume.secret, true);
    if (isRecord(volume.projected)) {
      const files = new Map<string, string>();
      for (const source of asList(volume.projected.sources)) {
        const part = isRecord(source.configMap) ? sourceFiles(this.host, namespace, source.configMap, false) : isRecord(source.secret) ? sourceFiles(this.host, namespace, source.secret, true) : new Map<string, string>();
        if (part === undefined) return undefined;
        for (const [path, value] of part) files.set(path, value);
      }
      return files;
    }
    // emptyDir, persistentVolumeClaim and the like hold no files the simulator knows of.
    return new Map();
  }

  private readFile(path: string, mounts: KubeObject[], volumes: Map<string, KubeObject>): string | undefined {
    const ordered = [...mounts].sort((left, right) => String(right.mountPath).length - String(left.mountPath).length);
    for (const mount of ordered) {
      const mountPath = String(mount.mountPath).replace(/\/+$/, "");
      const volume = volumes.get(String(mount.name));
      if (volume === undefined) continue;
      const subPath = typeof mount.subPath === "string" && mount.subPath !== "" ? mount.subPath : undefined;
      let relative: string | undefined;
      if (subPath !== undefined) {
        if (path === mountPath) relative = subPath;
        else if (path.startsWith(`${mountPath}/`)) relative = `${subPath}/${path.slice(mountPath.length + 1)}`;
      } else if (path.startsWith(`${mountPath}/`)) relative = path.slice(mountPath.length + 1);
      if (relative === undefined) continue;
      const value = this.volumeFiles(volume)?.get(relative);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  private resolveEnv(spec: KubeObject, pod: KubeObject): Record<string, string> {
    const namespace = this.location.namespace;
    const env: Record<string, string> = {};
    const lookup = (plural: "configmaps" | "secrets", ref: KubeObject): string | undefined => {
      const object = this.host.getObject(plural, namespace, String(ref.name));
      const data = isRecord(object?.data) ? object.data : undefined;
      const raw = data?.[String(ref.key)];
      if (object === undefined || raw === undefined) {
        if (ref.optional === true) return undefined;
        const what = plural === "configmaps" ? "configmap" : "secret";
        throw new PodConfigError("CreateContainerConfigError", object === undefined ? `${what} "${String(ref.name)}" not found` : `couldn't find key ${String(ref.key)} in ${what} ${namespace}/${String(ref.name)}`);
      }
      return plural === "secrets" ? decodeSecretValue(raw) : String(raw);
    };
    for (const source of asList(spec.envFrom)) {
      const prefix = typeof source.prefix === "string" ? source.prefix : "";
      const ref = isRecord(source.configMapRef) ? { plural: "configmaps" as const, ref: source.configMapRef } : isRecord(source.secretRef) ? { plural: "secrets" as const, ref: source.secretRef } : undefined;
      if (ref === undefined) continue;
      const object = this.host.getObject(ref.plural, namespace, String(ref.ref.name));
      if (object === undefined) {
        if (ref.ref.optional === true) continue;
        throw new PodConfigError("CreateContainerConfigError", `${ref.plural === "configmaps" ? "configmap" : "secret"} "${String(ref.ref.name)}" not found`);
      }
      for (const [key, value] of Object.entries(isRecord(object.data) ? object.data : {})) env[`${prefix}${key}`] = ref.plural === "secrets" ? decodeSecretValue(value) : String(value);
    }
    const metadata = isRecord(pod.metadata) ? pod.metadata : {};
    const podSpec = isRecord(pod.spec) ? pod.spec : {};
    for (const variable of asList(spec.env)) {
      const name = String(variable.name);
      if (typeof variable.value === "string") {
        env[name] = variable.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, inner: string) => env[inner] ?? whole);
        continue;
      }
      const from = isRecord(variable.valueFrom) ? variable.valueFrom : undefined;
      if (from === undefined) {
        env[name] = "";
        continue;
      }
      let value: string | undefined;
      if (isRecord(from.configMapKeyRef)) value = lookup("configmaps", from.configMapKeyRef);
      else if (isRecord(from.secretKeyRef)) value = lookup("secrets", from.secretKeyRef);
      else if (isRecord(from.fieldRef)) {
        const fieldPath = String(from.fieldRef.fieldPath);
        const labelMatch = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
        if (labelMatch !== null) {
          const map = metadata[labelMatch[1] ?? ""];
          value = isRecord(map) ? String(map[labelMatch[2] ?? ""] ?? "") : "";
        } else {
          const fields: Record<string, string | undefined> = {
            "metadata.name": String(metadata.name),
            "metadata.namespace": namespace,
            "metadata.uid": String(metadata.uid),
            "spec.nodeName": typeof podSpec.nodeName === "string" ? podSpec.nodeName : undefined,
            "spec.serviceAccountName": typeof podSpec.serviceAccountName === "string" ? podSpec.serviceAccountName : "default",
            "status.podIP": this.podIP,
            "status.hostIP": this.podIP === undefined ? undefined : "10.224.0.4",
          };
          value = fields[fieldPath];
        }
      }
      if (value !== undefined) env[name] = value;
    }
    return env;
  }

  private runtimeFor(image: string): ContainerRuntime | undefined {
    return this.host.runtimes.find((runtime) => {
      try {
        return runtime.claims(image);
      } catch {
        return false;
      }
    });
  }

  private startContainer(container: ContainerState): void {
    if (this.stopped) return;
    const pod = this.host.currentPod();
    const spec = this.containerSpec(container.name);
    if (pod === undefined || spec === undefined) return;
    const runtime = this.runtimeFor(container.image);
    container.claimed = runtime !== undefined;
    let environment: ContainerEnvironment;
    try {
      environment = this.environment(container, pod, spec);
    } catch (error) {
      if (!(error instanceof PodConfigError)) throw error;
      // The kubelet keeps retrying until the referenced object appears.
      container.waiting = { reason: error.reason, message: error.message };
      this.publish();
      container.cancelTimers.push(this.host.clock.after(10 * second, () => this.startContainer(container)));
      return;
    }
    const startedAt = new Date().toISOString();
    let outcome: ReturnType<ContainerRuntime["start"]>;
    try {
      outcome = runtime === undefined ? { started: true, container: { handleHttp: () => false, stop: () => undefined } } : runtime.start(environment);
    } catch (error) {
      outcome = { started: false, exitCode: 1, reason: "Error", message: error instanceof Error ? error.message : String(error) };
    }
    if (!outcome.started) {
      container.lastTerminated = { exitCode: outcome.exitCode, reason: outcome.reason, message: outcome.message, startedAt, finishedAt: new Date().toISOString() };
      this.appendLog(container.name, outcome.message);
      this.scheduleRestart(container);
      return;
    }
    container.running = outcome.container;
    container.started = true;
    container.startedAt = startedAt;
    container.waiting = undefined;
    container.probeFailures = { readiness: 0, liveness: 0 };
    const readinessProbe = isRecord(spec.readinessProbe) ? spec.readinessProbe : undefined;
    container.ready = !container.claimed || readinessProbe === undefined;
    this.publish();
    if (container.claimed) this.scheduleProbes(container, spec);
  }

  /** CrashLoopBackOff: the next start waits 10 s, doubling up to 5 minutes. */
  private scheduleRestart(container: ContainerState): void {
    const backOff = Math.min(maxBackOff, 10 * second * 2 ** Math.min(container.restartCount, 10));
    container.restartCount += 1;
    container.waiting = { reason: "CrashLoopBackOff", message: `back-off ${Math.round(backOff / second)}s restarting failed container=${container.name} pod=${this.location.podName}` };
    this.publish();
    container.cancelTimers.push(this.host.clock.after(backOff, () => this.startContainer(container)));
  }

  private terminate(container: ContainerState, exitCode: number, reason: string, message: string, restart: boolean): void {
    for (const cancel of container.cancelTimers) cancel();
    container.cancelTimers = [];
    const running = container.running;
    container.running = undefined;
    container.ready = false;
    if (running !== undefined) this.safely(() => running.stop());
    container.lastTerminated = { exitCode, reason, message, ...(container.startedAt === undefined ? {} : { startedAt: container.startedAt }), finishedAt: new Date().toISOString() };
    if (!restart) return;
    // A container that ran restarts at once the first time; repeated failures back off.
    container.restartCount += 1;
    container.waiting = { reason: "ContainerCreating" };
    this.publish();
    container.cancelTimers.push(this.host.clock.after(second, () => this.startContainer(container)));
  }

  private scheduleProbes(container: ContainerState, spec: KubeObject): void {
    for (const kind of ["readiness", "liveness"] as const) {
      const probe = spec[`${kind}Probe`];
      if (!isRecord(probe)) continue;
      const period = (typeof probe.periodSeconds === "number" ? probe.periodSeconds : 10) * second;
      const initialDelay = (typeof probe.initialDelaySeconds === "number" ? probe.initialDelaySeconds : 0) * second;
      const failureThreshold = typeof probe.failureThreshold === "number" ? probe.failureThreshold : 3;
      const run = (): void => {
        this.runProbe(container, spec, probe).then((ok) => {
          if (container.running === undefined || this.stopped) return;
          if (ok) {
            container.probeFailures[kind] = 0;
            if (kind === "readiness" && !container.ready) {
              container.ready = true;
              this.publish();
            }
            return;
          }
          container.probeFailures[kind] += 1;
          if (container.probeFailures[kind] < failureThreshold) return;
          if (kind === "readiness" && container.ready) {
            container.ready = false;
            this.publish();
          } else if (kind === "liveness") {
            this.appendLog(container.name, `Liveness probe failed ${failureThreshold} times; the container will be restarted`);
            this.terminate(container, 137, "Error", "liveness probe failed", true);
          }
        }, (error: unknown) => this.host.log(`pod ${this.location.namespace}/${this.location.podName}: probe failed to run: ${String(error)}`));
      };
      container.cancelTimers.push(
        this.host.clock.after(Math.max(initialDelay, second), () => {
          if (container.running === undefined) return;
          run();
          container.cancelTimers.push(this.host.clock.every(period, run));
        }),
      );
    }
  }

  private async runProbe(container: ContainerState, spec: KubeObject, probe: KubeObject): Promise<boolean> {
    const running = container.running;
    if (running === undefined) return false;
    if (!isRecord(probe.httpGet)) return true; // exec and tcpSocket probes pass while the container runs
    const port = this.containerPort(spec, probe.httpGet.port);
    if (port === undefined) return false;
    const path = typeof probe.httpGet.path === "string" ? probe.httpGet.path : "/";
    const headers: Record<string, string> = {};
    for (const header of asList(probe.httpGet.httpHeaders)) headers[String(header.name)] = String(header.value);
    const status = await this.host.probe(running, port, path.startsWith("/") ? path : `/${path}`, headers);
    return status !== undefined && status >= 200 && status < 400;
  }

  private containerPort(spec: KubeObject, port: unknown): number | undefined {
    if (typeof port === "number") return port;
    const named = asList(spec.ports).find((candidate) => candidate.name === port);
    if (typeof named?.containerPort === "number") return named.containerPort;
    const parsed = Number(port);
    return Number.isInteger(parsed) ? parsed : undefined;
  }

  /** Writes the pod status as the kubelet reports it. */
  private publish(): void {
    if (this.stopped) return;
    const now = new Date().toISOString();
    const ready = this.isReady();
    if (ready && !this.readyLogged) {
      this.readyLogged = true;
      // From creation to Ready: the start delay plus the probe schedule and what the probe waited for.
      this.host.recordDelay("pods.ready", this.createdAt, (Date.now() - this.createdAt.getTime()) * this.host.clock.timeScale);
    }
    const scheduled = this.nodeName !== undefined;
    const condition = (type: string, status: boolean, reason?: string, message?: string): KubeObject => ({
      type,
      status: status ? "True" : "False",
      lastProbeTime: null,
      lastTransitionTime: now,
      ...(reason === undefined ? {} : { reason }),
      ...(message === undefined ? {} : { message }),
    });
    const notReady = this.containers.filter((container) => !container.ready).map((container) => container.name);
    const status: KubeObject = {
      phase: this.phase,
      conditions: [
        condition("PodReadyToStartContainers", this.podIP !== undefined),
        condition("Initialized", true),
        condition("Ready", ready, ready ? undefined : "ContainersNotReady", ready ? undefined : `containers with unready status: [${notReady.join(" ")}]`),
        condition("ContainersReady", ready, ready ? undefined : "ContainersNotReady", ready ? undefined : `containers with unready status: [${notReady.join(" ")}]`),
        condition("PodScheduled", scheduled, scheduled ? undefined : "Unschedulable", scheduled ? undefined : "0/0 nodes are available: no nodes available to schedule pods."),
      ],
      qosClass: "BestEffort",
      ...(this.podIP === undefined ? {} : { podIP: this.podIP, podIPs: [{ ip: this.podIP }], hostIP: "10.224.0.4", hostIPs: [{ ip: "10.224.0.4" }] }),
      ...(this.startTime === undefined ? {} : { startTime: this.startTime }),
      containerStatuses: this.containers.map((container) => ({
        name: container.name,
        image: container.image,
        imageID: "",
        containerID: container.running === undefined ? "" : `containerd://${container.name}-${container.restartCount}`,
        ready: container.ready,
        started: container.running !== undefined,
        restartCount: container.restartCount,
        state:
          container.running !== undefined
            ? { running: { startedAt: container.startedAt } }
            : { waiting: { reason: container.waiting?.reason ?? "ContainerCreating", ...(container.waiting?.message === undefined ? {} : { message: container.waiting.message }) } },
        lastState: container.lastTerminated === undefined ? {} : { terminated: container.lastTerminated },
      })),
    };
    this.host.writeStatus(status);
  }
}
