/**
 * The local Functions + Durable host: runs any Azure Functions (Node.js programming model v4) app
 * folder with durable orchestrations on Azure Storage (Azurite), without Core Tools.
 * Development tooling only: the product never imports it. See README.md.
 */
export { readLocalSettings, startHost, type HostOptions, type RunningHost } from "./host.js";
export { hostCommand, HOST_USAGE, printHost, UsageError } from "./command.js";
export { startHostProcess, type HostProcess } from "./host-process.js";
export { readHostKeys, type HostKeys } from "./keys.js";
