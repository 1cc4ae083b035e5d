/**
 * `npm run package`: the zip that Azure runs — the shape zip deploy, `func azure functionapp
 * publish --no-build` and `azd deploy` (remoteBuild: false) expect. It holds the compiled app (not
 * the CLI, the tests, the benchmarks or the local stack), `host.json`, a `package.json` with the
 * production dependencies only, and exactly those dependencies as the lock file resolved them,
 * copied from this checkout's node_modules (so packaging needs no registry). `.funcignore` lists
 * the same exclusions for anyone publishing the folder with Core Tools; a test holds the two
 * together and runs the extracted package against the simulated cloud.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import AdmZip from "adm-zip";

const ROOT = path.resolve(__dirname, "..", "..");
/** The compiled folders the app's entry point (dist/app.js) reaches, and the dashboard it serves (dist/web). */
const APP_FOLDERS = ["functions", "orchestrators", "activities", "lib", "web"];
/** What a workspace package ships (its sources, tests and build settings stay behind). */
const WORKSPACE_PACKAGE_FILES = ["package.json", "README.md", path.join("dist", "src")];

interface Manifest {
  name: string;
  version: string;
  description?: string;
  license?: string;
  main: string;
  engines?: Record<string, string>;
  dependencies: Record<string, string>;
  workspaces?: string[];
}

const isCompiledFile = (source: string): boolean => !/\.(d\.ts|d\.ts\.map|tsbuildinfo)$/.test(source);

function npmList(...scope: string[]): string[] {
  const listing = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable", ...scope], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return listing
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && line !== ROOT);
}

/**
 * The production dependency closure, as folders under node_modules, by npm's own resolution: the
 * app's, plus that of each workspace package the app depends on (npm lists those separately).
 */
function productionDependencies(manifest: Manifest): string[] {
  const workspaces = (manifest.workspaces ?? []).filter((workspace) => {
    const { name } = JSON.parse(fs.readFileSync(path.join(ROOT, workspace, "package.json"), "utf8")) as Manifest;
    return name in manifest.dependencies;
  });
  const folders = [
    ...npmList("--workspaces=false"),
    ...workspaces.flatMap((workspace) => npmList("--workspace", workspace)),
  ];
  return [...new Set(folders)];
}

function copyDependency(folder: string, staging: string): void {
  const target = path.join(staging, path.relative(ROOT, folder));
  const real = fs.realpathSync(folder);
  // A workspace package (e.g. @besu-fleet/qbft) is a link to a folder of this repository: ship its build only.
  if (real !== folder && !real.includes(`${path.sep}node_modules${path.sep}`)) {
    for (const entry of WORKSPACE_PACKAGE_FILES) {
      const source = path.join(real, entry);
      if (fs.existsSync(source))
        fs.cpSync(source, path.join(target, entry), { recursive: true, filter: isCompiledFile });
    }
    return;
  }
  fs.cpSync(real, target, { recursive: true, dereference: true });
}

/** Writes the app as Azure runs it into the empty or new folder `dir` (what `azd deploy` zips). */
export function stageApp(dir: string): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Manifest;
  if (!fs.existsSync(path.join(ROOT, manifest.main)))
    throw new Error(`${manifest.main} does not exist: run npm run build first.`);
  fs.mkdirSync(path.join(dir, path.dirname(manifest.main)), { recursive: true });
  fs.copyFileSync(path.join(ROOT, manifest.main), path.join(dir, manifest.main));
  for (const folder of APP_FOLDERS)
    fs.cpSync(path.join(ROOT, "dist", folder), path.join(dir, "dist", folder), { recursive: true });
  fs.copyFileSync(path.join(ROOT, "host.json"), path.join(dir, "host.json"));
  const shipped: Manifest = {
    name: manifest.name,
    version: manifest.version,
    description: manifest.description,
    license: manifest.license,
    main: manifest.main,
    engines: manifest.engines,
    dependencies: manifest.dependencies,
  };
  fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(shipped, null, 2)}\n`);
  for (const folder of productionDependencies(manifest)) copyDependency(folder, dir);
}

/** Builds the package as the zip `out` and returns the number of files it holds. */
export function packageApp(out: string): number {
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), "besu-fleet-package-"));
  try {
    stageApp(staging);
    const zip = new AdmZip();
    zip.addLocalFolder(staging);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    zip.writeZip(out);
    return zip.getEntries().filter((entry) => !entry.isDirectory).length;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: path.join(ROOT, ".local", "package", "besu-fleet.zip") },
      folder: { type: "string" },
    },
  });
  if (values.folder !== undefined) {
    const folder = path.resolve(values.folder);
    fs.rmSync(folder, { recursive: true, force: true });
    stageApp(folder);
    console.log(`Package folder: ${folder}`);
  } else {
    const out = path.resolve(values.out);
    const files = packageApp(out);
    console.log(`Package: ${out} (${files} files, ${(fs.statSync(out).size / 1024 / 1024).toFixed(1)} MiB)`);
  }
}
