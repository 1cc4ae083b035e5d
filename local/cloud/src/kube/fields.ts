/**
 * Field ownership and patches: server-side apply with `managedFields` (FieldsV1), JSON merge
 * patch, strategic merge patch (as far as the keyed lists we know), and JSON patch.
 *
 * A simplified model of the API server's structured-merge-diff: lists of containers, env, ports,
 * volumes, volumeMounts and the like merge by their key; every other list is atomic.
 */
import { isRecord } from "../http.js";

export type KubeObject = Record<string, unknown>;

/** A path in FieldsV1 notation: `f:<field>`, `k:<json key>` for a keyed list element, `.` for the element itself. */
type FieldPath = readonly string[];

/** List fields whose elements merge by a key, with that key's fields (as Kubernetes' list-map keys). */
const keyedLists: Readonly<Record<string, readonly string[]>> = {
  containers: ["name"],
  initContainers: ["name"],
  ephemeralContainers: ["name"],
  volumes: ["name"],
  env: ["name"],
  imagePullSecrets: ["name"],
  volumeMounts: ["mountPath"],
  volumeDevices: ["devicePath"],
  // Service ports and container ports are keyed by port AND protocol: TCP and UDP 30303 are two entries.
  ports: ["port", "protocol"],
};

/** The key of a keyed-list element (e.g. `{port: 30303, protocol: "UDP"}`), or undefined when the list is atomic. */
function elementKey(field: string, element: unknown): Record<string, unknown> | undefined {
  if (!isRecord(element)) return undefined;
  let names = keyedLists[field];
  if (field === "ports" && "containerPort" in element) names = ["containerPort", "protocol"];
  if (names === undefined || !((names[0] as string) in element)) return undefined;
  // The API server defaults a port's protocol to TCP before merging.
  return Object.fromEntries(names.map((name) => [name, element[name] ?? (name === "protocol" ? "TCP" : undefined)]));
}

function sameElement(field: string, left: unknown, right: unknown): boolean {
  const leftKey = elementKey(field, left);
  return leftKey !== undefined && deepEqual(leftKey, elementKey(field, right));
}

/** Metadata the server owns: never part of anyone's field set. */
const serverMetadata = new Set([
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "managedFields",
  "deletionTimestamp",
  "selfLink",
  "generateName",
]);

export function deepEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (Array.isArray(left) && Array.isArray(right))
    return left.length === right.length && left.every((value, index) => deepEqual(value, right[index]));
  if (isRecord(left) && isRecord(right)) {
    const keys = Object.keys(left);
    return (
      keys.length === Object.keys(right).length && keys.every((key) => key in right && deepEqual(left[key], right[key]))
    );
  }
  return false;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

function pathKey(path: FieldPath): string {
  return JSON.stringify(path);
}

/** The leaf fields (and keyed list elements) an object sets. */
function fieldsOf(object: KubeObject, withStatus: boolean): Map<string, FieldPath> {
  const fields = new Map<string, FieldPath>();
  const walk = (value: unknown, path: string[], field: string): void => {
    if (isRecord(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, `f:${key}`], key);
      return;
    }
    if (Array.isArray(value) && value.length > 0) {
      if (value.every((element) => elementKey(field, element) !== undefined)) {
        for (const element of value as KubeObject[]) {
          const elementPath = [...path, `k:${JSON.stringify(elementKey(field, element))}`];
          fields.set(pathKey([...elementPath, "."]), [...elementPath, "."]);
          for (const [childKey, child] of Object.entries(element))
            walk(child, [...elementPath, `f:${childKey}`], childKey);
        }
        return;
      }
    }
    fields.set(pathKey(path), path);
  };
  for (const [key, value] of Object.entries(object)) {
    if (key === "apiVersion" || key === "kind" || (key === "status" && !withStatus)) continue;
    if (key === "metadata" && isRecord(value)) {
      for (const [metaKey, metaValue] of Object.entries(value)) {
        if (!serverMetadata.has(metaKey)) walk(metaValue, ["f:metadata", `f:${metaKey}`], metaKey);
      }
      continue;
    }
    walk(value, [`f:${key}`], key);
  }
  return fields;
}

/** FieldsV1 JSON tree from a set of paths. */
function encodeFields(fields: Iterable<FieldPath>): KubeObject {
  const root: KubeObject = {};
  for (const path of fields) {
    let node = root;
    for (const segment of path) {
      const next = node[segment];
      if (isRecord(next)) node = next;
      else {
        const created: KubeObject = {};
        node[segment] = created;
        node = created;
      }
    }
  }
  return root;
}

function decodeFields(tree: unknown): Map<string, FieldPath> {
  const fields = new Map<string, FieldPath>();
  const walk = (node: unknown, path: string[]): void => {
    if (!isRecord(node) || Object.keys(node).length === 0) {
      if (path.length > 0) fields.set(pathKey(path), path);
      return;
    }
    for (const [segment, child] of Object.entries(node)) {
      if (segment === ".") fields.set(pathKey([...path, "."]), [...path, "."]);
      else walk(child, [...path, segment]);
    }
  };
  walk(tree, []);
  return fields;
}

function elementMatches(element: unknown, keySegment: string): boolean {
  const key = JSON.parse(keySegment.slice(2)) as Record<string, unknown>;
  return (
    isRecord(element) &&
    Object.entries(key).every(([name, value]) =>
      deepEqual(element[name] ?? (name === "protocol" ? "TCP" : undefined), value),
    )
  );
}

/** The value at a path, or undefined. */
function valueAt(object: unknown, path: FieldPath): unknown {
  let node = object;
  for (const segment of path) {
    if (segment === ".") return node;
    if (segment.startsWith("f:")) node = isRecord(node) ? node[segment.slice(2)] : undefined;
    else if (segment.startsWith("k:"))
      node = Array.isArray(node) ? node.find((element) => elementMatches(element, segment)) : undefined;
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

function removeAt(object: KubeObject, path: FieldPath): void {
  const parentPath = path[path.length - 1] === "." ? path.slice(0, -2) : path.slice(0, -1);
  const parent = valueAt(object, parentPath);
  const last = path[path.length - 1] === "." ? path[path.length - 2] : path[path.length - 1];
  if (last === undefined) return;
  if (last.startsWith("f:") && isRecord(parent)) delete parent[last.slice(2)];
  if (last.startsWith("k:") && Array.isArray(parent)) {
    const index = parent.findIndex((element) => elementMatches(element, last));
    if (index >= 0) parent.splice(index, 1);
  }
}

/** Merges an applied configuration into an object: maps recursively, keyed lists by key, the rest replaced. */
function mergeInto(target: KubeObject, applied: KubeObject): void {
  for (const [key, value] of Object.entries(applied)) {
    const current = target[key];
    if (isRecord(value) && isRecord(current)) {
      mergeInto(current, value);
    } else if (
      Array.isArray(value) &&
      Array.isArray(current) &&
      value.length > 0 &&
      elementKey(key, value[0]) !== undefined
    ) {
      for (const element of value as KubeObject[]) {
        const existing = current.find((candidate) => sameElement(key, candidate, element));
        if (isRecord(existing)) mergeInto(existing, element);
        else current.push(clone(element));
      }
    } else {
      target[key] = clone(value);
    }
  }
}

interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  fieldsType: "FieldsV1";
  fieldsV1: KubeObject;
  subresource?: string;
}

function managedFieldsOf(object: KubeObject | undefined): ManagedFieldsEntry[] {
  const metadata = object?.metadata;
  if (!isRecord(metadata) || !Array.isArray(metadata.managedFields)) return [];
  return metadata.managedFields.filter(
    (entry): entry is ManagedFieldsEntry => isRecord(entry) && typeof entry.manager === "string",
  );
}

interface ApplyConflict {
  manager: string;
  field: string;
}

/** `.spec.replicas`-style rendering of a path for conflict messages. */
function renderPath(path: FieldPath): string {
  return path
    .filter((segment) => segment !== ".")
    .map((segment) => (segment.startsWith("f:") ? `.${segment.slice(2)}` : `[${segment.slice(2)}]`))
    .join("");
}

type ApplyResult =
  { kind: "conflicts"; conflicts: ApplyConflict[] } | { kind: "applied"; object: KubeObject; changed: boolean };

/**
 * Server-side apply of `applied` by `manager` onto `existing` (undefined: the object is new).
 * `withStatus`: the resource has no status subresource, so status is part of the object.
 */
export function serverSideApply(
  existing: KubeObject | undefined,
  applied: KubeObject,
  manager: string,
  force: boolean,
  withStatus: boolean,
  now: string,
): ApplyResult {
  const appliedFields = fieldsOf(applied, withStatus);
  const entries = managedFieldsOf(existing).map((entry) => ({ entry, fields: decodeFields(entry.fieldsV1) }));
  const isMine = (entry: ManagedFieldsEntry): boolean =>
    entry.manager === manager && entry.operation === "Apply" && entry.subresource === undefined;
  const conflicts: ApplyConflict[] = [];
  for (const { entry, fields } of entries) {
    if (isMine(entry)) continue;
    for (const [key, path] of appliedFields) {
      if (!fields.has(key) || path[path.length - 1] === ".") continue;
      if (!deepEqual(valueAt(existing, path), valueAt(applied, path))) {
        if (force) fields.delete(key);
        else conflicts.push({ manager: entry.manager, field: renderPath(path) });
      }
    }
  }
  if (conflicts.length > 0) return { kind: "conflicts", conflicts };

  const object = clone(existing ?? {});
  const mine = entries.find(({ entry }) => isMine(entry));
  if (mine !== undefined) {
    const ownedByOthers = new Set(
      entries.filter((candidate) => candidate !== mine).flatMap(({ fields }) => [...fields.keys()]),
    );
    // Fields this manager applied before and no longer applies go away unless someone else owns them.
    const dropped = [...mine.fields]
      .filter(([key]) => !appliedFields.has(key) && !ownedByOthers.has(key))
      .map(([, path]) => path);
    dropped.sort((left, right) => right.length - left.length);
    for (const path of dropped) removeAt(object, path);
  }
  mergeInto(object, stripServerMetadata(applied));

  const otherEntries = entries
    .filter((candidate) => candidate !== mine && candidate.fields.size > 0)
    .map(({ entry, fields }) => ({ ...entry, fieldsV1: encodeFields(fields.values()) }));
  const previousMine = mine?.entry;
  const sameFields =
    previousMine !== undefined && deepEqual(previousMine.fieldsV1, encodeFields(appliedFields.values()));
  const beforeContent = existing === undefined ? undefined : withoutManagedFields(existing);
  const changed =
    beforeContent === undefined ||
    !deepEqual(withoutManagedFields(object), beforeContent) ||
    !sameFields ||
    entries.some(({ entry, fields }) => !isMine(entry) && !deepEqual(entry.fieldsV1, encodeFields(fields.values())));
  const myEntry: ManagedFieldsEntry = {
    manager,
    operation: "Apply",
    apiVersion: typeof applied.apiVersion === "string" ? applied.apiVersion : "v1",
    time: changed || previousMine === undefined ? now : previousMine.time,
    fieldsType: "FieldsV1",
    fieldsV1: encodeFields(appliedFields.values()),
  };
  setManagedFields(object, [...otherEntries, myEntry]);
  return { kind: "applied", object, changed };
}

/**
 * Ownership after a non-apply write (create, update, patch) by `manager`: it takes the fields it
 * changed; fields that disappeared leave every manager.
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  manager: string,
  withStatus: boolean,
  now: string,
  subresource?: string,
): void {
  const beforeFields =
    before === undefined ? new Map<string, FieldPath>() : fieldsOf(before, withStatus || subresource === "status");
  const afterFields = fieldsOf(after, withStatus || subresource === "status");
  const changed = [...afterFields].filter(
    ([key, path]) => !beforeFields.has(key) || !deepEqual(valueAt(before, path), valueAt(after, path)),
  );
  const changedKeys = new Set(changed.map(([key]) => key));
  const entries = managedFieldsOf(before).map((entry) => {
    const fields = decodeFields(entry.fieldsV1);
    for (const key of [...fields.keys()]) if (!afterFields.has(key) || changedKeys.has(key)) fields.delete(key);
    return { entry, fields };
  });
  let mine = entries.find(
    ({ entry }) => entry.manager === manager && entry.operation === "Update" && entry.subresource === subresource,
  );
  if (mine === undefined && changed.length > 0) {
    mine = {
      entry: {
        manager,
        operation: "Update",
        apiVersion: typeof after.apiVersion === "string" ? after.apiVersion : "v1",
        time: now,
        fieldsType: "FieldsV1",
        fieldsV1: {},
        ...(subresource === undefined ? {} : { subresource }),
      },
      fields: new Map(),
    };
    entries.push(mine);
  }
  if (mine !== undefined && changed.length > 0) {
    for (const [key, path] of changed) mine.fields.set(key, path);
    mine.entry = { ...mine.entry, time: now };
  }
  setManagedFields(
    after,
    entries
      .filter(({ fields }) => fields.size > 0)
      .map(({ entry, fields }) => ({ ...entry, fieldsV1: encodeFields(fields.values()) })),
  );
}

function setManagedFields(object: KubeObject, entries: ManagedFieldsEntry[]): void {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  object.metadata = metadata;
  if (entries.length === 0) delete metadata.managedFields;
  else metadata.managedFields = entries;
}

function withoutManagedFields(object: KubeObject): KubeObject {
  const copy = clone(object);
  if (isRecord(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

function stripServerMetadata(applied: KubeObject): KubeObject {
  const copy = clone(applied);
  if (isRecord(copy.metadata)) {
    for (const key of serverMetadata) if (key !== "name" && key !== "namespace") delete copy.metadata[key];
  }
  return copy;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const result: KubeObject = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Strategic merge patch: a merge patch in which the keyed lists we know merge by key. */
export function strategicMergePatch(target: unknown, patch: unknown, field = ""): unknown {
  if (Array.isArray(patch) && Array.isArray(target) && patch.length > 0 && elementKey(field, patch[0]) !== undefined) {
    const result = clone(target) as unknown[];
    for (const element of patch) {
      if (!isRecord(element)) continue;
      const index = result.findIndex((candidate) => sameElement(field, candidate, element));
      if (element.$patch === "delete") {
        if (index >= 0) result.splice(index, 1);
      } else if (index >= 0) result[index] = strategicMergePatch(result[index], element);
      else result.push(clone(element));
    }
    return result;
  }
  if (!isRecord(patch)) return clone(patch);
  const result: KubeObject = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = strategicMergePatch(result[key], value, key);
  }
  return result;
}

export class JsonPatchError extends Error {}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new JsonPatchError(`invalid JSON pointer '${pointer}'`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function containerAt(document: unknown, tokens: string[]): unknown {
  let node = document;
  for (const token of tokens) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isRecord(node)) node = node[token];
    else return undefined;
  }
  return node;
}

/** RFC 6902 JSON patch. Throws JsonPatchError when an operation cannot apply. */
export function jsonPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new JsonPatchError("a JSON patch must be an array of operations");
  let result = clone(document);
  for (const operation of operations) {
    if (!isRecord(operation) || typeof operation.op !== "string" || typeof operation.path !== "string")
      throw new JsonPatchError("each operation needs 'op' and 'path'");
    const tokens = parsePointer(operation.path);
    const last = tokens[tokens.length - 1];
    const parent = containerAt(result, tokens.slice(0, -1));
    const read = (pointer: unknown): unknown => {
      if (typeof pointer !== "string") throw new JsonPatchError("'from' must be a JSON pointer");
      const value = containerAt(result, parsePointer(pointer));
      if (value === undefined) throw new JsonPatchError(`'${pointer}' does not exist`);
      return clone(value);
    };
    const remove = (): void => {
      if (Array.isArray(parent) && last !== undefined && Number(last) < parent.length) parent.splice(Number(last), 1);
      else if (isRecord(parent) && last !== undefined && last in parent) delete parent[last];
      else throw new JsonPatchError(`path '${operation.path}' does not exist`);
    };
    const add = (value: unknown): void => {
      if (last === undefined) {
        result = value;
        return;
      }
      if (Array.isArray(parent)) {
        const index = last === "-" ? parent.length : Number(last);
        if (!Number.isInteger(index) || index < 0 || index > parent.length)
          throw new JsonPatchError(`index '${last}' out of range`);
        parent.splice(index, 0, value);
      } else if (isRecord(parent)) parent[last] = value;
      else throw new JsonPatchError(`the parent of '${operation.path}' does not exist`);
    };
    switch (operation.op) {
      case "add":
        add(clone(operation.value));
        break;
      case "remove":
        remove();
        break;
      case "replace":
        remove();
        add(clone(operation.value));
        break;
      case "move": {
        const value = read(operation.from);
        const fromTokens = parsePointer(String(operation.from));
        const fromParent = containerAt(result, fromTokens.slice(0, -1));
        const fromLast = fromTokens[fromTokens.length - 1] ?? "";
        if (Array.isArray(fromParent)) fromParent.splice(Number(fromLast), 1);
        else if (isRecord(fromParent)) delete fromParent[fromLast];
        add(value);
        break;
      }
      case "copy":
        add(read(operation.from));
        break;
      case "test":
        if (!deepEqual(containerAt(result, tokens), operation.value))
          throw new JsonPatchError(`test failed at '${operation.path}'`);
        break;
      default:
        throw new JsonPatchError(`unknown operation '${operation.op}'`);
    }
  }
  return result;
}
