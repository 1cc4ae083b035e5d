/**
 * Field sets in FieldsV1 notation, the language of `metadata.managedFields`: the leaf fields and
 * keyed list elements an object sets (`f:<field>`, `k:<json key>` for a list element, `.` for the
 * element itself), their JSON tree encoding and decoding, and reading or removing the value at
 * such a path. Metadata the server owns is never in anyone's set.
 */
import { isRecord } from "../http.js";
import { elementKey, keyFieldValue } from "./keyed-lists.js";
import { deepEqual, type KubeObject } from "./objects.js";

/** A path in FieldsV1 notation: `f:<field>`, `k:<json key>` for a keyed list element, `.` for the element itself. */
export type FieldPath = readonly string[];

/** Metadata the server owns: never part of anyone's field set. */
export const serverMetadata = new Set([
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

function pathKey(path: FieldPath): string {
  return JSON.stringify(path);
}

/** The leaf fields (and keyed list elements) an object sets. */
export function fieldsOf(object: KubeObject, withStatus: boolean): Map<string, FieldPath> {
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
export function encodeFields(fields: Iterable<FieldPath>): KubeObject {
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

export function decodeFields(tree: unknown): Map<string, FieldPath> {
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
    isRecord(element) && Object.entries(key).every(([name, value]) => deepEqual(keyFieldValue(element, name), value))
  );
}

/** The value at a path, or undefined. */
export function valueAt(object: unknown, path: FieldPath): unknown {
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

export function removeAt(object: KubeObject, path: FieldPath): void {
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

/** `.spec.replicas`-style rendering of a path for conflict messages. */
export function renderPath(path: FieldPath): string {
  return path
    .filter((segment) => segment !== ".")
    .map((segment) => (segment.startsWith("f:") ? `.${segment.slice(2)}` : `[${segment.slice(2)}]`))
    .join("");
}
