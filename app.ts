/**
 * The composition root of the Functions app: the one module the runtime loads (package.json
 * `main`). It registers every HTTP function (each secured as BESU_FLEET_API_AUTH says,
 * functions/authorization.ts, and each change recorded in the audit trail, functions/audit.ts),
 * orchestration and activity from their lists, so what the app serves is read in one place;
 * loading it needs no configuration (the activities build their adapters on first use,
 * activities/dependencies.ts). It also installs the metrics exporter the settings choose
 * (lib/telemetry/exporters.ts, docs/monitoring.md).
 */
import { app } from "@azure/functions";
import * as df from "durable-functions";
import { activityContracts } from "./activities/factory.js";
import { registerActivities } from "./activities/registration.js";
import { audited, auditFunctions } from "./functions/audit.js";
import { secured } from "./functions/authorization.js";
import { dashboardFunctions } from "./functions/dashboard.js";
import { driftClientFunctions, driftTimerFunctions } from "./functions/drift.js";
import { healthFunctions } from "./functions/health.js";
import { metricsFunctions } from "./functions/metrics.js";
import { openApiFunctions } from "./functions/openapi.js";
import { retentionFunctions } from "./functions/retention.js";
import { rolloutClientFunctions, rolloutHttpFunctions } from "./functions/rollouts.js";
import { apiAuthMode, telemetryConfig } from "./lib/config.js";
import { preloadKubeModule } from "./lib/kube/connection.js";
import { startTelemetry } from "./lib/telemetry/exporters.js";
import { registerOrchestrations } from "./orchestrators/index.js";

// First, so that everything the app then records goes to the configured exporter.
startTelemetry(telemetryConfig(process.env));
const authMode = apiAuthMode(process.env);
const httpFunctions = {
  ...healthFunctions,
  ...openApiFunctions,
  ...metricsFunctions,
  ...rolloutHttpFunctions,
  ...auditFunctions,
  ...dashboardFunctions(authMode),
};
for (const [name, options] of Object.entries(httpFunctions))
  app.http(name, audited(secured(options, authMode), authMode));
for (const [name, options] of Object.entries({ ...rolloutClientFunctions, ...driftClientFunctions }))
  df.app.client.http(name, audited(secured(options, authMode), authMode));
for (const [name, options] of Object.entries({
  ...retentionFunctions(process.env),
  ...driftTimerFunctions(process.env),
}))
  df.app.client.timer(name, options);
registerOrchestrations();
registerActivities(Object.values(activityContracts));
preloadKubeModule();
