/**
 * The cascades of a removal: a namespace takes its contents with it, and an owner (a Deployment, a
 * StatefulSet) its dependents, found by their ownerReferences.
 */
import { isOwnedBy, metadataOf, type KubeObject } from "../objects.js";
import type { ObjectStore } from "../store.js";

export function collectGarbage(store: ObjectStore, plural: string, removed: KubeObject): void {
  const metadata = metadataOf(removed);
  if (plural === "namespaces") {
    for (const [otherPlural, objects] of store.allByType()) {
      for (const other of objects) {
        if (metadataOf(other).namespace === metadata.name)
          store.remove(otherPlural, String(metadata.name), String(metadataOf(other).name));
      }
    }
  }
  for (const [otherPlural, objects] of store.allByType()) {
    for (const other of objects) {
      if (isOwnedBy(other, metadata.uid))
        store.remove(otherPlural, metadataOf(other).namespace as string | undefined, String(metadataOf(other).name));
    }
  }
}
