/**
 * Bundles the admin dashboard (web/) into dist/web, where functions/dashboard.ts serves it from:
 * one minified script and one stylesheet (esbuild, which also tree-shakes Chart.js to the parts the
 * page registers) and index.html as written. Part of `npm run build`, after `tsc -b` and the page's
 * own typecheck (`tsc -p web`), since esbuild strips types without checking them.
 */
import fs from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const ROOT = path.resolve(__dirname, "..", "..");
const SOURCE = path.join(ROOT, "web");
const OUT = path.join(ROOT, "dist", "web");

async function buildDashboard(): Promise<void> {
  fs.rmSync(OUT, { recursive: true, force: true });
  await build({
    entryPoints: { app: path.join(SOURCE, "src", "main.tsx") },
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    outdir: OUT,
    logLevel: "warning",
    legalComments: "linked",
  });
  fs.copyFileSync(path.join(SOURCE, "index.html"), path.join(OUT, "index.html"));
  const sizes = fs
    .readdirSync(OUT)
    .map((name) => `${name} ${(fs.statSync(path.join(OUT, name)).size / 1024).toFixed(1)} KiB`);
  console.log(`dashboard: ${path.relative(ROOT, OUT)} (${sizes.join(", ")})`);
}

buildDashboard().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
