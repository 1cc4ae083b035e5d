/**
 * What the kubelet prepares before it starts a container: the environment variables (`env` with
 * `valueFrom`, and `envFrom`), the command line with `$(VAR)` expanded, and the files of mounted
 * ConfigMap, Secret and projected volumes, the files the pod's containers wrote into its emptyDir
 * volumes, and the service account token that lets a client in the pod call the API. A missing
 * ConfigMap, Secret or key fails the start with the kubelet's reason, and the kubelet tries again later.
 */
import { isRecord } from "../http.js";
import type { SimClock } from "../clock.js";
import type { ContainerEnvironment, InClusterApi, PodEndpoint, PodLocation } from "./container-runtime.js";
import { asList, type KubeObject } from "./objects.js";
import { hostIP } from "./pod-status.js";

/** What preparing a container reads from its cluster. */
export interface EnvironmentSource {
  clock: SimClock;
  getObject(
    plural: "configmaps" | "secrets" | "serviceaccounts",
    namespace: string,
    name: string,
  ): KubeObject | undefined;
  resolve(fromNamespace: string, host: string, port: number): PodEndpoint[];
  /** The API as a service account of a namespace (what its mounted token authenticates as). */
  inClusterApi(namespace: string, serviceAccount: string): InClusterApi;
}

/** The files of a pod's emptyDir volumes (volume name → relative path → content): they live as long as the pod. */
export type ScratchVolumes = Map<string, Map<string, string>>;

/** The pod and container a start is for. */
export interface ContainerToStart {
  location: Omit<PodLocation, "podIP">;
  podIP: string | undefined;
  pod: KubeObject;
  /** The container's entry in the pod spec. */
  spec: KubeObject;
  scratch: ScratchVolumes;
  log(line: string): void;
}

/** Why a container cannot start yet, with the reason its status shows while it waits. */
export class PodConfigError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const variableReference = /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g;

function decodeSecretValue(value: unknown): string {
  return Buffer.from(String(value), "base64").toString("utf8");
}

/** Files of a ConfigMap or Secret volume source: key → relative path (items honoured). */
function sourceFiles(
  source: EnvironmentSource,
  namespace: string,
  volumeSource: KubeObject,
  secret: boolean,
): Map<string, string> | undefined {
  const name = String(secret ? (volumeSource.secretName ?? volumeSource.name) : volumeSource.name);
  const object = source.getObject(secret ? "secrets" : "configmaps", namespace, name);
  const files = new Map<string, string>();
  if (object === undefined) {
    if (volumeSource.optional === true) return files;
    return undefined;
  }
  const values = new Map<string, string>();
  if (secret)
    for (const [key, value] of Object.entries(isRecord(object.data) ? object.data : {}))
      values.set(key, decodeSecretValue(value));
  else {
    for (const [key, value] of Object.entries(isRecord(object.data) ? object.data : {})) values.set(key, String(value));
    for (const [key, value] of Object.entries(isRecord(object.binaryData) ? object.binaryData : {}))
      values.set(key, decodeSecretValue(value));
  }
  const items = asList(volumeSource.items);
  if (items.length === 0) for (const [key, value] of values) files.set(key, value);
  else
    for (const item of items) {
      const value = values.get(String(item.key));
      if (value !== undefined) files.set(String(item.path ?? item.key), value);
    }
  return files;
}

/** The files a volume provides (relative path → content); undefined when what it refers to is missing. */
function volumeFiles(
  source: EnvironmentSource,
  namespace: string,
  volume: KubeObject,
  scratch: ScratchVolumes,
): Map<string, string> | undefined {
  if (isRecord(volume.emptyDir)) return scratch.get(String(volume.name)) ?? new Map();
  if (isRecord(volume.configMap)) return sourceFiles(source, namespace, volume.configMap, false);
  if (isRecord(volume.secret)) return sourceFiles(source, namespace, volume.secret, true);
  if (isRecord(volume.projected)) {
    const files = new Map<string, string>();
    for (const projected of asList(volume.projected.sources)) {
      const part = isRecord(projected.configMap)
        ? sourceFiles(source, namespace, projected.configMap, false)
        : isRecord(projected.secret)
          ? sourceFiles(source, namespace, projected.secret, true)
          : new Map<string, string>();
      if (part === undefined) return undefined;
      for (const [path, value] of part) files.set(path, value);
    }
    return files;
  }
  // persistentVolumeClaim and the like hold no files the simulator knows of.
  return new Map();
}

/** A file at an absolute path, through the longest mount path that provides it (subPath honoured). */
function readMountedFile(
  source: EnvironmentSource,
  namespace: string,
  path: string,
  mounts: KubeObject[],
  volumes: Map<string, KubeObject>,
  scratch: ScratchVolumes,
): string | undefined {
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
    const value = volumeFiles(source, namespace, volume, scratch)?.get(relative);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Writes a file into the emptyDir volume mounted (not read-only) at the longest prefix of `path`. */
function writeScratchFile(
  path: string,
  content: string,
  mounts: KubeObject[],
  volumes: Map<string, KubeObject>,
  scratch: ScratchVolumes,
): boolean {
  const ordered = [...mounts].sort((left, right) => String(right.mountPath).length - String(left.mountPath).length);
  const mount = ordered.find((candidate) => path.startsWith(`${String(candidate.mountPath).replace(/\/+$/, "")}/`));
  const volume = mount === undefined ? undefined : volumes.get(String(mount.name));
  if (mount === undefined || volume === undefined || !isRecord(volume.emptyDir) || mount.readOnly === true)
    return false;
  const relative = path.slice(String(mount.mountPath).replace(/\/+$/, "").length + 1);
  const files = scratch.get(String(volume.name)) ?? new Map<string, string>();
  files.set(relative, content);
  scratch.set(String(volume.name), files);
  return true;
}

function serviceAccountOf(podSpec: KubeObject): string {
  return typeof podSpec.serviceAccountName === "string" ? podSpec.serviceAccountName : "default";
}

/** Whether the kubelet mounts a token: the pod's `automountServiceAccountToken`, else its service account's, else yes. */
function mountsToken(source: EnvironmentSource, podSpec: KubeObject, namespace: string): boolean {
  if (typeof podSpec.automountServiceAccountToken === "boolean") return podSpec.automountServiceAccountToken;
  const account = source.getObject("serviceaccounts", namespace, serviceAccountOf(podSpec));
  return account?.automountServiceAccountToken !== false;
}

/** One key of a ConfigMap or Secret (`configMapKeyRef`, `secretKeyRef`); undefined when optional and missing. */
function keyReference(
  source: EnvironmentSource,
  namespace: string,
  plural: "configmaps" | "secrets",
  ref: KubeObject,
): string | undefined {
  const object = source.getObject(plural, namespace, String(ref.name));
  const data = isRecord(object?.data) ? object.data : undefined;
  const raw = data?.[String(ref.key)];
  if (object === undefined || raw === undefined) {
    if (ref.optional === true) return undefined;
    const what = plural === "configmaps" ? "configmap" : "secret";
    throw new PodConfigError(
      "CreateContainerConfigError",
      object === undefined
        ? `${what} "${String(ref.name)}" not found`
        : `couldn't find key ${String(ref.key)} in ${what} ${namespace}/${String(ref.name)}`,
    );
  }
  return plural === "secrets" ? decodeSecretValue(raw) : String(raw);
}

/** A `fieldRef` (the downward API): the pod's name, namespace, uid, node, labels and addresses. */
function fieldReference(
  fieldPath: string,
  pod: KubeObject,
  namespace: string,
  podIP: string | undefined,
): string | undefined {
  const metadata = isRecord(pod.metadata) ? pod.metadata : {};
  const podSpec = isRecord(pod.spec) ? pod.spec : {};
  const labelMatch = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelMatch !== null) {
    const map = metadata[labelMatch[1] ?? ""];
    return isRecord(map) ? String(map[labelMatch[2] ?? ""] ?? "") : "";
  }
  const fields: Record<string, string | undefined> = {
    "metadata.name": String(metadata.name),
    "metadata.namespace": namespace,
    "metadata.uid": String(metadata.uid),
    "spec.nodeName": typeof podSpec.nodeName === "string" ? podSpec.nodeName : undefined,
    "spec.serviceAccountName": typeof podSpec.serviceAccountName === "string" ? podSpec.serviceAccountName : "default",
    "status.podIP": podIP,
    "status.hostIP": podIP === undefined ? undefined : hostIP,
  };
  return fields[fieldPath];
}

/** `envFrom` first, then `env` in order (a value may refer to variables defined before it). */
function resolveEnv(source: EnvironmentSource, start: ContainerToStart): Record<string, string> {
  const namespace = start.location.namespace;
  const env: Record<string, string> = {};
  for (const from of asList(start.spec.envFrom)) {
    const prefix = typeof from.prefix === "string" ? from.prefix : "";
    const ref = isRecord(from.configMapRef)
      ? { plural: "configmaps" as const, ref: from.configMapRef }
      : isRecord(from.secretRef)
        ? { plural: "secrets" as const, ref: from.secretRef }
        : undefined;
    if (ref === undefined) continue;
    const object = source.getObject(ref.plural, namespace, String(ref.ref.name));
    if (object === undefined) {
      if (ref.ref.optional === true) continue;
      throw new PodConfigError(
        "CreateContainerConfigError",
        `${ref.plural === "configmaps" ? "configmap" : "secret"} "${String(ref.ref.name)}" not found`,
      );
    }
    for (const [key, value] of Object.entries(isRecord(object.data) ? object.data : {}))
      env[`${prefix}${key}`] = ref.plural === "secrets" ? decodeSecretValue(value) : String(value);
  }
  for (const variable of asList(start.spec.env)) {
    const name = String(variable.name);
    if (typeof variable.value === "string") {
      env[name] = variable.value.replace(variableReference, (whole, inner: string) => env[inner] ?? whole);
      continue;
    }
    const from = isRecord(variable.valueFrom) ? variable.valueFrom : undefined;
    if (from === undefined) {
      env[name] = "";
      continue;
    }
    let value: string | undefined;
    if (isRecord(from.configMapKeyRef)) value = keyReference(source, namespace, "configmaps", from.configMapKeyRef);
    else if (isRecord(from.secretKeyRef)) value = keyReference(source, namespace, "secrets", from.secretKeyRef);
    else if (isRecord(from.fieldRef))
      value = fieldReference(String(from.fieldRef.fieldPath), start.pod, namespace, start.podIP);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** The environment a runtime starts the container in; throws PodConfigError while something it needs is missing. */
export function containerEnvironment(source: EnvironmentSource, start: ContainerToStart): ContainerEnvironment {
  const namespace = start.location.namespace;
  const podSpec = isRecord(start.pod.spec) ? start.pod.spec : {};
  const volumes = new Map(asList(podSpec.volumes).map((volume) => [String(volume.name), volume]));
  const mounts = asList(start.spec.volumeMounts);
  // Fail the start the way the kubelet does when a mounted ConfigMap/Secret is missing.
  for (const mount of mounts) {
    const volume = volumes.get(String(mount.name));
    if (volume === undefined) continue;
    if (volumeFiles(source, namespace, volume, start.scratch) === undefined)
      throw new PodConfigError(
        "ContainerCreating",
        `MountVolume.SetUp failed for volume "${String(mount.name)}": the ConfigMap or Secret it refers to was not found`,
      );
  }
  const env = resolveEnv(source, start);
  const expand = (text: string): string => text.replace(variableReference, (whole, name: string) => env[name] ?? whole);
  const argv = [
    ...(Array.isArray(start.spec.command) ? start.spec.command : []),
    ...(Array.isArray(start.spec.args) ? start.spec.args : []),
  ].map((part) => expand(String(part)));
  return {
    location: { ...start.location, podIP: start.podIP ?? "" },
    pod: structuredClone(start.pod),
    containerName: String(start.spec.name),
    env,
    argv,
    timeScale: source.clock.timeScale,
    readFile: (path) => readMountedFile(source, namespace, path, mounts, volumes, start.scratch),
    writeFile: (path, content) => writeScratchFile(path, content, mounts, volumes, start.scratch),
    inClusterApi: mountsToken(source, podSpec, namespace)
      ? source.inClusterApi(namespace, serviceAccountOf(podSpec))
      : undefined,
    resolve: (host, port) => source.resolve(namespace, host, port),
    log: start.log,
  };
}
