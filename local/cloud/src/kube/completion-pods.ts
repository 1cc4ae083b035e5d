/**
 * What the kubelet does for a pod that runs to completion (restartPolicy `Never` or `OnFailure`,
 * the pods of a Job): its init containers one after another, each to a successful exit, then its
 * containers; the pod ends `Succeeded` when every container exited 0. A failed container is
 * started again with back-off under `OnFailure`; under `Never` the pod ends `Failed` (a Job then
 * makes a new pod). Containers share the pod's emptyDir volumes, so an init container can leave a
 * file for the next one.
 *
 * NOTE: a run-to-completion container's runtime answers at once (`started: false` with its exit
 * code), as key generation and kubectl do; a runtime that starts a server in such a pod keeps
 * running and the pod stays `Running`, as it would in a cluster.
 */
import { isRecord } from "../http.js";
import type { ContainerRuntime, PodLocation, RunningContainer } from "./container-runtime.js";
import { asList, type KubeObject } from "./objects.js";
import { containerEnvironment, PodConfigError, type ScratchVolumes } from "./pod-environment.js";
import { hostIP } from "./pod-status.js";
import { podStartDelay, restartBackOff, type PodHost, type PodRun } from "./pods.js";

const maxLogLines = 2000;

interface Step {
  name: string;
  image: string;
  init: boolean;
  restartCount: number;
  state: KubeObject;
  running?: RunningContainer;
}

export class RunToCompletionPod implements PodRun {
  private readonly steps: Step[];
  private readonly scratch: ScratchVolumes = new Map();
  private readonly logs = new Map<string, string[]>();
  private readonly restartPolicy: string;
  private phase: "Pending" | "Running" | "Succeeded" | "Failed" = "Pending";
  private podIP?: string;
  private startTime?: string;
  private stopped = false;
  private cancelNext: () => void = () => undefined;

  constructor(
    private readonly host: PodHost,
    private readonly location: Omit<PodLocation, "podIP">,
    private readonly allocatePodIP: () => string,
    nodeName: string | undefined,
  ) {
    const pod = host.currentPod();
    const spec = isRecord(pod?.spec) ? pod.spec : {};
    this.restartPolicy = String(spec.restartPolicy);
    const step = (init: boolean) => (container: KubeObject) => ({
      name: String(container.name),
      image: String(container.image),
      init,
      restartCount: 0,
      state: { waiting: { reason: init ? "PodInitializing" : "ContainerCreating" } },
    });
    this.steps = [...asList(spec.initContainers).map(step(true)), ...asList(spec.containers).map(step(false))];
    this.publish();
    if (nodeName === undefined) return;
    const delay = podStartDelay[0] + Math.random() * (podStartDelay[1] - podStartDelay[0]);
    this.cancelNext = host.clock.after(delay, () => {
      this.podIP = this.allocatePodIP();
      this.startTime = new Date().toISOString();
      this.runFrom(0);
    });
  }

  get ip(): string | undefined {
    return this.phase === "Succeeded" || this.phase === "Failed" ? undefined : this.podIP;
  }

  running(): Map<string, RunningContainer> {
    const map = new Map<string, RunningContainer>();
    for (const step of this.steps) if (step.running !== undefined) map.set(step.name, step.running);
    return map;
  }

  isReady(): boolean {
    return false;
  }

  logLines(containerName: string): string[] {
    return this.logs.get(containerName) ?? [];
  }

  killContainers(): void {
    for (const step of this.steps) step.running?.stop();
  }

  stop(): void {
    this.stopped = true;
    this.cancelNext();
    this.killContainers();
  }

  private appendLog(containerName: string, line: string): void {
    const lines = this.logs.get(containerName) ?? [];
    lines.push(line);
    if (lines.length > maxLogLines) lines.splice(0, lines.length - maxLogLines);
    this.logs.set(containerName, lines);
  }

  private runtimeFor(image: string): ContainerRuntime | undefined {
    return this.host.runtimes.find((runtime) => runtime.claims(image));
  }

  /** Runs the steps from `index` on, in order, until one waits, keeps running or fails for good. */
  private runFrom(index: number): void {
    for (let at = index; at < this.steps.length; at += 1) {
      if (this.stopped) return;
      const step = this.steps[at] as Step;
      const pod = this.host.currentPod();
      const spec = [
        ...asList(isRecord(pod?.spec) ? pod.spec.initContainers : []),
        ...asList(isRecord(pod?.spec) ? pod.spec.containers : []),
      ].find((container) => container.name === step.name);
      if (pod === undefined || spec === undefined) return;
      this.phase = step.init ? "Pending" : "Running";
      const startedAt = new Date().toISOString();
      let outcome: ReturnType<ContainerRuntime["start"]>;
      try {
        const environment = containerEnvironment(this.host, {
          location: this.location,
          podIP: this.podIP,
          pod,
          spec,
          scratch: this.scratch,
          log: (line) => this.appendLog(step.name, line),
        });
        const runtime = this.runtimeFor(step.image);
        // An image no runtime claims does nothing and exits 0.
        outcome =
          runtime === undefined
            ? { started: false, exitCode: 0, reason: "Completed", message: "" }
            : runtime.start(environment);
      } catch (error) {
        if (!(error instanceof PodConfigError)) throw error;
        step.state = { waiting: { reason: error.reason, message: error.message } };
        this.publish();
        this.cancelNext = this.host.clock.after(10_000, () => this.runFrom(at));
        return;
      }
      if (outcome.started) {
        step.running = outcome.container;
        step.state = { running: { startedAt } };
        this.publish();
        return;
      }
      const finishedAt = new Date().toISOString();
      step.state = {
        terminated: {
          exitCode: outcome.exitCode,
          reason: outcome.exitCode === 0 ? "Completed" : "Error",
          ...(outcome.message === "" ? {} : { message: outcome.message }),
          startedAt,
          finishedAt,
        },
      };
      if (outcome.exitCode === 0) continue;
      if (this.restartPolicy === "OnFailure") {
        const backOff = restartBackOff(step.restartCount);
        step.restartCount += 1;
        this.publish();
        this.cancelNext = this.host.clock.after(backOff, () => this.runFrom(at));
        return;
      }
      this.phase = "Failed";
      this.publish();
      return;
    }
    this.phase = "Succeeded";
    this.publish();
  }

  private publish(): void {
    if (this.stopped) return;
    const now = new Date().toISOString();
    const initDone = this.steps.filter((step) => step.init).every((step) => "terminated" in step.state);
    const status = (step: Step): KubeObject => ({
      name: step.name,
      image: step.image,
      imageID: "",
      ready: false,
      started: step.running !== undefined,
      restartCount: step.restartCount,
      state: step.state,
    });
    const condition = (type: string, holds: boolean): KubeObject => ({
      type,
      status: holds ? "True" : "False",
      lastProbeTime: null,
      lastTransitionTime: now,
    });
    this.host.writeStatus({
      phase: this.phase,
      conditions: [
        condition("PodScheduled", this.podIP !== undefined || this.phase !== "Pending"),
        condition("Initialized", initDone),
        condition("Ready", false),
      ],
      ...(this.podIP === undefined ? {} : { podIP: this.podIP, podIPs: [{ ip: this.podIP }], hostIP }),
      ...(this.startTime === undefined ? {} : { startTime: this.startTime }),
      initContainerStatuses: this.steps.filter((step) => step.init).map(status),
      containerStatuses: this.steps.filter((step) => !step.init).map(status),
    });
  }
}
