/**
 * Binds activities to the Functions runtime. The composition root (app.ts) registers every
 * contract through this helper; the set below makes a second registration of a name fail loudly
 * instead of silently replacing the first.
 */
import * as df from "durable-functions";
import { ConfigError } from "../lib/config.js";
import type { ActivityContract, PermanentFailure } from "./contracts.js";
import { processActivityHandlers } from "./dependencies.js";
import { activityNameOf, type ActivityName } from "./factory.js";

const registered = new Set<ActivityName>();

/**
 * The runtime handler of one activity over this process's adapters. A configuration problem is
 * returned as a permanent failure: retrying cannot fix a missing setting.
 */
export function activityHandler(name: ActivityName): (input: unknown) => Promise<unknown> {
  return async (input) => {
    let handlers: ReturnType<typeof processActivityHandlers>;
    try {
      handlers = processActivityHandlers();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const failure: PermanentFailure = {
        ok: false,
        kind: "permanent",
        code: "ConfigurationError",
        message: error.message,
      };
      return failure;
    }
    return handlers[name](input);
  };
}

/** Registers the contracts' activities with the Durable Functions app; handlers are built on first call. */
export function registerActivities(contracts: readonly ActivityContract[]): void {
  for (const contract of contracts) {
    const name = activityNameOf(contract);
    if (registered.has(name)) throw new Error(`activity ${name} is registered twice`);
    registered.add(name);
    df.app.activity(name, { handler: activityHandler(name) });
  }
}
