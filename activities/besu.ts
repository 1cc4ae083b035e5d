/** Registers phase B's and verification's activities: Besu deployment, readiness, node observations, validator votes. */
import { checkReadiness, deployBesu, observeNodes, voteValidators } from "./contracts";
import { registerActivities } from "./registration";

registerActivities([deployBesu, checkReadiness, observeNodes, voteValidators]);
