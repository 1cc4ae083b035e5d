/**
 * Besu's key subcommands, which a container runs to completion: `besu [OPTIONS] public-key
 * export [--to=FILE]` and `public-key export-address [--to=FILE]`. As Besu does, they load the
 * node key from `--node-private-key-file` (default `<data-path>/key`) and, when that file does
 * not exist, generate a new secp256k1 key and write it there first (0x-hex, Besu's key file
 * format); then they write the public key (0x + 128 hex) or the address (0x + 40 hex) to FILE,
 * or to the log without `--to`. Writing needs a writable volume (an emptyDir): a Secret or
 * ConfigMap mount is read-only, and the command fails as Besu would.
 */
import { randomBytes } from "node:crypto";
import { nodeIdentityFromPrivateKey, toHex } from "@besu-fleet/qbft";
import type { ContainerEnvironment, ContainerStart } from "../kube/container-runtime.js";
import { BesuStartupError, resolveBesuOptions } from "./options.js";

const SUBCOMMAND = "public-key";

/** Whether Besu's arguments run the `public-key` subcommand rather than a node. */
export function isKeySubcommand(args: readonly string[]): boolean {
  return args.includes(SUBCOMMAND);
}

function exited(exitCode: number, message: string): ContainerStart {
  return { started: false, exitCode, reason: exitCode === 0 ? "Completed" : "Error", message };
}

/** The `--to` file of the subcommand's own options, if any. */
function targetFile(options: readonly string[]): string | undefined {
  for (const [index, option] of options.entries()) {
    if (option.startsWith("--to=")) return option.slice("--to=".length);
    if (option === "--to") return options[index + 1];
  }
  return undefined;
}

/** Runs `besu … public-key export|export-address …` in a container; the container exits with its result. */
export function runKeySubcommand(args: readonly string[], environment: ContainerEnvironment): ContainerStart {
  const at = args.indexOf(SUBCOMMAND);
  const [action, ...subOptions] = args.slice(at + 1);
  if (action !== "export" && action !== "export-address") {
    const message = `Missing required subcommand of '${SUBCOMMAND}': export, export-address`;
    environment.log(message);
    return exited(2, message);
  }
  let keyFile: string;
  try {
    const options = resolveBesuOptions(args.slice(0, at), environment.env, (path) => environment.readFile(path));
    keyFile = options.nodePrivateKeyFile ?? `${options.dataPath.replace(/\/$/, "")}/key`;
  } catch (error) {
    if (!(error instanceof BesuStartupError)) throw error;
    environment.log(error.message);
    return exited(1, error.message);
  }
  let key = environment.readFile(keyFile)?.trim();
  if (key === undefined) {
    key = toHex(randomBytes(32));
    if (!environment.writeFile(keyFile, key)) {
      const message = `Unable to create node key file ${keyFile}: read-only file system`;
      environment.log(message);
      return exited(1, message);
    }
    environment.log(`Generated new secp256k1 node key in ${keyFile}`);
  }
  let identity: ReturnType<typeof nodeIdentityFromPrivateKey>;
  try {
    identity = nodeIdentityFromPrivateKey(key);
  } catch {
    const message = `Unable to load node key from ${keyFile}: the file does not hold a valid secp256k1 private key`;
    environment.log(message);
    return exited(1, message);
  }
  const output = action === "export" ? identity.publicKey : identity.address;
  const to = targetFile(subOptions);
  if (to === undefined) environment.log(output);
  else if (!environment.writeFile(to, output)) {
    const message = `Unable to write ${to}: read-only file system`;
    environment.log(message);
    return exited(1, message);
  }
  return exited(0, "");
}
