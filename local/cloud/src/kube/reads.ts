/**
 * The read verbs of a cluster's API: get, list and watch, with label and field selectors, and the
 * Status errors a client sees (404 NotFound, 400 BadRequest for a selector it cannot parse, 410
 * Expired for a watch from a forgotten resourceVersion).
 */
import { isRecord } from "../http.js";
import { groupVersion, type ResourceType } from "./catalog.js";
import { KubeError, objectNotFound } from "./errors.js";
import { clone, metadataOf, withTypeMeta, type KubeObject } from "./objects.js";
import { matchesRequirements, parseFieldSelector, parseLabelSelector, SelectorError } from "./selectors.js";
import type { ObjectStore } from "./store.js";
import type { WatchEvent, WatchHub } from "./watch.js";

/** The stored object a request names (live: clone before answering), or 404. */
export function requireObject(
  store: ObjectStore,
  resourceType: ResourceType,
  namespace: string | undefined,
  name: string,
): KubeObject {
  const object = store.stored(resourceType.plural, resourceType.namespaced ? namespace : undefined, name);
  if (object === undefined) throw objectNotFound(resourceType, name);
  return object;
}

/** What a `labelSelector` and a `fieldSelector` select, or 400 when either does not parse. */
function selection(labelSelector: string | null, fieldSelector: string | null): (object: KubeObject) => boolean {
  let requirements: ReturnType<typeof parseLabelSelector> = [];
  let fieldFilter: (object: KubeObject) => boolean = () => true;
  try {
    if (labelSelector !== null) requirements = parseLabelSelector(labelSelector);
    if (fieldSelector !== null) fieldFilter = parseFieldSelector(fieldSelector);
  } catch (error) {
    if (error instanceof SelectorError) throw new KubeError(400, "BadRequest", error.message);
    throw error;
  }
  return (object) => {
    const labels = metadataOf(object).labels;
    return matchesRequirements(requirements, isRecord(labels) ? labels : {}) && fieldFilter(object);
  };
}

function byNamespaceThenName(left: KubeObject, right: KubeObject): number {
  return (
    String(metadataOf(left).namespace ?? "").localeCompare(String(metadataOf(right).namespace ?? "")) ||
    String(metadataOf(left).name).localeCompare(String(metadataOf(right).name))
  );
}

export class ObjectReads {
  constructor(
    private readonly store: ObjectStore,
    private readonly watches: WatchHub,
  ) {}

  get(resourceType: ResourceType, namespace: string | undefined, name: string): KubeObject {
    return withTypeMeta(resourceType, clone(requireObject(this.store, resourceType, namespace, name)));
  }

  list(
    resourceType: ResourceType,
    namespace: string | undefined,
    labelSelector: string | null,
    fieldSelector: string | null,
  ): KubeObject {
    const items = this.select(resourceType, namespace, selection(labelSelector, fieldSelector));
    return {
      kind: `${resourceType.kind}List`,
      apiVersion: groupVersion(resourceType),
      metadata: { resourceVersion: String(this.store.resourceVersion) },
      items,
    };
  }

  /**
   * Streams changes of one resource type (optionally one namespace, filtered by selectors); see
   * WatchHub.watch for where the stream starts. Returns the function that stops the watch.
   */
  watch(
    resourceType: ResourceType,
    namespace: string | undefined,
    labelSelector: string | null,
    fieldSelector: string | null,
    resourceVersion: string | null,
    send: (event: WatchEvent) => void,
  ): () => void {
    const matches = selection(labelSelector, fieldSelector);
    const watcher = {
      plural: resourceType.plural,
      namespace: resourceType.namespaced ? namespace : undefined,
      matches,
      send,
    };
    return this.watches.watch(watcher, resourceVersion, this.store.resourceVersion, () =>
      this.select(resourceType, namespace, matches),
    );
  }

  /** Copies of the selected objects, as the API answers them, ordered by namespace and name. */
  private select(
    resourceType: ResourceType,
    namespace: string | undefined,
    matches: (object: KubeObject) => boolean,
  ): KubeObject[] {
    return this.store
      .all(resourceType.plural)
      .filter(
        (object) =>
          (!resourceType.namespaced || namespace === undefined || metadataOf(object).namespace === namespace) &&
          matches(object),
      )
      .sort(byNamespaceThenName)
      .map((object) => withTypeMeta(resourceType, clone(object)));
  }
}
