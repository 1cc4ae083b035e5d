/**
 * A pod's status as the kubelet reports it: phase, conditions, addresses, and one entry per
 * container (running or waiting with its reason, restarts, the last termination). Pure: built
 * from what the kubelet tracks of the pod and its containers.
 */
import type { RunningContainer } from "./container-runtime.js";
import type { KubeObject } from "./objects.js";

/** The node address every simulated pod reports as its host. */
export const hostIP = "10.224.0.4";

/** What the kubelet tracks of one container of a pod. */
export interface ContainerState {
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

/** What the kubelet tracks of the pod itself. */
export interface PodState {
  phase: "Pending" | "Running" | "Failed";
  podIP: string | undefined;
  startTime: string | undefined;
  scheduled: boolean;
  ready: boolean;
  containers: readonly ContainerState[];
}

function containerStatus(container: ContainerState): KubeObject {
  return {
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
        : {
            waiting: {
              reason: container.waiting?.reason ?? "ContainerCreating",
              ...(container.waiting?.message === undefined ? {} : { message: container.waiting.message }),
            },
          },
    lastState: container.lastTerminated === undefined ? {} : { terminated: container.lastTerminated },
  };
}

/** The pod's `status`, with every condition's transition time set to `now`. */
export function podStatus(pod: PodState, now: string): KubeObject {
  const { ready, scheduled, podIP } = pod;
  const condition = (type: string, status: boolean, reason?: string, message?: string): KubeObject => ({
    type,
    status: status ? "True" : "False",
    lastProbeTime: null,
    lastTransitionTime: now,
    ...(reason === undefined ? {} : { reason }),
    ...(message === undefined ? {} : { message }),
  });
  const notReady = pod.containers.filter((container) => !container.ready).map((container) => container.name);
  return {
    phase: pod.phase,
    conditions: [
      condition("PodReadyToStartContainers", podIP !== undefined),
      condition("Initialized", true),
      condition(
        "Ready",
        ready,
        ready ? undefined : "ContainersNotReady",
        ready ? undefined : `containers with unready status: [${notReady.join(" ")}]`,
      ),
      condition(
        "ContainersReady",
        ready,
        ready ? undefined : "ContainersNotReady",
        ready ? undefined : `containers with unready status: [${notReady.join(" ")}]`,
      ),
      condition(
        "PodScheduled",
        scheduled,
        scheduled ? undefined : "Unschedulable",
        scheduled ? undefined : "0/0 nodes are available: no nodes available to schedule pods.",
      ),
    ],
    qosClass: "BestEffort",
    ...(podIP === undefined ? {} : { podIP, podIPs: [{ ip: podIP }], hostIP, hostIPs: [{ ip: hostIP }] }),
    ...(pod.startTime === undefined ? {} : { startTime: pod.startTime }),
    containerStatuses: pod.containers.map(containerStatus),
  };
}
