/**
 * The product's Functions app on the local host, as the end-to-end tests and the benchmarks run it:
 * its simulated cloud's connection file under `<workDir>/cloud`, its host data under
 * `<workDir>/data`, and the drift timer kept out of the way.
 */
import path from "node:path";
import { readHostKeys, startHostProcess, type HostKeys, type HostProcess } from "@besu-fleet/local-host";
import type { RunningAzurite } from "@besu-fleet/local-support";
import { CLOUD_FILE_ENV, DRIFT_SCHEDULE_ENV } from "../../lib/config.js";
import { REPO_ROOT } from "./paths.js";

/**
 * Once a year (midnight UTC on 1 January): the default schedule fires on every quarter hour, and a
 * tick that starts a check of the network under test makes the test's own `POST /api/drift` a 409
 * and its rollout share the clusters with a check. Tests run the timer function on demand instead.
 */
export const DRIFT_SCHEDULE_OUT_OF_THE_WAY = "0 0 0 1 1 *";

/** Starts the app; `extra` adds or overrides app settings. */
export function startAppHost(
  workDir: string,
  azurite: RunningAzurite,
  extra: Record<string, string> = {},
): Promise<HostProcess> {
  return startHostProcess({
    appDir: REPO_ROOT,
    storage: azurite.connectionString,
    dataDir: path.join(workDir, "data"),
    env: {
      [CLOUD_FILE_ENV]: path.join(workDir, "cloud", "cloud.json"),
      [DRIFT_SCHEDULE_ENV]: DRIFT_SCHEDULE_OUT_OF_THE_WAY,
      AzureWebJobsStorage: azurite.connectionString,
      ...extra,
    },
  });
}

/** The keys of the host {@link startAppHost} started in `workDir` (written when it first started). */
export function appHostKeys(workDir: string): HostKeys {
  return readHostKeys(path.join(workDir, "data"));
}
