/**
 * Retention of the task hub: a timer (NCRONTAB from BESU_FLEET_RETENTION_SCHEDULE, by default
 * daily at 02:30 UTC) purges every finished orchestration instance created more than
 * BESU_FLEET_RETENTION_DAYS days ago (by default 30), with the durable client's purge by filter.
 * The app's orchestrations are the rollouts and their region sub-orchestrations, which start after
 * their rollout: one goes at the first run after it, too, is that old. Running instances are never
 * purged. The reports and network records in blob storage stay: they are the audit of what was
 * deployed, and they keep rollout numbers from repeating (rollout-instances.ts).
 */
import * as df from "durable-functions";
import type { TimerDurableClientOptions } from "durable-functions";
import { retentionDays, retentionSchedule } from "../lib/config.js";
import { log } from "../lib/telemetry/log.js";

const FINISHED = [
  df.OrchestrationRuntimeStatus.Completed,
  df.OrchestrationRuntimeStatus.Failed,
  df.OrchestrationRuntimeStatus.Terminated,
];
const DAY_MS = 24 * 60 * 60 * 1000;
/** The purge filter needs a start; nothing is older than this. */
const BEGINNING = new Date(0);

/** The retention functions, by function name, configured from the app settings in `env`. */
export function retentionFunctions(env: NodeJS.ProcessEnv): Record<string, TimerDurableClientOptions> {
  return {
    purgeFinishedInstances: {
      schedule: retentionSchedule(env),
      handler: async (_timer, client) => {
        const days = retentionDays(env);
        const createdTimeTo = new Date(Date.now() - days * DAY_MS);
        const purged = await client.purgeInstanceHistoryBy({
          createdTimeFrom: BEGINNING,
          createdTimeTo,
          runtimeStatus: FINISHED,
        });
        log(
          "info",
          `retention: purged ${purged.instancesDeleted} finished instance(s) created before ${createdTimeTo.toISOString()} (${days} days)`,
        );
      },
    },
  };
}
