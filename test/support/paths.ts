/** Paths tests need, resolved from the compiled location (dist/test/support → repo root). */
import path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const CLI = path.join(REPO_ROOT, "bin", "besu-fleet.js");
export const SHARED_DIR = path.resolve(REPO_ROOT, "..", "shared");
