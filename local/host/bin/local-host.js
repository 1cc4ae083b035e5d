#!/usr/bin/env node
// The besu-fleet-host command: runs a Functions app folder on the local durable host.
"use strict";
const { hostCommand, UsageError } = require("../dist/src/command.js");
hostCommand(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    const usage = error instanceof UsageError || (error && error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION");
    console.error(error instanceof Error ? error.message : String(error));
    // NOTE: exit, not just an exit code: an app that failed to start may have left servers or
    // timers of its own running (e.g. the HTTP streaming proxy of @azure/functions).
    process.exit(usage ? 2 : 1);
  },
);
