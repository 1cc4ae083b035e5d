/**
 * One readiness or liveness probe as the kubelet runs it: its schedule (period, initial delay,
 * failure threshold, with Kubernetes' defaults) and a single attempt. An httpGet probe is sent to
 * the running container's port and passes on 2xx and 3xx; exec and tcpSocket probes pass while
 * the container runs.
 */
import { isRecord } from "../http.js";
import type { RunningContainer } from "./container-runtime.js";
import { asList, type KubeObject } from "./objects.js";

const second = 1000;

/** Sends an HTTP GET to a running container's port; resolves the status code, or undefined if nothing listens. */
export type ProbeSender = (
  container: RunningContainer,
  port: number,
  path: string,
  headers: Record<string, string>,
) => Promise<number | undefined>;

export interface ProbeSchedule {
  /** Simulated milliseconds between attempts. */
  period: number;
  /** Simulated milliseconds after the container starts before the first attempt. */
  initialDelay: number;
  /** Consecutive failures that count as failed. */
  failureThreshold: number;
}

export function probeSchedule(probe: KubeObject): ProbeSchedule {
  return {
    period: (typeof probe.periodSeconds === "number" ? probe.periodSeconds : 10) * second,
    initialDelay: (typeof probe.initialDelaySeconds === "number" ? probe.initialDelaySeconds : 0) * second,
    failureThreshold: typeof probe.failureThreshold === "number" ? probe.failureThreshold : 3,
  };
}

/** A probe's port: a number, or the name of one of the container's ports. */
function containerPort(containerSpec: KubeObject, port: unknown): number | undefined {
  if (typeof port === "number") return port;
  const named = asList(containerSpec.ports).find((candidate) => candidate.name === port);
  if (typeof named?.containerPort === "number") return named.containerPort;
  const parsed = Number(port);
  return Number.isInteger(parsed) ? parsed : undefined;
}

/** One attempt of a probe against the container (undefined when it no longer runs): true when it passed. */
export async function probeOnce(
  running: RunningContainer | undefined,
  containerSpec: KubeObject,
  probe: KubeObject,
  send: ProbeSender,
): Promise<boolean> {
  if (running === undefined) return false;
  if (!isRecord(probe.httpGet)) return true;
  const port = containerPort(containerSpec, probe.httpGet.port);
  if (port === undefined) return false;
  const path = typeof probe.httpGet.path === "string" ? probe.httpGet.path : "/";
  const headers: Record<string, string> = {};
  for (const header of asList(probe.httpGet.httpHeaders)) headers[String(header.name)] = String(header.value);
  const status = await send(running, port, path.startsWith("/") ? path : `/${path}`, headers);
  return status !== undefined && status >= 200 && status < 400;
}
