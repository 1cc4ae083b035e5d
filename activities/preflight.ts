/** Registers the preflight activity: region offered, VM sizes offered, vCPU quota. */
import { preflightRegion } from "./contracts";
import { registerActivities } from "./registration";

registerActivities([preflightRegion]);
