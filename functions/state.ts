/**
 * The state container as the HTTP functions reach it (the network record for change plans, the
 * audit trail): built on first use from the storage settings alone, so loading the app needs no
 * configuration and a request that only reads state needs no ARM settings.
 */
import { loadStorageConfig } from "../lib/config.js";
import { documentStoreFor, type DocumentStore } from "../lib/state/documents.js";

let store: DocumentStore | undefined;

export function stateDocuments(): DocumentStore {
  store ??= documentStoreFor(loadStorageConfig());
  return store;
}
