/**
 * The write verbs of a cluster's API: create, replace (also of the status subresource), patch
 * (JSON merge, strategic merge, JSON patch, server-side apply) and delete. Each write is checked
 * against the URL, against the stored resourceVersion (409 Conflict), validated and defaulted
 * (validate.ts), recorded in managedFields (managed-fields.ts), completed with what the server
 * fills in (server-fields.ts) and stored only when something changed, with the Status errors a
 * client sees.
 * The cluster's own writes (its seed objects, controllers' creates) come in here too.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { isRecord } from "../http.js";
import { findByPluralInAnyGroup, groupVersion, qualifiedName, type ResourceType } from "./catalog.js";
import { KubeError, notFound, objectDetails, objectNotFound } from "./errors.js";
import { recordUpdate, serverSideApply } from "./managed-fields.js";
import { clone, deepEqual, metadataOf, withTypeMeta, type KubeObject } from "./objects.js";
import { patchDocument } from "./patches.js";
import { requireObject } from "./reads.js";
import type { ObjectStore } from "./store.js";
import { foldStringData, invalidMessage, validateAndDefault } from "./validate.js";

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
}

/** What the rest of the cluster adds to a write. */
export interface WriteHooks {
  /** Fills in, in place, what the server and its controllers add on write (see server-fields.ts). */
  fillServerFields(plural: string, object: KubeObject, before: KubeObject | undefined): void;
  /** A new pod is stored: its kubelet takes it on. */
  podCreated(pod: KubeObject): void;
}

/** Types whose `metadata.generation` counts changes of their spec. */
const generationTracked = new Set(["deployments", "statefulsets", "poddisruptionbudgets", "networkpolicies"]);

/** Types deleted gracefully: a delete answers with the object (marked for deletion), the rest with a Status. */
const gracefullyDeleted = new Set([
  "pods",
  "namespaces",
  "deployments",
  "statefulsets",
  "services",
  "persistentvolumeclaims",
]);

const applyPatchTypes = new Set(["application/apply-patch+yaml", "application/apply-patch+cbor"]);

export class ObjectWrites {
  constructor(
    private readonly store: ObjectStore,
    private readonly hooks: WriteHooks,
  ) {}

  create(resourceType: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions): KubeObject {
    this.requireNamespace(resourceType, namespace);
    const object = this.checkBody(resourceType, resourceType.namespaced ? namespace : undefined, undefined, body);
    const name = metadataOf(object).name;
    if (
      typeof name === "string" &&
      this.store.stored(resourceType.plural, resourceType.namespaced ? namespace : undefined, name) !== undefined
    ) {
      throw new KubeError(
        409,
        "AlreadyExists",
        `${qualifiedName(resourceType)} "${name}" already exists`,
        objectDetails(resourceType, name),
      );
    }
    if (metadataOf(object).resourceVersion !== undefined && metadataOf(object).resourceVersion !== "") {
      throw new KubeError(500, "InternalError", "resourceVersion should not be set on objects to be created");
    }
    return this.commit(resourceType, undefined, object, options, "update");
  }

  replace(
    resourceType: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions,
    subresource?: "status",
  ): KubeObject {
    const before = requireObject(this.store, resourceType, namespace, name);
    const object = this.checkBody(resourceType, resourceType.namespaced ? namespace : undefined, name, body);
    return this.commit(resourceType, before, object, options, "update", subresource);
  }

  patch(
    resourceType: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patchBody: unknown,
    options: WriteOptions & { force?: boolean },
    subresource?: "status",
  ): { object: KubeObject; created: boolean } {
    if (applyPatchTypes.has(contentType)) return this.apply(resourceType, namespace, name, patchBody, options);
    const ns = resourceType.namespaced ? namespace : undefined;
    const before = this.store.stored(resourceType.plural, ns, name);
    if (before === undefined) throw objectNotFound(resourceType, name);
    const patched = patchDocument(contentType, clone(before), patchBody);
    const object = this.checkBody(resourceType, ns, name, patched);
    return { object: this.commit(resourceType, clone(before), object, options, "update", subresource), created: false };
  }

  delete(resourceType: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = requireObject(this.store, resourceType, namespace, name);
    const removed =
      this.store.remove(resourceType.plural, resourceType.namespaced ? namespace : undefined, name) ?? object;
    if (gracefullyDeleted.has(resourceType.plural)) {
      const answer = withTypeMeta(resourceType, clone(removed));
      metadataOf(answer).deletionTimestamp = new Date().toISOString();
      if (resourceType.plural === "namespaces" && isRecord(answer.status)) answer.status.phase = "Terminating";
      return answer;
    }
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: { ...objectDetails(resourceType, name), uid: metadataOf(removed).uid },
    };
  }

  /** A controller creates an object: no request to check, but validation, defaults and managedFields as for any client. */
  createAs(fieldManager: string, resourceType: ResourceType, object: KubeObject): void {
    this.commit(resourceType, undefined, object, { fieldManager }, "update");
  }

  /** What the cluster creates itself (its seed objects, nodes, endpoints, service accounts): defaulted, never refused. */
  systemCreate(plural: string, object: KubeObject): KubeObject {
    const metadata = metadataOf(object);
    metadata.uid = randomUUID();
    metadata.creationTimestamp = new Date().toISOString();
    const resourceType = findByPluralInAnyGroup(plural);
    if (resourceType !== undefined) validateAndDefault(resourceType, object, undefined);
    this.hooks.fillServerFields(plural, object, undefined);
    return this.store.put(plural, object);
  }

  /** Server-side apply: the applied configuration merges into what is stored, field owners decide conflicts. */
  private apply(
    resourceType: ResourceType,
    namespace: string | undefined,
    name: string,
    patchBody: unknown,
    options: WriteOptions & { force?: boolean },
  ): { object: KubeObject; created: boolean } {
    const ns = resourceType.namespaced ? namespace : undefined;
    const before = this.store.stored(resourceType.plural, ns, name);
    if (options.fieldManager === undefined || options.fieldManager === "") {
      throw new KubeError(
        422,
        "Invalid",
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        {
          causes: [
            {
              reason: "FieldValueRequired",
              message: "Required value: is required for apply patch",
              field: "fieldManager",
            },
          ],
        },
      );
    }
    if (before === undefined) this.requireNamespace(resourceType, namespace);
    const applied = this.checkBody(resourceType, ns, name, patchBody);
    // Ownership is tracked on what is stored: a Secret's stringData is stored as data.
    if (resourceType.plural === "secrets") foldStringData(applied);
    const result = serverSideApply(
      before === undefined ? undefined : clone(before),
      applied,
      options.fieldManager,
      options.force === true,
      !resourceType.hasStatus,
      new Date().toISOString(),
    );
    if (result.kind === "conflicts") {
      const lines = result.conflicts.map((conflict) => `conflict with "${conflict.manager}": ${conflict.field}`);
      throw new KubeError(
        409,
        "Conflict",
        `Apply failed with ${result.conflicts.length} conflict${result.conflicts.length === 1 ? "" : "s"}: ${lines.join("\n")}`,
        {
          ...objectDetails(resourceType, name),
          causes: result.conflicts.map((conflict) => ({
            reason: "FieldManagerConflict",
            message: `conflict with "${conflict.manager}"`,
            field: conflict.field,
          })),
        },
      );
    }
    if (!result.changed && before !== undefined)
      return { object: withTypeMeta(resourceType, clone(before)), created: false };
    return {
      object: this.commit(
        resourceType,
        before === undefined ? undefined : clone(before),
        result.object,
        options,
        "applied",
      ),
      created: before === undefined,
    };
  }

  private requireNamespace(resourceType: ResourceType, namespace: string | undefined): void {
    if (!resourceType.namespaced || namespace === undefined) return;
    if (this.store.stored("namespaces", undefined, namespace) === undefined)
      throw notFound("namespaces", namespace, "", "namespaces");
  }

  /** Checks what the URL says against what the body says (name, namespace, kind, apiVersion); returns a copy of the body to store. */
  private checkBody(
    resourceType: ResourceType,
    namespace: string | undefined,
    name: string | undefined,
    body: unknown,
  ): KubeObject {
    if (!isRecord(body))
      throw new KubeError(
        400,
        "BadRequest",
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml",
      );
    const object = clone(body);
    if (object.kind !== undefined && object.kind !== resourceType.kind) {
      throw new KubeError(
        400,
        "BadRequest",
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${groupVersion(resourceType)}) or kind ${String(object.kind)} is not ${resourceType.kind}`,
      );
    }
    if (object.apiVersion !== undefined && object.apiVersion !== groupVersion(resourceType)) {
      throw new KubeError(
        400,
        "BadRequest",
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${groupVersion(resourceType)})`,
      );
    }
    object.apiVersion = groupVersion(resourceType);
    object.kind = resourceType.kind;
    const metadata = metadataOf(object);
    if (!isRecord(body.metadata) && body.metadata !== undefined)
      throw new KubeError(400, "BadRequest", "metadata must be an object");
    if (resourceType.namespaced) {
      if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
        throw new KubeError(
          400,
          "BadRequest",
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      metadata.namespace = namespace;
    } else delete metadata.namespace;
    if (name !== undefined) {
      if (metadata.name !== undefined && metadata.name !== name)
        throw new KubeError(400, "BadRequest", "the name of the object does not match the name on the URL");
      metadata.name = name;
    } else if (metadata.name === undefined && typeof metadata.generateName === "string") {
      metadata.name = `${metadata.generateName}${randomBytes(3).toString("hex").slice(0, 5)}`;
    }
    return object;
  }

  /**
   * Stores a write after validation and defaulting; stores nothing (same resourceVersion) when
   * nothing changed. Returns the object as the API answers it.
   */
  private commit(
    resourceType: ResourceType,
    before: KubeObject | undefined,
    requested: KubeObject,
    options: WriteOptions,
    ownership: "update" | "applied",
    subresource?: "status",
  ): KubeObject {
    // NOTE: server-owned metadata is set on the request's metadata, even for a status write, where
    // the stored object (with its own metadata) takes only the request's status.
    const metadata = metadataOf(requested);
    const name = String(metadata.name ?? "");
    const after =
      before === undefined
        ? asCreated(resourceType, requested)
        : asUpdateOf(resourceType, before, requested, subresource);
    delete metadata.resourceVersion;
    delete metadata.selfLink;
    const causes = validateAndDefault(resourceType, after, before);
    if (causes.length > 0) {
      throw new KubeError(422, "Invalid", invalidMessage(resourceType, name, causes), {
        ...objectDetails(resourceType, name),
        kind: resourceType.kind,
        causes,
      });
    }
    if (generationTracked.has(resourceType.plural)) {
      const specChanged = before === undefined || !deepEqual(before.spec, after.spec);
      metadata.generation =
        before === undefined ? 1 : Number(metadataOf(before).generation ?? 1) + (specChanged ? 1 : 0);
    }
    this.hooks.fillServerFields(resourceType.plural, after, before);
    if (ownership === "update")
      recordUpdate(
        before,
        after,
        options.fieldManager ?? "unknown",
        !resourceType.hasStatus,
        new Date().toISOString(),
        subresource,
      );
    if (before !== undefined) {
      const comparable = clone(after);
      metadataOf(comparable).resourceVersion = metadataOf(before).resourceVersion;
      if (deepEqual(comparable, before)) return withTypeMeta(resourceType, clone(before));
    }
    if (options.dryRun === true) {
      metadata.resourceVersion = before === undefined ? "" : metadataOf(before).resourceVersion;
      return withTypeMeta(resourceType, after);
    }
    const stored = this.store.put(resourceType.plural, after);
    if (resourceType.plural === "pods" && before === undefined) this.hooks.podCreated(stored);
    return withTypeMeta(resourceType, clone(stored));
  }
}

/** A new object: the server gives it its identity; a type with a status subresource starts without one. */
function asCreated(resourceType: ResourceType, requested: KubeObject): KubeObject {
  const metadata = metadataOf(requested);
  metadata.uid = randomUUID();
  metadata.creationTimestamp = new Date().toISOString();
  if (resourceType.hasStatus) delete requested.status;
  return requested;
}

/**
 * An update of a stored object: 409 when the request names another resourceVersion; identity and
 * deletion mark stay the stored ones; a status write takes only the status, any other write
 * leaves the status subresource alone.
 */
function asUpdateOf(
  resourceType: ResourceType,
  before: KubeObject,
  requested: KubeObject,
  subresource: "status" | undefined,
): KubeObject {
  const metadata = metadataOf(requested);
  const beforeMeta = metadataOf(before);
  const name = String(metadata.name ?? "");
  if (
    metadata.resourceVersion !== undefined &&
    metadata.resourceVersion !== "" &&
    metadata.resourceVersion !== beforeMeta.resourceVersion
  ) {
    throw new KubeError(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${qualifiedName(resourceType)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      objectDetails(resourceType, name),
    );
  }
  for (const field of ["uid", "creationTimestamp", "generation"]) metadata[field] = beforeMeta[field];
  if (beforeMeta.deletionTimestamp !== undefined) metadata.deletionTimestamp = beforeMeta.deletionTimestamp;
  if (subresource === "status") {
    const merged = clone(before);
    merged.status = requested.status;
    return merged;
  }
  if (resourceType.hasStatus) {
    if (before.status === undefined) delete requested.status;
    else requested.status = clone(before.status);
  }
  return requested;
}
