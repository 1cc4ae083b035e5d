/**
 * One simulated cluster: its object store and the API semantics on it (create, update, patch,
 * server-side apply, delete, with resourceVersion and managedFields), and the controllers that
 * make it behave like AKS (namespaces' service accounts, nodes per agent pool, Deployments and
 * StatefulSets with pods, Services with cluster IPs and LoadBalancer addresses, Endpoints).
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { isRecord } from "../http.js";
import type { SimClock } from "../clock.js";
import { jitteredDuration } from "../clock.js";
import type { ClusterInfo, NodePoolShape } from "../cluster-host.js";
import { findVmSize } from "../arm/catalog.js";
import { findByPlural, findByPluralInAnyGroup, groupVersion, qualifiedName, type ResourceType } from "./catalog.js";
import type { ContainerRuntime, PodEndpoint, RunningContainer } from "./container-runtime.js";
import { KubeError, notFound } from "./errors.js";
import { clone, deepEqual, jsonPatch, JsonPatchError, mergePatch, recordUpdate, serverSideApply, strategicMergePatch, type KubeObject } from "./fields.js";
import { PodLifecycle } from "./pods.js";
import { matchesMapSelector, matchesRequirements, parseFieldSelector, parseLabelSelector, SelectorError } from "./selectors.js";
import { foldStringData, invalidMessage, validateAndDefault } from "./validate.js";

const second = 1000;
const maxWatchHistory = 5000;
const loadBalancerDelay: readonly [number, number] = [30 * second, 90 * second];

/** What a cluster needs from the world around it. */
export interface ClusterHost {
  clock: SimClock;
  runtimes: readonly ContainerRuntime[];
  allocateExternalIP(): string;
  releaseExternalIP(ip: string): void;
  resolve(fromClusterKey: string, fromNamespace: string, host: string, port: number): PodEndpoint[];
  probe(container: RunningContainer, port: number, path: string, headers: Record<string, string>): Promise<number | undefined>;
  /** Records a modelled wait of this cluster in the operation log (simulated milliseconds). */
  recordDelay(operation: string, startedAt: Date, simulatedMs: number): void;
  log(line: string): void;
}

/** A watch event as the API server streams it. */
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubeObject;
}

interface Watcher {
  plural: string;
  namespace: string | undefined;
  matches: (object: KubeObject) => boolean;
  send: (event: WatchEvent) => void;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
}

function metadataOf(object: KubeObject): KubeObject {
  if (!isRecord(object.metadata)) object.metadata = {};
  return object.metadata as KubeObject;
}

function shortHash(value: unknown, length = 10): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, length);
}

function percentOf(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const match = /^(\d+)%$/.exec(String(value ?? ""));
  if (match === null) return 0;
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Sequential addresses from a base (`10.0.0.0` + n), skipping the network's first hosts. */
class AddressPool {
  private next: number;
  constructor(
    private readonly base: number,
    first: number,
  ) {
    this.next = first;
  }
  take(): string {
    const value = this.base + this.next++;
    return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
  }
}

export class KubeCluster {
  /** plural → `namespace/name` → object */
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private resourceVersion = 1000;
  private readonly pods = new Map<string, PodLifecycle>();
  private readonly podIPs = new AddressPool((10 << 24) | (244 << 16), 10);
  private readonly serviceIPs = new AddressPool(10 << 24, 11);
  private readonly loadBalancerTimers = new Map<string, () => void>();
  private readonly watchers = new Set<Watcher>();
  /** Recent changes, so that a watch from a resourceVersion replays what happened since. */
  private readonly history: { resourceVersion: number; plural: string; event: WatchEvent }[] = [];
  private reconcileQueued = false;
  private closed = false;
  private nodeCursor = 0;

  constructor(
    readonly info: ClusterInfo,
    private readonly host: ClusterHost,
  ) {
    for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
      this.systemCreate("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "kubernetes.io/metadata.name": name } } });
    }
    this.systemCreate("services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
      spec: { type: "ClusterIP", clusterIP: "10.0.0.1", ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 443 }] },
    });
    this.systemCreate("services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kube-dns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
      spec: { type: "ClusterIP", clusterIP: "10.0.0.10", ports: [{ name: "dns", port: 53, protocol: "UDP", targetPort: 53 }] },
    });
    const storageClass = (name: string, sku: string, isDefault: boolean): KubeObject => ({
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name, ...(isDefault ? { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } } : {}) },
      provisioner: "disk.csi.azure.com",
      parameters: { skuname: sku },
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    });
    this.systemCreate("storageclasses", storageClass("default", "StandardSSD_LRS", true));
    this.systemCreate("storageclasses", storageClass("managed-csi", "StandardSSD_LRS", false));
    this.systemCreate("storageclasses", storageClass("managed-csi-premium", "Premium_LRS", false));
  }

  // ---- store primitives ----------------------------------------------------------------------

  private bucket(plural: string): Map<string, KubeObject> {
    let bucket = this.objects.get(plural);
    if (bucket === undefined) {
      bucket = new Map();
      this.objects.set(plural, bucket);
    }
    return bucket;
  }

  private storeKey(namespace: string | undefined, name: string): string {
    return `${namespace ?? ""}/${name}`;
  }

  private nextVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  currentResourceVersion(): string {
    return String(this.resourceVersion);
  }

  /** A stored object (the live reference: callers must clone before handing it out). */
  private stored(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(plural)?.get(this.storeKey(namespace, name));
  }

  /** A copy of a stored object. */
  read(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.stored(plural, namespace, name);
    return object === undefined ? undefined : clone(object);
  }

  private put(plural: string, object: KubeObject): KubeObject {
    const metadata = metadataOf(object);
    metadata.resourceVersion = this.nextVersion();
    const bucket = this.bucket(plural);
    const key = this.storeKey(metadata.namespace as string | undefined, String(metadata.name));
    const type = bucket.has(key) ? "MODIFIED" : "ADDED";
    bucket.set(key, object);
    this.notify(plural, type, object);
    this.queueReconcile();
    return object;
  }

  private notify(plural: string, type: WatchEvent["type"], object: KubeObject): void {
    const resourceType = findByPluralInAnyGroup(plural);
    const event: WatchEvent = { type, object: resourceType === undefined ? clone(object) : this.withTypeMeta(resourceType, clone(object)) };
    this.history.push({ resourceVersion: Number(metadataOf(object).resourceVersion), plural, event });
    if (this.history.length > maxWatchHistory) this.history.splice(0, this.history.length - maxWatchHistory);
    for (const watcher of this.watchers) if (this.watcherWants(watcher, plural, event.object)) watcher.send(event);
  }

  private watcherWants(watcher: Watcher, plural: string, object: KubeObject): boolean {
    return watcher.plural === plural && (watcher.namespace === undefined || metadataOf(object).namespace === watcher.namespace) && watcher.matches(object);
  }

  /**
   * Streams changes of one resource type (optionally one namespace, filtered by selectors).
   * Without a resourceVersion (or with "0") the current objects come first as ADDED, as the API
   * server does; with one, only later changes. Returns the function that stops the watch.
   */
  watch(resourceType: ResourceType, namespace: string | undefined, labelSelector: string | null, fieldSelector: string | null, resourceVersion: string | null, send: (event: WatchEvent) => void): () => void {
    const initial = this.list(resourceType, namespace, labelSelector, fieldSelector);
    let requirements: ReturnType<typeof parseLabelSelector> = [];
    let fieldFilter: (object: KubeObject) => boolean = () => true;
    if (labelSelector !== null) requirements = parseLabelSelector(labelSelector);
    if (fieldSelector !== null) fieldFilter = parseFieldSelector(fieldSelector);
    const watcher: Watcher = {
      plural: resourceType.plural,
      namespace: resourceType.namespaced ? namespace : undefined,
      matches: (object) => {
        const labels = metadataOf(object).labels;
        return matchesRequirements(requirements, isRecord(labels) ? labels : {}) && fieldFilter(object);
      },
      send,
    };
    if (resourceVersion === null || resourceVersion === "" || resourceVersion === "0") {
      for (const item of Array.isArray(initial.items) ? initial.items.filter(isRecord) : []) send({ type: "ADDED", object: item });
    } else {
      const from = Number(resourceVersion);
      const oldest = this.history[0]?.resourceVersion ?? this.resourceVersion + 1;
      if (!Number.isInteger(from) || (from < oldest - 1 && from < this.resourceVersion)) {
        throw new KubeError(410, "Expired", `too old resource version: ${resourceVersion} (${oldest - 1})`);
      }
      for (const entry of this.history) if (entry.resourceVersion > from && this.watcherWants(watcher, entry.plural, entry.event.object)) send(entry.event);
    }
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private remove(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const bucket = this.objects.get(plural);
    const key = this.storeKey(namespace, name);
    const object = bucket?.get(key);
    if (object === undefined) return undefined;
    bucket?.delete(key);
    metadataOf(object).resourceVersion = this.nextVersion();
    this.notify(plural, "DELETED", object);
    this.afterRemove(plural, object);
    this.queueReconcile();
    return object;
  }

  private systemCreate(plural: string, object: KubeObject): KubeObject {
    const metadata = metadataOf(object);
    metadata.uid = randomUUID();
    metadata.creationTimestamp = new Date().toISOString();
    const resourceType = findByPluralInAnyGroup(plural);
    if (resourceType !== undefined) validateAndDefault(resourceType, object, undefined);
    this.afterWrite(plural, object, undefined);
    return this.put(plural, object);
  }

  // ---- API operations ------------------------------------------------------------------------

  private requireNamespace(resourceType: ResourceType, namespace: string | undefined): void {
    if (!resourceType.namespaced || namespace === undefined) return;
    const ns = this.stored("namespaces", undefined, namespace);
    if (ns === undefined) throw notFound("namespaces", namespace, "", "namespaces");
  }

  private requireObject(resourceType: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.stored(resourceType.plural, resourceType.namespaced ? namespace : undefined, name);
    if (object === undefined) throw notFound(qualifiedName(resourceType), name, resourceType.group, resourceType.plural);
    return object;
  }

  get(resourceType: ResourceType, namespace: string | undefined, name: string): KubeObject {
    return this.withTypeMeta(resourceType, clone(this.requireObject(resourceType, namespace, name)));
  }

  list(resourceType: ResourceType, namespace: string | undefined, labelSelector: string | null, fieldSelector: string | null): KubeObject {
    let requirements: ReturnType<typeof parseLabelSelector> = [];
    let fieldFilter: (object: KubeObject) => boolean = () => true;
    try {
      if (labelSelector !== null) requirements = parseLabelSelector(labelSelector);
      if (fieldSelector !== null) fieldFilter = parseFieldSelector(fieldSelector);
    } catch (error) {
      if (error instanceof SelectorError) throw new KubeError(400, "BadRequest", error.message);
      throw error;
    }
    const items = [...(this.objects.get(resourceType.plural)?.values() ?? [])]
      .filter((object) => {
        const metadata = metadataOf(object);
        if (resourceType.namespaced && namespace !== undefined && metadata.namespace !== namespace) return false;
        return matchesRequirements(requirements, isRecord(metadata.labels) ? metadata.labels : {}) && fieldFilter(object);
      })
      .sort((left, right) => String(metadataOf(left).namespace ?? "").localeCompare(String(metadataOf(right).namespace ?? "")) || String(metadataOf(left).name).localeCompare(String(metadataOf(right).name)))
      .map((object) => this.withTypeMeta(resourceType, clone(object)));
    return { kind: `${resourceType.kind}List`, apiVersion: groupVersion(resourceType), metadata: { resourceVersion: this.currentResourceVersion() }, items };
  }

  private withTypeMeta(resourceType: ResourceType, object: KubeObject): KubeObject {
    return { apiVersion: groupVersion(resourceType), kind: resourceType.kind, ...object };
  }

  /** Checks what the URL says against what the body says (name, namespace, kind, apiVersion). */
  private checkBody(resourceType: ResourceType, namespace: string | undefined, name: string | undefined, body: unknown): KubeObject {
    if (!isRecord(body)) throw new KubeError(400, "BadRequest", "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
    const object = clone(body);
    if (object.kind !== undefined && object.kind !== resourceType.kind) {
      throw new KubeError(400, "BadRequest", `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${groupVersion(resourceType)}) or kind ${String(object.kind)} is not ${resourceType.kind}`);
    }
    if (object.apiVersion !== undefined && object.apiVersion !== groupVersion(resourceType)) {
      throw new KubeError(400, "BadRequest", `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${groupVersion(resourceType)})`);
    }
    object.apiVersion = groupVersion(resourceType);
    object.kind = resourceType.kind;
    const metadata = metadataOf(object);
    if (!isRecord(body.metadata) && body.metadata !== undefined) throw new KubeError(400, "BadRequest", "metadata must be an object");
    if (resourceType.namespaced) {
      if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
        throw new KubeError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
      }
      metadata.namespace = namespace;
    } else delete metadata.namespace;
    if (name !== undefined) {
      if (metadata.name !== undefined && metadata.name !== name) throw new KubeError(400, "BadRequest", "the name of the object does not match the name on the URL");
      metadata.name = name;
    } else if (metadata.name === undefined && typeof metadata.generateName === "string") {
      metadata.name = `${metadata.generateName}${randomBytes(3).toString("hex").slice(0, 5)}`;
    }
    return object;
  }

  /**
   * Stores a write after validation and defaulting; leaves everything unchanged (same
   * resourceVersion) when nothing changed. Returns the stored object.
   */
  private commit(resourceType: ResourceType, before: KubeObject | undefined, after: KubeObject, options: WriteOptions, ownership: "update" | "applied", subresource?: "status"): { object: KubeObject; changed: boolean } {
    const metadata = metadataOf(after);
    const name = String(metadata.name ?? "");
    if (before !== undefined) {
      const beforeMeta = metadataOf(before);
      if (metadata.resourceVersion !== undefined && metadata.resourceVersion !== "" && metadata.resourceVersion !== beforeMeta.resourceVersion) {
        throw new KubeError(409, "Conflict", `Operation cannot be fulfilled on ${qualifiedName(resourceType)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, {
          name,
          ...(resourceType.group === "" ? {} : { group: resourceType.group }),
          kind: resourceType.plural,
        });
      }
      for (const field of ["uid", "creationTimestamp", "generation"]) metadata[field] = beforeMeta[field];
      if (beforeMeta.deletionTimestamp !== undefined) metadata.deletionTimestamp = beforeMeta.deletionTimestamp;
      if (subresource === "status") {
        const status = after.status;
        const merged = clone(before);
        merged.status = status;
        after = merged;
      } else if (resourceType.hasStatus) {
        if (before.status === undefined) delete after.status;
        else after.status = clone(before.status);
      }
    } else {
      metadata.uid = randomUUID();
      metadata.creationTimestamp = new Date().toISOString();
      if (resourceType.hasStatus) delete after.status;
    }
    delete metadata.resourceVersion;
    delete metadata.selfLink;
    const causes = validateAndDefault(resourceType, after, before);
    if (causes.length > 0) {
      throw new KubeError(422, "Invalid", invalidMessage(resourceType, name, causes), {
        name,
        ...(resourceType.group === "" ? {} : { group: resourceType.group }),
        kind: resourceType.kind,
        causes,
      });
    }
    const tracksGeneration = ["deployments", "statefulsets", "poddisruptionbudgets", "networkpolicies"].includes(resourceType.plural);
    if (tracksGeneration) {
      const specChanged = before === undefined || !deepEqual(before.spec, after.spec);
      metadata.generation = before === undefined ? 1 : Number(metadataOf(before).generation ?? 1) + (specChanged ? 1 : 0);
    }
    this.afterWrite(resourceType.plural, after, before);
    if (ownership === "update") {
      const manager = options.fieldManager ?? "unknown";
      recordUpdate(before, after, manager, !resourceType.hasStatus, new Date().toISOString(), subresource);
    }
    if (before !== undefined) {
      const comparable = clone(after);
      metadataOf(comparable).resourceVersion = metadataOf(before).resourceVersion;
      if (deepEqual(comparable, before)) return { object: this.withTypeMeta(resourceType, clone(before)), changed: false };
    }
    if (options.dryRun === true) {
      metadata.resourceVersion = before === undefined ? "" : metadataOf(before).resourceVersion;
      return { object: this.withTypeMeta(resourceType, after), changed: true };
    }
    const storedObject = this.put(resourceType.plural, after);
    if (resourceType.plural === "pods" && before === undefined) this.startPod(storedObject);
    return { object: this.withTypeMeta(resourceType, clone(storedObject)), changed: true };
  }

  create(resourceType: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions): KubeObject {
    this.requireNamespace(resourceType, namespace);
    const object = this.checkBody(resourceType, resourceType.namespaced ? namespace : undefined, undefined, body);
    const name = metadataOf(object).name;
    if (typeof name === "string" && this.stored(resourceType.plural, resourceType.namespaced ? namespace : undefined, name) !== undefined) {
      throw new KubeError(409, "AlreadyExists", `${qualifiedName(resourceType)} "${name}" already exists`, { name, ...(resourceType.group === "" ? {} : { group: resourceType.group }), kind: resourceType.plural });
    }
    if (metadataOf(object).resourceVersion !== undefined && metadataOf(object).resourceVersion !== "") {
      throw new KubeError(500, "InternalError", "resourceVersion should not be set on objects to be created");
    }
    return this.commit(resourceType, undefined, object, options, "update").object;
  }

  replace(resourceType: ResourceType, namespace: string | undefined, name: string, body: unknown, options: WriteOptions, subresource?: "status"): KubeObject {
    const before = this.requireObject(resourceType, namespace, name);
    const object = this.checkBody(resourceType, resourceType.namespaced ? namespace : undefined, name, body);
    return this.commit(resourceType, before, object, options, "update", subresource).object;
  }

  patch(resourceType: ResourceType, namespace: string | undefined, name: string, contentType: string, patchBody: unknown, options: WriteOptions & { force?: boolean }, subresource?: "status"): { object: KubeObject; created: boolean } {
    const ns = resourceType.namespaced ? namespace : undefined;
    const before = this.stored(resourceType.plural, ns, name);
    if (contentType === "application/apply-patch+yaml" || contentType === "application/apply-patch+cbor") {
      if (options.fieldManager === undefined || options.fieldManager === "") {
        throw new KubeError(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch", { causes: [{ reason: "FieldValueRequired", message: "Required value: is required for apply patch", field: "fieldManager" }] });
      }
      if (before === undefined) this.requireNamespace(resourceType, namespace);
      const applied = this.checkBody(resourceType, ns, name, patchBody);
      // Ownership is tracked on what is stored: a Secret's stringData is stored as data.
      if (resourceType.plural === "secrets") foldStringData(applied);
      const result = serverSideApply(before === undefined ? undefined : clone(before), applied, options.fieldManager, options.force === true, !resourceType.hasStatus, new Date().toISOString());
      if (result.kind === "conflicts") {
        const lines = result.conflicts.map((conflict) => `conflict with "${conflict.manager}": ${conflict.field}`);
        throw new KubeError(409, "Conflict", `Apply failed with ${result.conflicts.length} conflict${result.conflicts.length === 1 ? "" : "s"}: ${lines.join("\n")}`, {
          name,
          ...(resourceType.group === "" ? {} : { group: resourceType.group }),
          kind: resourceType.plural,
          causes: result.conflicts.map((conflict) => ({ reason: "FieldManagerConflict", message: `conflict with "${conflict.manager}"`, field: conflict.field })),
        });
      }
      if (!result.changed && before !== undefined) return { object: this.withTypeMeta(resourceType, clone(before)), created: false };
      return { object: this.commit(resourceType, before === undefined ? undefined : clone(before), result.object, options, "applied").object, created: before === undefined };
    }
    if (before === undefined) throw notFound(qualifiedName(resourceType), name, resourceType.group, resourceType.plural);
    let patched: unknown;
    try {
      if (contentType === "application/merge-patch+json") patched = mergePatch(clone(before), patchBody);
      else if (contentType === "application/strategic-merge-patch+json") patched = strategicMergePatch(clone(before), patchBody);
      else if (contentType === "application/json-patch+json") patched = jsonPatch(clone(before), patchBody);
      else throw new KubeError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
    } catch (error) {
      if (error instanceof JsonPatchError) throw new KubeError(422, "Invalid", `the server rejected our request due to an error in our request: ${error.message}`);
      throw error;
    }
    if (isRecord(patched) && isRecord(patched.metadata) && isRecord(patchBody) && !(isRecord(patchBody.metadata) && "resourceVersion" in patchBody.metadata)) {
      // A patch without a resourceVersion never conflicts.
      delete patched.metadata.resourceVersion;
    }
    const object = this.checkBody(resourceType, ns, name, patched);
    return { object: this.commit(resourceType, clone(before), object, options, "update", subresource).object, created: false };
  }

  delete(resourceType: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.requireObject(resourceType, namespace, name);
    const ns = resourceType.namespaced ? namespace : undefined;
    const removed = this.remove(resourceType.plural, ns, name) ?? object;
    const metadata = metadataOf(removed);
    // Objects with graceful deletion answer with the object; the rest with a Status.
    if (["pods", "namespaces", "deployments", "statefulsets", "services", "persistentvolumeclaims"].includes(resourceType.plural)) {
      const answer = this.withTypeMeta(resourceType, clone(removed));
      metadataOf(answer).deletionTimestamp = new Date().toISOString();
      if (resourceType.plural === "namespaces" && isRecord(answer.status)) answer.status.phase = "Terminating";
      return answer;
    }
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: { name, ...(resourceType.group === "" ? {} : { group: resourceType.group }), kind: resourceType.plural, uid: metadata.uid },
    };
  }

  /** Behind-the-back changes (drift) and the status writes of controllers: no field manager, no validation of ownership. */
  systemReplace(plural: string, namespace: string | undefined, name: string, mutate: (object: KubeObject) => KubeObject): boolean {
    const before = this.stored(plural, namespace, name);
    if (before === undefined) return false;
    const after = mutate(clone(before));
    metadataOf(after).name = name;
    if (namespace !== undefined) metadataOf(after).namespace = namespace;
    if (deepEqual(after, before)) return true;
    this.put(plural, after);
    return true;
  }

  systemDelete(plural: string, namespace: string | undefined, name: string): boolean {
    return this.remove(plural, namespace, name) !== undefined;
  }

  // ---- side effects of writes ----------------------------------------------------------------

  /** Fills in what the API server and its controllers add to an object on write. */
  private afterWrite(plural: string, object: KubeObject, before: KubeObject | undefined): void {
    const metadata = metadataOf(object);
    if (plural === "namespaces") {
      object.status = { phase: "Active" };
      if (!isRecord(metadata.labels)) metadata.labels = {};
      (metadata.labels as KubeObject)["kubernetes.io/metadata.name"] = metadata.name;
    }
    if (plural === "services" && isRecord(object.spec)) {
      const spec = object.spec;
      if (spec.type !== "ExternalName" && spec.clusterIP === undefined) spec.clusterIP = this.serviceIPs.take();
      if (typeof spec.clusterIP === "string") spec.clusterIPs = [spec.clusterIP];
      if (spec.type !== "ExternalName") {
        spec.ipFamilies = ["IPv4"];
        spec.ipFamilyPolicy = "SingleStack";
        spec.internalTrafficPolicy = spec.internalTrafficPolicy ?? "Cluster";
      }
      if (spec.type === "LoadBalancer" || spec.type === "NodePort") {
        spec.externalTrafficPolicy = spec.externalTrafficPolicy ?? "Cluster";
        const beforePorts = isRecord(before?.spec) && Array.isArray(before.spec.ports) ? before.spec.ports.filter(isRecord) : [];
        for (const port of Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : []) {
          if (port.nodePort === undefined) port.nodePort = beforePorts.find((candidate) => candidate.port === port.port)?.nodePort ?? 30000 + Math.floor(Math.random() * 2767);
        }
      }
      if (spec.type === "LoadBalancer") {
        if (spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
        object.status = isRecord(before?.status) && before.status.loadBalancer !== undefined ? clone(before.status) : { loadBalancer: {} };
      } else object.status = { loadBalancer: {} };
    }
    if (plural === "persistentvolumeclaims") {
      const spec = isRecord(object.spec) ? object.spec : {};
      if (spec.volumeName === undefined) spec.volumeName = `pvc-${String(metadata.uid)}`;
      const requests = isRecord(spec.resources) && isRecord(spec.resources.requests) ? spec.resources.requests : {};
      object.status = { phase: "Bound", accessModes: spec.accessModes, capacity: { storage: requests.storage } };
    }
    if (plural === "pods" && before === undefined) {
      const spec = isRecord(object.spec) ? object.spec : {};
      if (spec.serviceAccountName === undefined) spec.serviceAccountName = "default";
      if (spec.nodeName === undefined) {
        const node = this.pickNode();
        if (node !== undefined) spec.nodeName = node;
      }
      object.status = { phase: "Pending", qosClass: "BestEffort" };
    }
  }

  /** Cascades of a removal: namespace contents, owned objects, running pods, addresses. */
  private afterRemove(plural: string, object: KubeObject): void {
    const metadata = metadataOf(object);
    if (plural === "namespaces") {
      for (const [otherPlural, bucket] of this.objects) {
        for (const other of [...bucket.values()]) {
          if (metadataOf(other).namespace === metadata.name) this.remove(otherPlural, String(metadata.name), String(metadataOf(other).name));
        }
      }
    }
    if (plural === "pods") {
      const key = this.storeKey(metadata.namespace as string, String(metadata.name));
      this.pods.get(key)?.stop();
      this.pods.delete(key);
    }
    if (plural === "services") {
      const key = this.storeKey(metadata.namespace as string, String(metadata.name));
      this.loadBalancerTimers.get(key)?.();
      this.loadBalancerTimers.delete(key);
      for (const ip of this.externalIPs(object)) this.host.releaseExternalIP(ip);
      this.remove("endpoints", metadata.namespace as string, String(metadata.name));
    }
    // Garbage collection of dependents (Deployment/StatefulSet → pods).
    const uid = metadata.uid;
    for (const [otherPlural, bucket] of this.objects) {
      for (const other of [...bucket.values()]) {
        const owners = metadataOf(other).ownerReferences;
        if (Array.isArray(owners) && owners.some((owner) => isRecord(owner) && owner.uid === uid)) {
          this.remove(otherPlural, metadataOf(other).namespace as string | undefined, String(metadataOf(other).name));
        }
      }
    }
  }

  private externalIPs(service: KubeObject): string[] {
    const status = isRecord(service.status) ? service.status : {};
    const loadBalancer = isRecord(status.loadBalancer) ? status.loadBalancer : {};
    return (Array.isArray(loadBalancer.ingress) ? loadBalancer.ingress : []).filter(isRecord).map((entry) => String(entry.ip));
  }

  // ---- nodes ---------------------------------------------------------------------------------

  setNodePools(pools: NodePoolShape[]): void {
    const wanted = new Map<string, { pool: NodePoolShape; index: number }>();
    for (const pool of pools) {
      const suffix = shortHash(`${this.info.key}/${pool.name}`, 8);
      for (let index = 0; index < pool.count; index++) wanted.set(`aks-${pool.name}-${suffix}-vmss${index.toString(36).padStart(6, "0")}`, { pool, index });
    }
    for (const node of [...(this.objects.get("nodes")?.values() ?? [])]) {
      const name = String(metadataOf(node).name);
      if (wanted.has(name)) continue;
      this.remove("nodes", undefined, name);
      // Pods on a removed node are evicted; their controllers replace them elsewhere.
      for (const pod of [...(this.objects.get("pods")?.values() ?? [])]) {
        if (isRecord(pod.spec) && pod.spec.nodeName === name) this.remove("pods", metadataOf(pod).namespace as string, String(metadataOf(pod).name));
      }
    }
    for (const [name, { pool }] of wanted) {
      if (this.stored("nodes", undefined, name) !== undefined) continue;
      const size = findVmSize(pool.vmSize);
      this.systemCreate("nodes", {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name,
          labels: {
            agentpool: pool.name,
            "kubernetes.azure.com/agentpool": pool.name,
            "kubernetes.azure.com/mode": pool.mode.toLowerCase(),
            "node.kubernetes.io/instance-type": pool.vmSize,
            "topology.kubernetes.io/region": this.info.region,
            "kubernetes.io/os": "linux",
            "kubernetes.io/hostname": name,
          },
        },
        spec: { providerID: `azure:///subscriptions/${this.info.subscriptionId}/resourceGroups/mc_${this.info.resourceGroup}_${this.info.name}_${this.info.region}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}` },
        status: {
          capacity: { cpu: String(size?.vCpus ?? 2), memory: `${(size?.vCpus ?? 2) * 4}Gi`, pods: "110" },
          allocatable: { cpu: `${(size?.vCpus ?? 2) * 1000 - 140}m`, memory: `${(size?.vCpus ?? 2) * 3}Gi`, pods: "110" },
          conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
          nodeInfo: { kubeletVersion: `v${this.info.kubernetesVersion}`, osImage: "Ubuntu 22.04.5 LTS", containerRuntimeVersion: "containerd://1.7.27", architecture: "amd64", operatingSystem: "linux" },
        },
      });
    }
    this.scheduleWaitingPods();
  }

  /** Pods that waited for a node start on one once a pool has nodes again. */
  private scheduleWaitingPods(): void {
    for (const pod of [...(this.objects.get("pods")?.values() ?? [])]) {
      if (isRecord(pod.spec) && typeof pod.spec.nodeName === "string") continue;
      const node = this.pickNode();
      if (node === undefined) return;
      const metadata = metadataOf(pod);
      const key = this.storeKey(metadata.namespace as string, String(metadata.name));
      this.pods.get(key)?.stop();
      this.systemReplace("pods", metadata.namespace as string, String(metadata.name), (current) => ({ ...current, spec: { ...(isRecord(current.spec) ? current.spec : {}), nodeName: node } }));
      const stored = this.stored("pods", metadata.namespace as string, String(metadata.name));
      if (stored !== undefined) this.startPod(stored);
    }
  }

  private pickNode(): string | undefined {
    const nodes = [...(this.objects.get("nodes")?.keys() ?? [])].sort();
    if (nodes.length === 0) return undefined;
    const key = nodes[this.nodeCursor++ % nodes.length] ?? "";
    return key.slice(key.indexOf("/") + 1);
  }

  // ---- pods ----------------------------------------------------------------------------------

  private startPod(pod: KubeObject): void {
    const metadata = metadataOf(pod);
    const namespace = String(metadata.namespace);
    const name = String(metadata.name);
    const key = this.storeKey(namespace, name);
    const nodeName = isRecord(pod.spec) && typeof pod.spec.nodeName === "string" ? pod.spec.nodeName : undefined;
    const lifecycle = new PodLifecycle(
      {
        clock: this.host.clock,
        runtimes: this.host.runtimes,
        getObject: (plural, objectNamespace, objectName) => this.read(plural, objectNamespace, objectName),
        resolve: (fromNamespace, hostName, port) => this.host.resolve(this.info.key, fromNamespace, hostName, port),
        currentPod: () => this.read("pods", namespace, name),
        writeStatus: (status) => {
          this.systemReplace("pods", namespace, name, (current) => ({ ...current, status }));
        },
        probe: (container, port, path, headers) => this.host.probe(container, port, path, headers),
        recordDelay: (operation, startedAt, simulatedMs) => this.host.recordDelay(operation, startedAt, simulatedMs),
        log: (line) => this.host.log(`${this.info.key}: ${line}`),
      },
      {
        subscriptionId: this.info.subscriptionId,
        resourceGroup: this.info.resourceGroup,
        clusterName: this.info.name,
        region: this.info.region,
        namespace,
        podName: name,
      },
      () => this.podIPs.take(),
      nodeName,
    );
    this.pods.set(key, lifecycle);
  }

  podLifecycle(namespace: string, name: string): PodLifecycle | undefined {
    return this.pods.get(this.storeKey(namespace, name));
  }

  /** Pods (copies of the stored objects) with their lifecycle. */
  allPods(): { pod: KubeObject; lifecycle: PodLifecycle | undefined }[] {
    return this.storedPods().map(({ pod, lifecycle }) => ({ pod: clone(pod), lifecycle }));
  }

  /**
   * The stored pods themselves, for read-only use inside this class: address resolution runs for
   * every peer dial of every Besu node on each topology refresh, where copying every pod each time
   * saturated the simulator at 192 nodes.
   */
  private storedPods(): { pod: KubeObject; lifecycle: PodLifecycle | undefined }[] {
    return [...(this.objects.get("pods")?.values() ?? [])].map((pod) => ({
      pod,
      lifecycle: this.pods.get(this.storeKey(metadataOf(pod).namespace as string, String(metadataOf(pod).name))),
    }));
  }

  killPod(namespace: string, name: string): boolean {
    const lifecycle = this.pods.get(this.storeKey(namespace, name));
    if (lifecycle === undefined) return false;
    lifecycle.killContainers();
    return true;
  }

  // ---- networking ----------------------------------------------------------------------------

  /** Pods selected by a Service, with the container and port a service port leads to. */
  serviceEndpoints(service: KubeObject, servicePort: number): PodEndpoint[] {
    const metadata = metadataOf(service);
    const spec = isRecord(service.spec) ? service.spec : {};
    const port = (Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : []).find((candidate) => candidate.port === servicePort);
    if (port === undefined) return [];
    const endpoints: PodEndpoint[] = [];
    for (const { pod, lifecycle } of this.storedPods()) {
      const podMeta = metadataOf(pod);
      if (podMeta.namespace !== metadata.namespace || !matchesMapSelector(spec.selector, podMeta.labels) || lifecycle?.ip === undefined) continue;
      const target = this.targetOf(pod, port.targetPort ?? port.port);
      if (target !== undefined) endpoints.push(this.endpoint(pod, lifecycle.ip, target.container, target.port));
    }
    return endpoints;
  }

  private targetOf(pod: KubeObject, targetPort: unknown): { container: string; port: number } | undefined {
    const containers = isRecord(pod.spec) && Array.isArray(pod.spec.containers) ? pod.spec.containers.filter(isRecord) : [];
    for (const container of containers) {
      for (const port of Array.isArray(container.ports) ? container.ports.filter(isRecord) : []) {
        if (port.containerPort === targetPort || (typeof targetPort === "string" && port.name === targetPort)) return { container: String(container.name), port: Number(port.containerPort) };
      }
    }
    // A numeric target port reaches the pod even when no container declares it (as on a real network).
    const first = containers[0];
    return typeof targetPort === "number" && first !== undefined ? { container: String(first.name), port: targetPort } : undefined;
  }

  private endpoint(pod: KubeObject, ip: string, container: string, port: number): PodEndpoint {
    const metadata = metadataOf(pod);
    return {
      location: {
        subscriptionId: this.info.subscriptionId,
        resourceGroup: this.info.resourceGroup,
        clusterName: this.info.name,
        region: this.info.region,
        namespace: String(metadata.namespace),
        podName: String(metadata.name),
        podIP: ip,
      },
      containerName: container,
      port,
    };
  }

  /** Resolves an address as seen from inside this cluster (see `ContainerEnvironment.resolve`). */
  resolveLocal(fromNamespace: string, host: string, port: number): PodEndpoint[] | undefined {
    const services = [...(this.objects.get("services")?.values() ?? [])];
    for (const { pod, lifecycle } of this.storedPods()) {
      if (lifecycle?.ip === host) {
        const target = this.targetOf(pod, port);
        return target === undefined ? [] : [this.endpoint(pod, host, target.container, target.port)];
      }
    }
    const byClusterIP = services.find((service) => isRecord(service.spec) && service.spec.clusterIP === host && host !== "None");
    if (byClusterIP !== undefined) return this.serviceEndpoints(byClusterIP, port);
    const name = host.toLowerCase().replace(/\.$/, "").replace(/\.svc\.cluster\.local$/, "").replace(/\.svc$/, "");
    const parts = name.split(".");
    const findService = (serviceName: string, namespace: string): KubeObject | undefined => this.stored("services", namespace, serviceName);
    if (parts.length === 1 || parts.length === 2) {
      const service = findService(parts[0] ?? "", parts[1] ?? fromNamespace);
      if (service !== undefined) {
        if (isRecord(service.spec) && service.spec.clusterIP === "None") return this.headlessEndpoints(service, port);
        return this.serviceEndpoints(service, port);
      }
    }
    // <pod>.<headless service>[.<namespace>]: a StatefulSet pod's stable name.
    if (parts.length === 2 || parts.length === 3) {
      const [podName = "", serviceName = "", namespace = fromNamespace] = parts;
      const service = findService(serviceName, namespace);
      const pod = this.stored("pods", namespace, podName);
      const lifecycle = this.pods.get(this.storeKey(namespace, podName));
      if (service !== undefined && pod !== undefined && lifecycle?.ip !== undefined && isRecord(pod.spec) && pod.spec.subdomain === serviceName) {
        const target = this.targetOf(pod, port);
        return target === undefined ? [] : [this.endpoint(pod, lifecycle.ip, target.container, target.port)];
      }
    }
    return undefined;
  }

  private headlessEndpoints(service: KubeObject, port: number): PodEndpoint[] {
    const metadata = metadataOf(service);
    const spec = isRecord(service.spec) ? service.spec : {};
    return this.storedPods()
      .filter(({ pod, lifecycle }) => metadataOf(pod).namespace === metadata.namespace && matchesMapSelector(spec.selector, metadataOf(pod).labels) && lifecycle?.ip !== undefined)
      .flatMap(({ pod, lifecycle }) => {
        const target = this.targetOf(pod, port);
        return target === undefined || lifecycle?.ip === undefined ? [] : [this.endpoint(pod, lifecycle.ip, target.container, target.port)];
      });
  }

  /** The Service behind one of this cluster's LoadBalancer external IPs. */
  serviceByExternalIP(ip: string): KubeObject | undefined {
    return [...(this.objects.get("services")?.values() ?? [])].find((service) => this.externalIPs(service).includes(ip));
  }

  // ---- controllers ---------------------------------------------------------------------------

  private queueReconcile(): void {
    if (this.reconcileQueued || this.closed) return;
    this.reconcileQueued = true;
    this.host.clock.after(0, () => {
      this.reconcileQueued = false;
      if (!this.closed) this.reconcile();
    });
  }

  private reconcile(): void {
    for (const namespace of this.objects.get("namespaces")?.values() ?? []) {
      const name = String(metadataOf(namespace).name);
      if (this.stored("serviceaccounts", name, "default") === undefined) {
        this.systemCreate("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: name } });
      }
    }
    for (const deployment of [...(this.objects.get("deployments")?.values() ?? [])]) this.reconcileDeployment(deployment);
    for (const statefulSet of [...(this.objects.get("statefulsets")?.values() ?? [])]) this.reconcileStatefulSet(statefulSet);
    for (const service of [...(this.objects.get("services")?.values() ?? [])]) this.reconcileService(service);
  }

  private ownedPods(owner: KubeObject): KubeObject[] {
    const uid = metadataOf(owner).uid;
    return [...(this.objects.get("pods")?.values() ?? [])].filter((pod) => {
      const owners = metadataOf(pod).ownerReferences;
      return Array.isArray(owners) && owners.some((reference) => isRecord(reference) && reference.uid === uid);
    });
  }

  private podReady(pod: KubeObject): boolean {
    const metadata = metadataOf(pod);
    return this.pods.get(this.storeKey(metadata.namespace as string, String(metadata.name)))?.isReady() ?? false;
  }

  private createOwnedPod(owner: KubeObject, kind: string, name: string, labels: KubeObject, extraSpec: KubeObject): void {
    const ownerMeta = metadataOf(owner);
    const spec = isRecord(owner.spec) ? owner.spec : {};
    const template = isRecord(spec.template) ? clone(spec.template) : {};
    const templateMeta = isRecord(template.metadata) ? template.metadata : {};
    const pod: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        ...templateMeta,
        name,
        namespace: ownerMeta.namespace,
        labels: { ...(isRecord(templateMeta.labels) ? templateMeta.labels : {}), ...labels },
        ownerReferences: [{ apiVersion: "apps/v1", kind, name: ownerMeta.name, uid: ownerMeta.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...(isRecord(template.spec) ? template.spec : {}), ...extraSpec },
    };
    const podType = findByPlural("", "v1", "pods");
    if (podType === undefined) return;
    try {
      this.commit(podType, undefined, pod, { fieldManager: `${kind.toLowerCase()}-controller` }, "update");
    } catch (error) {
      this.host.log(`${this.info.key}: ${kind} ${String(ownerMeta.name)}: pod ${name} could not be created: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private writeWorkloadStatus(plural: string, object: KubeObject, status: KubeObject): void {
    const metadata = metadataOf(object);
    if (deepEqual(object.status, status)) return;
    this.systemReplace(plural, metadata.namespace as string, String(metadata.name), (current) => ({ ...current, status }));
  }

  private reconcileDeployment(deployment: KubeObject): void {
    const metadata = metadataOf(deployment);
    const spec = isRecord(deployment.spec) ? deployment.spec : {};
    const desired = Number(spec.replicas ?? 1);
    const templateHash = shortHash(spec.template);
    const pods = this.ownedPods(deployment);
    const isNew = (pod: KubeObject): boolean => isRecord(metadataOf(pod).labels) && (metadataOf(pod).labels as KubeObject)["pod-template-hash"] === templateHash;
    const newPods = pods.filter(isNew);
    const oldPods = pods.filter((pod) => !isNew(pod));
    const strategy = isRecord(spec.strategy) ? spec.strategy : {};
    const rolling = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
    let maxSurge = percentOf(rolling.maxSurge ?? "25%", desired, true);
    let maxUnavailable = percentOf(rolling.maxUnavailable ?? "25%", desired, false);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const deletePod = (pod: KubeObject): void => {
      this.remove("pods", metadataOf(pod).namespace as string, String(metadataOf(pod).name));
    };
    const byReadiness = (list: KubeObject[]): KubeObject[] => [...list].sort((left, right) => Number(this.podReady(left)) - Number(this.podReady(right)));
    if (strategy.type === "Recreate") {
      maxSurge = 0;
      if (oldPods.length > 0) oldPods.forEach(deletePod);
      else for (let index = newPods.length; index < desired; index++) this.createOwnedPod(deployment, "Deployment", `${String(metadata.name)}-${templateHash}-${randomBytes(3).toString("hex").slice(0, 5)}`, { "pod-template-hash": templateHash }, {});
    } else {
      let total = pods.length;
      let created = newPods.length;
      while (created < desired && total < desired + maxSurge) {
        this.createOwnedPod(deployment, "Deployment", `${String(metadata.name)}-${templateHash}-${randomBytes(3).toString("hex").slice(0, 5)}`, { "pod-template-hash": templateHash }, {});
        created++;
        total++;
      }
      for (const pod of byReadiness(newPods).slice(0, Math.max(0, newPods.length - desired))) deletePod(pod);
      let ready = pods.filter((pod) => this.podReady(pod)).length;
      const minAvailable = desired - maxUnavailable;
      for (const pod of byReadiness(oldPods)) {
        const podIsReady = this.podReady(pod);
        if (podIsReady && ready - 1 < minAvailable) break;
        deletePod(pod);
        if (podIsReady) ready--;
      }
    }
    const current = this.ownedPods(deployment);
    const readyCount = current.filter((pod) => this.podReady(pod)).length;
    const updated = current.filter(isNew).length;
    const now = new Date().toISOString();
    const available = readyCount >= desired - maxUnavailable;
    const complete = updated === desired && current.length === desired && readyCount === desired;
    const previous = isRecord(deployment.status) && Array.isArray(deployment.status.conditions) ? deployment.status.conditions.filter(isRecord) : [];
    const condition = (type: string, status: boolean, reason: string, message: string): KubeObject => {
      const before = previous.find((candidate) => candidate.type === type);
      const same = before !== undefined && before.status === (status ? "True" : "False") && before.reason === reason;
      return { type, status: status ? "True" : "False", lastUpdateTime: same ? before.lastUpdateTime : now, lastTransitionTime: same ? before.lastTransitionTime : now, reason, message };
    };
    this.writeWorkloadStatus("deployments", deployment, {
      observedGeneration: metadata.generation,
      replicas: current.length,
      updatedReplicas: updated,
      readyReplicas: readyCount,
      availableReplicas: readyCount,
      ...(desired - readyCount > 0 ? { unavailableReplicas: desired - readyCount } : {}),
      conditions: [
        condition("Available", available, available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable", available ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
        condition("Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated", complete ? `ReplicaSet "${String(metadata.name)}-${templateHash}" has successfully progressed.` : `ReplicaSet "${String(metadata.name)}-${templateHash}" is progressing.`),
      ],
    });
  }

  private reconcileStatefulSet(statefulSet: KubeObject): void {
    const metadata = metadataOf(statefulSet);
    const name = String(metadata.name);
    const namespace = String(metadata.namespace);
    const spec = isRecord(statefulSet.spec) ? statefulSet.spec : {};
    const desired = Number(spec.replicas ?? 1);
    const revision = `${name}-${shortHash(spec.template)}`;
    const parallel = spec.podManagementPolicy === "Parallel";
    const strategy = isRecord(spec.updateStrategy) ? spec.updateStrategy : {};
    const partition = isRecord(strategy.rollingUpdate) ? Number(strategy.rollingUpdate.partition ?? 0) : 0;
    const podAt = (ordinal: number): KubeObject | undefined => this.stored("pods", namespace, `${name}-${ordinal}`);
    const revisionOf = (pod: KubeObject): unknown => (isRecord(metadataOf(pod).labels) ? (metadataOf(pod).labels as KubeObject)["controller-revision-hash"] : undefined);
    const claims = Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates.filter(isRecord) : [];
    const pvcType = findByPlural("", "v1", "persistentvolumeclaims");

    // Scale up (in order unless Parallel), one pod at a time for OrderedReady.
    for (let ordinal = 0; ordinal < desired; ordinal++) {
      const pod = podAt(ordinal);
      if (pod !== undefined) {
        if (!parallel && !this.podReady(pod)) break;
        continue;
      }
      const podName = `${name}-${ordinal}`;
      for (const claim of claims) {
        const claimName = `${String(isRecord(claim.metadata) ? claim.metadata.name : "data")}-${podName}`;
        if (pvcType !== undefined && this.stored("persistentvolumeclaims", namespace, claimName) === undefined) {
          try {
            this.commit(pvcType, undefined, { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: claimName, namespace, labels: isRecord(spec.selector) && isRecord(spec.selector.matchLabels) ? spec.selector.matchLabels : {} }, spec: clone(claim.spec) }, { fieldManager: "statefulset-controller" }, "update");
          } catch (error) {
            this.host.log(`${this.info.key}: StatefulSet ${name}: claim ${claimName} could not be created: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }
      const template = isRecord(spec.template) ? spec.template : {};
      const templateSpec = isRecord(template.spec) ? template.spec : {};
      const volumes = [
        ...(Array.isArray(templateSpec.volumes) ? templateSpec.volumes : []),
        ...claims.map((claim) => {
          const claimName = String(isRecord(claim.metadata) ? claim.metadata.name : "data");
          return { name: claimName, persistentVolumeClaim: { claimName: `${claimName}-${podName}` } };
        }),
      ];
      this.createOwnedPod(
        statefulSet,
        "StatefulSet",
        podName,
        { "controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": podName, "apps.kubernetes.io/pod-index": String(ordinal) },
        { hostname: podName, ...(typeof spec.serviceName === "string" ? { subdomain: spec.serviceName } : {}), ...(volumes.length > 0 ? { volumes } : {}) },
      );
      if (!parallel) break;
    }
    // Scale down from the highest ordinal.
    const owned = this.ownedPods(statefulSet);
    const ordinalOf = (pod: KubeObject): number => Number(String(metadataOf(pod).name).slice(name.length + 1));
    const extra = owned.filter((pod) => ordinalOf(pod) >= desired).sort((left, right) => ordinalOf(right) - ordinalOf(left));
    for (const pod of parallel ? extra : extra.slice(0, 1)) this.remove("pods", namespace, String(metadataOf(pod).name));
    // Rolling update: highest ordinal first, one at a time, only while every pod is ready.
    if (strategy.type !== "OnDelete" && extra.length === 0) {
      const current = this.ownedPods(statefulSet);
      const allReady = current.length === desired && current.every((pod) => this.podReady(pod));
      if (allReady) {
        const stale = current.filter((pod) => revisionOf(pod) !== revision && ordinalOf(pod) >= partition).sort((left, right) => ordinalOf(right) - ordinalOf(left))[0];
        if (stale !== undefined) this.remove("pods", namespace, String(metadataOf(stale).name));
      }
    }
    const pods = this.ownedPods(statefulSet);
    const readyCount = pods.filter((pod) => this.podReady(pod)).length;
    const updated = pods.filter((pod) => revisionOf(pod) === revision).length;
    const previous = isRecord(statefulSet.status) ? statefulSet.status : {};
    const currentRevision = updated === desired && pods.length === desired ? revision : String(previous.currentRevision ?? revision);
    this.writeWorkloadStatus("statefulsets", statefulSet, {
      observedGeneration: metadata.generation,
      replicas: pods.length,
      readyReplicas: readyCount,
      currentReplicas: pods.filter((pod) => revisionOf(pod) === currentRevision).length,
      updatedReplicas: updated,
      availableReplicas: readyCount,
      currentRevision,
      updateRevision: revision,
      collisionCount: 0,
    });
  }

  private reconcileService(service: KubeObject): void {
    const metadata = metadataOf(service);
    const namespace = String(metadata.namespace);
    const name = String(metadata.name);
    const key = this.storeKey(namespace, name);
    const spec = isRecord(service.spec) ? service.spec : {};
    const ips = this.externalIPs(service);
    if (spec.type === "LoadBalancer" && ips.length === 0 && !this.loadBalancerTimers.has(key)) {
      // Azure takes 30–90 s to give a public IP to a new LoadBalancer Service.
      const requestedAt = new Date();
      const delay = jitteredDuration(this.info.region, ...loadBalancerDelay);
      const cancel = this.host.clock.after(delay, () => {
        this.loadBalancerTimers.delete(key);
        const current = this.stored("services", namespace, name);
        if (current === undefined || !isRecord(current.spec) || current.spec.type !== "LoadBalancer") return;
        this.host.recordDelay("services.loadBalancerIP", requestedAt, delay);
        const requested = typeof current.spec.loadBalancerIP === "string" && current.spec.loadBalancerIP !== "" ? current.spec.loadBalancerIP : undefined;
        const ip = requested ?? this.host.allocateExternalIP();
        this.systemReplace("services", namespace, name, (object) => ({ ...object, status: { loadBalancer: { ingress: [{ ip, ipMode: "VIP" }] } } }));
      });
      this.loadBalancerTimers.set(key, cancel);
    }
    if (spec.type !== "LoadBalancer" && ips.length > 0) {
      for (const ip of ips) this.host.releaseExternalIP(ip);
      this.systemReplace("services", namespace, name, (object) => ({ ...object, status: { loadBalancer: {} } }));
    }
    if (spec.selector === undefined) return;
    const ports = (Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : []).map((port) => ({ ...(port.name === undefined ? {} : { name: port.name }), port: typeof port.targetPort === "number" ? port.targetPort : port.port, protocol: port.protocol ?? "TCP" }));
    const addresses: KubeObject[] = [];
    const notReady: KubeObject[] = [];
    for (const { pod, lifecycle } of this.storedPods()) {
      const podMeta = metadataOf(pod);
      if (podMeta.namespace !== namespace || !matchesMapSelector(spec.selector, podMeta.labels) || lifecycle?.ip === undefined) continue;
      const address = { ip: lifecycle.ip, ...(isRecord(pod.spec) && typeof pod.spec.nodeName === "string" ? { nodeName: pod.spec.nodeName } : {}), targetRef: { kind: "Pod", name: podMeta.name, namespace, uid: podMeta.uid } };
      (lifecycle.isReady() ? addresses : notReady).push(address);
    }
    const subsets = addresses.length + notReady.length === 0 ? [] : [{ ...(addresses.length > 0 ? { addresses } : {}), ...(notReady.length > 0 ? { notReadyAddresses: notReady } : {}), ports }];
    const existing = this.stored("endpoints", namespace, name);
    if (existing === undefined) {
      this.systemCreate("endpoints", { apiVersion: "v1", kind: "Endpoints", metadata: { name, namespace, labels: isRecord(metadata.labels) ? metadata.labels : {} }, subsets });
    } else if (!deepEqual(existing.subsets, subsets)) {
      this.systemReplace("endpoints", namespace, name, (object) => ({ ...object, subsets }));
    }
  }

  close(): void {
    this.closed = true;
    this.watchers.clear();
    for (const cancel of this.loadBalancerTimers.values()) cancel();
    this.loadBalancerTimers.clear();
    for (const lifecycle of this.pods.values()) lifecycle.stop();
    this.pods.clear();
  }
}
