/**
 * What the kubelet does for one pod: container starts through the runtimes, restarts with
 * back-off (CrashLoopBackOff), readiness and liveness probes on their schedule, and the pod's
 * status. What a start needs (environment, mounted files) is in pod-environment.ts, one probe
 * attempt in pod-probes.ts, and the status document in pod-status.ts.
 */
import { isRecord } from "../http.js";
import type { ContainerEnvironment, ContainerRuntime, PodLocation, RunningContainer } from "./container-runtime.js";
import { asList, type KubeObject } from "./objects.js";
import {
  containerEnvironment,
  PodConfigError,
  type EnvironmentSource,
  type ScratchVolumes,
} from "./pod-environment.js";
import { probeOnce, probeSchedule, type ProbeSender } from "./pod-probes.js";
import { podStatus, type ContainerState } from "./pod-status.js";

const second = 1000;
/** Scheduling, image pull and sandbox creation before the first container start. */
export const podStartDelay: readonly [number, number] = [2 * second, 6 * second];
const maxBackOff = 300 * second;
const maxLogLines = 2000;

/** CrashLoopBackOff: the next start of a failed container waits 10 s, doubling up to 5 minutes. */
export function restartBackOff(restartCount: number): number {
  return Math.min(maxBackOff, 10 * second * 2 ** Math.min(restartCount, 10));
}

/** What the rest of the cluster asks of a pod's kubelet, whatever kind of pod it runs. */
export interface PodRun {
  readonly ip: string | undefined;
  running(): Map<string, RunningContainer>;
  isReady(): boolean;
  logLines(containerName: string): string[];
  killContainers(): void;
  stop(): void;
}

/** What the pod needs from its cluster. */
export interface PodHost extends EnvironmentSource {
  runtimes: readonly ContainerRuntime[];
  /** Reads the stored pod (undefined once deleted). */
  currentPod(): KubeObject | undefined;
  /** Writes the pod's status (the cluster bumps resourceVersion when it changed). */
  writeStatus(status: KubeObject): void;
  probe: ProbeSender;
  /** Records a modelled wait in the operation log (simulated milliseconds). */
  recordDelay(operation: string, startedAt: Date, simulatedMs: number): void;
  log(line: string): void;
}

/** A pod whose containers keep running (restartPolicy Always): servers such as Besu. */
export class PodLifecycle implements PodRun {
  private readonly containers: ContainerState[];
  private readonly scratch: ScratchVolumes = new Map();
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
    for (const container of this.containers)
      if (container.running !== undefined) map.set(container.name, container.running);
    return map;
  }

  isReady(): boolean {
    return (
      this.phase === "Running" && this.containers.length > 0 && this.containers.every((container) => container.ready)
    );
  }

  logLines(containerName: string): string[] {
    return this.logs.get(containerName) ?? [];
  }

  /** The containers die (drift or liveness): the kubelet restarts them. */
  killContainers(reason = "Error", exitCode = 137): void {
    for (const container of this.containers)
      if (container.running !== undefined) this.terminate(container, exitCode, reason, "killed", true);
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
      this.host.log(
        `pod ${this.location.namespace}/${this.location.podName}: runtime error: ${error instanceof Error ? error.message : String(error)}`,
      );
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
      environment = containerEnvironment(this.host, {
        location: this.location,
        podIP: this.podIP,
        pod,
        spec,
        scratch: this.scratch,
        log: (line) => this.appendLog(container.name, line),
      });
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
      outcome =
        runtime === undefined
          ? { started: true, container: { handleHttp: () => false, stop: () => undefined } }
          : runtime.start(environment);
    } catch (error) {
      outcome = {
        started: false,
        exitCode: 1,
        reason: "Error",
        message: error instanceof Error ? error.message : String(error),
      };
    }
    if (!outcome.started) {
      container.lastTerminated = {
        exitCode: outcome.exitCode,
        reason: outcome.reason,
        message: outcome.message,
        startedAt,
        finishedAt: new Date().toISOString(),
      };
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

  /** CrashLoopBackOff (restartBackOff). */
  private scheduleRestart(container: ContainerState): void {
    const backOff = restartBackOff(container.restartCount);
    container.restartCount += 1;
    container.waiting = {
      reason: "CrashLoopBackOff",
      message: `back-off ${Math.round(backOff / second)}s restarting failed container=${container.name} pod=${this.location.podName}`,
    };
    this.publish();
    container.cancelTimers.push(this.host.clock.after(backOff, () => this.startContainer(container)));
  }

  private terminate(
    container: ContainerState,
    exitCode: number,
    reason: string,
    message: string,
    restart: boolean,
  ): void {
    for (const cancel of container.cancelTimers) cancel();
    container.cancelTimers = [];
    const running = container.running;
    container.running = undefined;
    container.ready = false;
    if (running !== undefined) this.safely(() => running.stop());
    container.lastTerminated = {
      exitCode,
      reason,
      message,
      ...(container.startedAt === undefined ? {} : { startedAt: container.startedAt }),
      finishedAt: new Date().toISOString(),
    };
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
      const { period, initialDelay, failureThreshold } = probeSchedule(probe);
      const run = (): void => {
        probeOnce(container.running, spec, probe, this.host.probe).then(
          (ok) => {
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
              this.appendLog(
                container.name,
                `Liveness probe failed ${failureThreshold} times; the container will be restarted`,
              );
              this.terminate(container, 137, "Error", "liveness probe failed", true);
            }
          },
          (error: unknown) =>
            this.host.log(
              `pod ${this.location.namespace}/${this.location.podName}: probe failed to run: ${String(error)}`,
            ),
        );
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

  /** Writes the pod status as the kubelet reports it. */
  private publish(): void {
    if (this.stopped) return;
    const now = new Date().toISOString();
    const ready = this.isReady();
    if (ready && !this.readyLogged) {
      this.readyLogged = true;
      // From creation to Ready: the start delay plus the probe schedule and what the probe waited for.
      this.host.recordDelay(
        "pods.ready",
        this.createdAt,
        (Date.now() - this.createdAt.getTime()) * this.host.clock.timeScale,
      );
    }
    this.host.writeStatus(
      podStatus(
        {
          phase: this.phase,
          podIP: this.podIP,
          startTime: this.startTime,
          scheduled: this.nodeName !== undefined,
          ready,
          containers: this.containers,
        },
        now,
      ),
    );
  }
}
