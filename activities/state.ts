/** Registers the application-state activity: JSON documents in blob storage. */
import { saveDocument } from "./contracts";
import { registerActivities } from "./registration";

registerActivities([saveDocument]);
