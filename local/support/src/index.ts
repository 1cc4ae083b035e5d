/**
 * What the local packages (host, simulated cloud) and the tests share: Azurite on free ports,
 * lifelines that stop a child when its parent dies, capped request bodies, and small HTTP helpers
 * for tests. Development tooling only: the product never imports it.
 */
export { connectionStringFor, freePort, startAzurite, type AzuriteOptions, type RunningAzurite } from "./azurite.js";
export { exitWhenStdinCloses, LIFELINE_ENV, untilStopped } from "./lifeline.js";
export { BodyTooLargeError, readBody } from "./request-body.js";
export { request, waitFor, type JsonResponse } from "./testing.js";
