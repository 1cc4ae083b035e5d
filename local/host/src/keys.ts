/**
 * Host keys, as the Functions host keeps them: a master key, function keys and the Durable
 * extension's system key. Created on first start in the data dir (never committed) and reused.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

const KeysSchema = z.object({
  masterKey: z.string().min(20),
  functionKeys: z.object({ default: z.string().min(20) }),
  systemKeys: z.object({ durabletask_extension: z.string().min(20) }),
});
export type HostKeys = z.infer<typeof KeysSchema>;

const newKey = (): string => randomBytes(30).toString("base64url");

/** The keys a host keeps in `dataDir` (it writes them when it first starts), for its callers and tests. */
export function readHostKeys(dataDir: string): HostKeys {
  return KeysSchema.parse(JSON.parse(fs.readFileSync(path.join(dataDir, "keys.json"), "utf8")));
}

export function loadOrCreateKeys(dataDir: string): HostKeys {
  const file = path.join(dataDir, "keys.json");
  if (fs.existsSync(file)) return readHostKeys(dataDir);
  const keys: HostKeys = {
    masterKey: newKey(),
    functionKeys: { default: newKey() },
    systemKeys: { durabletask_extension: newKey() },
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600 });
  return keys;
}

export type AuthLevel = "anonymous" | "function" | "admin" | "system";

/** Whether a presented key satisfies an authorization level (the master key satisfies all). */
export function authorize(keys: HostKeys, level: AuthLevel, presented: string | undefined): boolean {
  if (level === "anonymous") return true;
  if (!presented) return false;
  if (presented === keys.masterKey) return true;
  if (level === "function") return presented === keys.functionKeys.default;
  if (level === "system") return presented === keys.systemKeys.durabletask_extension;
  return false;
}
