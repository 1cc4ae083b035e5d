/** Registers the application-state activity: JSON documents in blob storage. */
import { loadNetworkRecord, saveDocument } from "./contracts";
import { registerActivities } from "./registration";

registerActivities([saveDocument, loadNetworkRecord]);
