#!/usr/bin/env node
// The besu-fleet command. Runs the compiled CLI (npm run build compiles it to dist/).
"use strict";
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  console.error(
    `besu-fleet needs Node.js 22 or later (this is ${process.version}). Run it through npm (npm start, npx besu-fleet), which puts the project's Node 22 first on the PATH.`,
  );
  process.exit(2);
}
require("../dist/cli/main.js")
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
