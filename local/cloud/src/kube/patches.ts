/**
 * The patch formats of the Kubernetes API other than apply: JSON merge patch (RFC 7386), strategic
 * merge patch (a merge patch in which the keyed lists of keyed-lists.ts merge by key and an element
 * with `$patch: delete` is removed), and JSON patch (RFC 6902), which throws JsonPatchError when
 * an operation cannot apply. Each returns a new document and leaves its input alone.
 * `patchDocument` picks one by the request's media type and answers as the API server does.
 */
import { isRecord } from "../http.js";
import { KubeError } from "./errors.js";
import { elementKey, sameElement } from "./keyed-lists.js";
import { clone, deepEqual, type KubeObject } from "./objects.js";

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

/**
 * A non-apply patch of a stored object, by the request's media type, with the API server's
 * answers: 415 for a media type it does not take, 422 for a JSON patch that cannot apply.
 */
export function patchDocument(contentType: string, document: unknown, patch: unknown): unknown {
  const patched = patchByType(contentType, document, patch);
  // A merge patch is a precondition on the resourceVersion only when it names one (a JSON patch
  // keeps the stored one unless an operation changes it).
  const dropsVersion = isRecord(patch) && !(isRecord(patch.metadata) && "resourceVersion" in patch.metadata);
  if (dropsVersion && isRecord(patched) && isRecord(patched.metadata)) delete patched.metadata.resourceVersion;
  return patched;
}

function patchByType(contentType: string, document: unknown, patch: unknown): unknown {
  try {
    if (contentType === "application/merge-patch+json") return mergePatch(document, patch);
    if (contentType === "application/strategic-merge-patch+json") return strategicMergePatch(document, patch);
    if (contentType === "application/json-patch+json") return jsonPatch(document, patch);
  } catch (error) {
    if (error instanceof JsonPatchError)
      throw new KubeError(
        422,
        "Invalid",
        `the server rejected our request due to an error in our request: ${error.message}`,
      );
    throw error;
  }
  throw new KubeError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
  );
}
