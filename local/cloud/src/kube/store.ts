/**
 * The object store of one simulated cluster (its etcd): objects by resource type (plural) and
 * `namespace/name`, and the cluster-wide resourceVersion that every change takes the next value
 * of. It knows no API semantics; whoever builds it hears of every change through one callback,
 * after the change is in place (watches, cascades of a removal, the controllers' queue).
 */
import { clone, deepEqual, metadataOf, objectKey, type KubeObject } from "./objects.js";

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

export type ChangeListener = (plural: string, type: ChangeType, object: KubeObject) => void;

export class ObjectStore {
  /** plural → `namespace/name` → object */
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private version = 1000;

  constructor(private readonly changed: ChangeListener) {}

  /** The resourceVersion of the latest change. */
  get resourceVersion(): number {
    return this.version;
  }

  /** The stored object itself: callers must not change it, and clone it before handing it out. */
  stored(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(plural)?.get(objectKey(namespace, name));
  }

  /** A copy of a stored object. */
  read(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.stored(plural, namespace, name);
    return object === undefined ? undefined : clone(object);
  }

  /** The stored objects of one type, in the order they were first stored (live, read-only). */
  all(plural: string): KubeObject[] {
    return [...(this.objects.get(plural)?.values() ?? [])];
  }

  /** Every type with its stored objects; each type's list is taken when the iteration reaches it. */
  *allByType(): Generator<[string, KubeObject[]]> {
    for (const [plural, bucket] of this.objects) yield [plural, [...bucket.values()]];
  }

  /** Stores the object (added or replacing the one with its name) under the next resourceVersion. */
  put(plural: string, object: KubeObject): KubeObject {
    const metadata = metadataOf(object);
    metadata.resourceVersion = this.nextVersion();
    let bucket = this.objects.get(plural);
    if (bucket === undefined) {
      bucket = new Map();
      this.objects.set(plural, bucket);
    }
    const key = objectKey(metadata.namespace as string | undefined, String(metadata.name));
    const type = bucket.has(key) ? "MODIFIED" : "ADDED";
    bucket.set(key, object);
    this.changed(plural, type, object);
    return object;
  }

  /** Takes the object away; its last state carries the resourceVersion of its deletion. */
  remove(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const bucket = this.objects.get(plural);
    const key = objectKey(namespace, name);
    const object = bucket?.get(key);
    if (object === undefined) return undefined;
    bucket?.delete(key);
    metadataOf(object).resourceVersion = this.nextVersion();
    this.changed(plural, "DELETED", object);
    return object;
  }

  /**
   * Changes an object outside the API (behind-the-back drift, the status writes of controllers and
   * kubelets): no validation, no field manager; nothing is stored when nothing changed. False when
   * there is no such object.
   */
  update(
    plural: string,
    namespace: string | undefined,
    name: string,
    mutate: (object: KubeObject) => KubeObject,
  ): boolean {
    const before = this.stored(plural, namespace, name);
    if (before === undefined) return false;
    const after = mutate(clone(before));
    metadataOf(after).name = name;
    if (namespace !== undefined) metadataOf(after).namespace = namespace;
    if (deepEqual(after, before)) return true;
    this.put(plural, after);
    return true;
  }

  private nextVersion(): string {
    this.version += 1;
    return String(this.version);
  }
}
