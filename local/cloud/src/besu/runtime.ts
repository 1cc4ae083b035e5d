/**
 * The container runtime that turns `hyperledger/besu` containers into simulated Besu nodes, or,
 * when the command line runs Besu's `public-key` subcommand, into that command run to completion.
 */
import type { ContainerEnvironment, ContainerRuntime, ContainerStart } from "../kube/container-runtime.js";
import { besuArguments } from "./command-line.js";
import { isKeySubcommand, runKeySubcommand } from "./key-commands.js";
import type { BesuWorld } from "./world.js";

/** True for Besu images, with or without a registry host, tag or digest. */
export function isBesuImage(image: string): boolean {
  return /(^|\/)hyperledger\/besu(:[^/@]*)?(@.*)?$/.test(image);
}

/**
 * A runtime backed by a {@link BesuWorld}. The world may be created after the runtime is
 * registered (the cloud collects runtimes before plugins start), hence the getter.
 */
export class BesuContainerRuntime implements ContainerRuntime {
  constructor(private readonly world: () => BesuWorld | undefined) {}

  claims(image: string): boolean {
    return isBesuImage(image);
  }

  start(environment: ContainerEnvironment): ContainerStart {
    const args = besuArguments(environment.argv, environment.env);
    if (args !== undefined && isKeySubcommand(args)) return runKeySubcommand(args, environment);
    const world = this.world();
    if (world === undefined) {
      return {
        started: false,
        exitCode: 1,
        reason: "Error",
        message: "the Besu simulation is not running (plugin not started)",
      };
    }
    return world.start(environment);
  }
}
