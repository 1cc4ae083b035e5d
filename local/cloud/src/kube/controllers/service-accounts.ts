/** The service account controller: every namespace has a `default` ServiceAccount. */
import { metadataOf } from "../objects.js";
import type { ObjectStore } from "../store.js";
import type { ObjectWrites } from "../writes.js";

export function reconcileServiceAccounts(store: ObjectStore, writes: ObjectWrites): void {
  for (const namespace of store.all("namespaces")) {
    const name = String(metadataOf(namespace).name);
    if (store.stored("serviceaccounts", name, "default") === undefined) {
      writes.systemCreate("serviceaccounts", {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "default", namespace: name },
      });
    }
  }
}
