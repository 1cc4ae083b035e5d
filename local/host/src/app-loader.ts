/**
 * Loads a Functions app folder the way the Node.js worker does: install the core API stand-in,
 * require every file that `package.json` `main` names (globs included), then start the app
 * (capabilities, appStart hooks). The result says which functions this host can serve and which
 * it cannot, and why; an app that cannot start at all fails here with a one-line reason.
 */
import fs from "node:fs";
import path from "node:path";
import { FunctionRegistry, installCoreApi, type RegisteredFunction, type RpcBindingInfo } from "./core-api.js";

export type FunctionKind = "http" | "timer" | "orchestration" | "activity" | "entity";

export interface ServableFunction extends RegisteredFunction {
  kind: FunctionKind;
  /** The trigger binding's name and RPC description. */
  triggerName: string;
  trigger: RpcBindingInfo;
  /** The name of the durable client input binding, when the function takes one. */
  durableClientBinding?: string;
}

export interface LoadedApp {
  appDir: string;
  registry: FunctionRegistry;
  servable: Map<string, ServableFunction>;
  /** Functions the app registered that this host cannot run, with the reason. */
  unsupported: { name: string; reason: string }[];
}

const TRIGGER_KINDS: Record<string, FunctionKind> = {
  httpTrigger: "http",
  timerTrigger: "timer",
  orchestrationTrigger: "orchestration",
  activityTrigger: "activity",
  entityTrigger: "entity",
};

export function resolveMainFiles(appDir: string): string[] {
  const manifestPath = path.join(appDir, "package.json");
  if (!fs.existsSync(manifestPath)) throw new Error(`No package.json in ${appDir}: not a Functions app folder.`);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as { main?: unknown };
  if (typeof manifest.main !== "string" || manifest.main.length === 0) {
    throw new Error(`${manifestPath} has no "main": the worker would not know which files register functions.`);
  }
  const pattern = manifest.main;
  const files = /[*?{[]/.test(pattern)
    ? fs
        .globSync(pattern, { cwd: appDir })
        .map((file) => path.resolve(appDir, file))
        .sort()
    : [path.resolve(appDir, pattern)];
  if (files.length === 0) throw new Error(`"main" (${pattern}) matches no file in ${appDir}. Did the app build run?`);
  return files;
}

function classify(fn: RegisteredFunction): ServableFunction | { reason: string } {
  let triggerName: string | undefined;
  let trigger: RpcBindingInfo | undefined;
  let durableClientBinding: string | undefined;
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (binding.direction === "in" && binding.type.endsWith("Trigger")) {
      triggerName = name;
      trigger = binding;
    } else if (
      binding.direction === "in" &&
      (binding.type === "durableClient" || binding.type === "orchestrationClient")
    ) {
      durableClientBinding = name;
    } else if (binding.direction === "out" && binding.type === "http") {
      // The HTTP response binding is part of serving an HTTP trigger.
    } else {
      return {
        reason: `binding "${name}" of type ${binding.type} (${binding.direction}) is not supported by this host`,
      };
    }
  }
  if (!trigger || !triggerName) return { reason: "no trigger binding" };
  const kind = TRIGGER_KINDS[trigger.type];
  if (!kind) return { reason: `trigger type ${trigger.type} is not supported by this host` };
  return { ...fn, kind, triggerName, trigger, durableClientBinding };
}

/** An app this host cannot start: the message says why, for the person starting it (no stack). */
export class AppStartError extends Error {
  override name = "AppStartError";
}

/**
 * Loads and starts the app in this process, as the worker's startApp does: require each entry
 * file (a failure names the file), lock registrations, ask the programming model for its
 * capabilities (which locks `app.setup`), then run the appStart hooks. Call once per process.
 */
export async function loadApp(appDir: string, log: (level: string, message: string) => void): Promise<LoadedApp> {
  const registry = new FunctionRegistry(log);
  installCoreApi(registry.coreApi());
  for (const file of resolveMainFiles(appDir)) {
    try {
      // NOTE: a plain require, as the worker loads CommonJS app entry files; a dynamic import would
      // put the app in a different module cache than the @azure/functions-core stand-in hook.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(file);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new AppStartError(`Worker was unable to load entry point "${path.relative(appDir, file)}": ${reason}`);
    }
  }
  registry.lockIndexing();
  const servable = new Map<string, ServableFunction>();
  const unsupported: { name: string; reason: string }[] = [];
  for (const fn of registry.functions.values()) {
    const result = classify(fn);
    if ("reason" in result) unsupported.push({ name: fn.metadata.name, reason: result.reason });
    else servable.set(fn.metadata.name, result);
  }
  const model = registry.programmingModel;
  if (servable.size > 0 && !model) {
    throw new AppStartError(
      "The app registered functions but no programming model: is @azure/functions v4 installed in the app?",
    );
  }
  const capabilities = (await model?.getCapabilities?.({})) ?? {};
  if (capabilities.HttpUri !== undefined) {
    throw new AppStartError(
      "The app enables HTTP streaming (app.setup({ enableHttpStream: true })), which this host does not support: " +
        "remove the setting to run it here.",
    );
  }
  await registry.hooks.appStart(appDir);
  return { appDir, registry, servable, unsupported };
}
