/**
 * The watches of one cluster: every change fans out to the watches that want it (type, namespace,
 * selectors), and a bounded history lets a watch that starts from a resourceVersion replay what
 * happened since, or fail with 410 Expired, as the API server does, when that version is older
 * than the history.
 */
import { findByPluralInAnyGroup } from "./catalog.js";
import { KubeError } from "./errors.js";
import { clone, metadataOf, withTypeMeta, type KubeObject } from "./objects.js";
import type { ChangeType } from "./store.js";

const maxWatchHistory = 5000;

/** A watch event as the API server streams it. */
export interface WatchEvent {
  type: ChangeType;
  object: KubeObject;
}

/** Which changes one watch wants, and where they go. */
export interface Watcher {
  plural: string;
  /** Undefined for every namespace (and for cluster-scoped types). */
  namespace: string | undefined;
  matches: (object: KubeObject) => boolean;
  send: (event: WatchEvent) => void;
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  /** Recent changes, so that a watch from a resourceVersion replays what happened since. */
  private readonly history: { resourceVersion: number; plural: string; event: WatchEvent }[] = [];

  /** Records a change that has just been stored and sends it to the watches that want it. */
  publish(plural: string, type: ChangeType, object: KubeObject): void {
    const resourceType = findByPluralInAnyGroup(plural);
    const event: WatchEvent = {
      type,
      object: resourceType === undefined ? clone(object) : withTypeMeta(resourceType, clone(object)),
    };
    this.history.push({ resourceVersion: Number(metadataOf(object).resourceVersion), plural, event });
    if (this.history.length > maxWatchHistory) this.history.splice(0, this.history.length - maxWatchHistory);
    for (const watcher of this.watchers) if (wants(watcher, plural, event.object)) watcher.send(event);
  }

  /**
   * Starts a watch. Without a resourceVersion (or with "0") the current objects (`initial()`) come
   * first as ADDED, as the API server does; with one, the changes after it. `latestVersion` is the
   * store's resourceVersion now. Returns the function that stops the watch.
   */
  watch(
    watcher: Watcher,
    resourceVersion: string | null,
    latestVersion: number,
    initial: () => KubeObject[],
  ): () => void {
    if (resourceVersion === null || resourceVersion === "" || resourceVersion === "0") {
      for (const item of initial()) watcher.send({ type: "ADDED", object: item });
    } else {
      const from = Number(resourceVersion);
      const oldest = this.history[0]?.resourceVersion ?? latestVersion + 1;
      if (!Number.isInteger(from) || (from < oldest - 1 && from < latestVersion)) {
        throw new KubeError(410, "Expired", `too old resource version: ${resourceVersion} (${oldest - 1})`);
      }
      for (const entry of this.history)
        if (entry.resourceVersion > from && wants(watcher, entry.plural, entry.event.object)) watcher.send(entry.event);
    }
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Ends every watch (the cluster is going away). */
  close(): void {
    this.watchers.clear();
  }
}

function wants(watcher: Watcher, plural: string, object: KubeObject): boolean {
  return (
    watcher.plural === plural &&
    (watcher.namespace === undefined || metadataOf(object).namespace === watcher.namespace) &&
    watcher.matches(object)
  );
}
