/**
 * Field ownership, as the API server records it in `metadata.managedFields`: server-side apply
 * (the applied configuration merged in, fields a manager stopped applying removed unless someone
 * else owns them, conflicts with other managers refused unless forced) and the ownership a plain
 * create, update or patch takes of the fields it changed. A simplified structured-merge-diff:
 * maps merge recursively, keyed lists (keyed-lists.ts) by key, every other value is replaced.
 */
import { isRecord } from "../http.js";
import {
  decodeFields,
  encodeFields,
  fieldsOf,
  removeAt,
  renderPath,
  serverMetadata,
  valueAt,
  type FieldPath,
} from "./field-sets.js";
import { elementKey, sameElement } from "./keyed-lists.js";
import { clone, deepEqual, type KubeObject } from "./objects.js";

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
