/**
 * The app settings of drift verification, read from the environment: the timer's NCRONTAB
 * schedule (`DRIFT_SCHEDULE`, by default every 15 minutes) and the optional webhook that hears of
 * state changes (`DRIFT_WEBHOOK_URL`). The webhook URL may carry a token, so it is read where it
 * is used (the webhook activity) and never crosses the orchestration boundary.
 */
import { ConfigError } from "./config.js";

export const DRIFT_SCHEDULE_ENV = "DRIFT_SCHEDULE";
export const DRIFT_WEBHOOK_URL_ENV = "DRIFT_WEBHOOK_URL";
/** Every 15 minutes, on the quarter hour. */
export const DEFAULT_DRIFT_SCHEDULE = "0 */15 * * * *";

/**
 * The drift timer's schedule. Not checked here, as the retention timer's: the Functions host
 * refuses a malformed NCRONTAB for that function alone.
 */
export function driftSchedule(env: NodeJS.ProcessEnv): string {
  const schedule = env[DRIFT_SCHEDULE_ENV]?.trim();
  return schedule === undefined || schedule === "" ? DEFAULT_DRIFT_SCHEDULE : schedule;
}

/** The webhook URL, or undefined when none is set; a {@link ConfigError} for one that is not http(s). */
export function driftWebhookUrl(env: NodeJS.ProcessEnv): URL | undefined {
  const text = env[DRIFT_WEBHOOK_URL_ENV]?.trim();
  if (text === undefined || text === "") return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`app setting ${DRIFT_WEBHOOK_URL_ENV} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError(`app setting ${DRIFT_WEBHOOK_URL_ENV} must be an http or https URL`);
  return url;
}
