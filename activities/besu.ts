/** Registers phase B's and verification's activities: Besu deployment, readiness, node observations. */
import { checkReadiness, deployBesu, observeNodes } from "./contracts";
import { registerActivities } from "./registration";

registerActivities([deployBesu, checkReadiness, observeNodes]);
