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
    process.exitCode = usage ? 2 : 1;
  },
);
