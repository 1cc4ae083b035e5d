/**
 * Runs Azurite as its own child and stops it when this process's stdin closes (see lifeline.ts).
 * Arguments are passed to Azurite unchanged.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { exitWhenStdinCloses } from "./lifeline.js";

const entry = path.join(path.dirname(require.resolve("azurite/package.json")), "dist", "src", "azurite.js");
const azurite = spawn(process.execPath, [entry, ...process.argv.slice(2)], { stdio: ["ignore", "inherit", "inherit"] });
azurite.once("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
const stopAzurite = (): Promise<void> =>
  new Promise((resolve) => {
    if (azurite.exitCode !== null || azurite.signalCode !== null) return resolve();
    azurite.once("exit", () => resolve());
    azurite.kill("SIGTERM");
    setTimeout(() => azurite.kill("SIGKILL"), 3000).unref();
  });
exitWhenStdinCloses(stopAzurite);
process.once("SIGTERM", () => void stopAzurite().then(() => process.exit(0)));
process.once("SIGINT", () => void stopAzurite().then(() => process.exit(0)));
