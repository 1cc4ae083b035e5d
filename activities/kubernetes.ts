/** Registers phase A's in-cluster activities: configuration by server-side apply, node keys. */
import { configureCluster, ensureNodeKeys } from "./contracts";
import { registerActivities } from "./registration";

registerActivities([configureCluster, ensureNodeKeys]);
