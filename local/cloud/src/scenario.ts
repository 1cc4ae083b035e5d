/**
 * The scenario file (JSON or YAML): read and checked before anything starts, then put into effect
 * once the cloud runs. Its `faults` apply from the start (`startCloud` sets them), its `events`
 * are drift actions on the simulated clock, and every other section belongs to the plugin of
 * that name, which validates it.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { SimClock } from "./clock.js";
import type { DriftRunner } from "./drift.js";
import { ScenarioCoreSchema } from "./faults.js";
import { isRecord } from "./http.js";
import type { CloudPlugin } from "./plugin.js";

export interface Scenario {
  core: z.infer<typeof ScenarioCoreSchema>;
  /** Plugin sections by plugin name, as parsed (each plugin validates its own). */
  sections: Map<string, unknown>;
}

/** The sections the cloud itself reads; no plugin may take these names. */
export const coreSections: readonly string[] = ["faults", "events"];

export function loadScenario(file: string, pluginNames: Set<string>): Scenario {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(
      `scenario file ${file} could not be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (parsed === null || parsed === undefined) parsed = {};
  if (!isRecord(parsed)) throw new Error(`scenario file ${file} must hold an object`);
  const sections = new Map<string, unknown>();
  const coreInput: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (coreSections.includes(key)) coreInput[key] = value;
    else if (pluginNames.has(key)) sections.set(key, value);
    else
      throw new Error(
        `scenario file ${file}: unknown section '${key}' (core sections: ${coreSections.join(", ")}; plugins: ${[...pluginNames].join(", ") || "none"})`,
      );
  }
  const core = ScenarioCoreSchema.safeParse(coreInput);
  if (!core.success) throw new Error(`scenario file ${file} is invalid: ${z.prettifyError(core.error)}`);
  return { core: core.data, sections };
}

/** Runs each drift event at its simulated time; a failing one is logged, as a timer must not throw. */
export function scheduleDriftEvents(
  scenario: Scenario | undefined,
  clock: SimClock,
  runDrift: DriftRunner,
  log: (line: string) => void,
): void {
  for (const event of scenario?.core.events ?? []) {
    clock.after(event.afterSeconds * 1000, () => {
      try {
        runDrift(event.action);
      } catch (error) {
        log(`scenario event ${event.action.type} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  }
}

/** Hands each plugin its section; a plugin that takes none must not get one. */
export async function applyPluginSections(
  plugins: readonly CloudPlugin[],
  scenario: Scenario | undefined,
): Promise<void> {
  for (const plugin of plugins) {
    const section = scenario?.sections.get(plugin.name);
    if (section !== undefined) {
      if (plugin.applyScenario === undefined) throw new Error(`plugin ${plugin.name} takes no scenario section`);
      await plugin.applyScenario(section);
    }
  }
}
