/**
 * Compiled contract artifacts named by the spec: `{package, contract: <version>/<name>}` from an
 * installed npm package in @chainlink/contracts-ccip's layout (abi/<version>/<name>.json,
 * bytecode/<version>/<name>.bin), or `{file}` from the app's artifacts folder (a Hardhat/Foundry
 * JSON with `abi` and `bytecode`). The package is resolved from this app's own node_modules;
 * the folder is `BESU_FLEET_ARTIFACTS_DIR`, by default `artifacts/` next to the app.
 */
import { appSettings, artifactsDirectory } from "../config.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Interface, type InterfaceAbi } from "ethers";
import { z } from "zod";
import { CHAIN_ROLES, type ContractsSpec, type DeploymentSpec } from "../domain/contracts-spec.js";

export interface Artifact {
  abi: InterfaceAbi;
  /** Creation code, 0x-prefixed. */
  bytecode: string;
}

const fileArtifactSchema = z.object({
  abi: z.array(z.unknown()),
  bytecode: z.union([z.string(), z.object({ object: z.string() })]),
});

const hex = (text: string): string => (text.trim().startsWith("0x") ? text.trim() : `0x${text.trim()}`);

/** The artifacts folder of this process. */
export function projectArtifactsDirectory(env: NodeJS.ProcessEnv = appSettings()): string {
  return artifactsDirectory(env) ?? path.join(process.cwd(), "artifacts");
}

/** Loads an artifact; throws an Error saying what is missing. */
export function loadArtifact(artifact: DeploymentSpec["artifact"], directory = projectArtifactsDirectory()): Artifact {
  if ("package" in artifact) {
    let root: string;
    try {
      root = path.dirname(require.resolve(`${artifact.package}/package.json`));
    } catch {
      throw new Error(`npm package ${artifact.package} is not installed`);
    }
    const [version, name] = artifact.contract.split("/") as [string, string];
    const read = (kind: string, extension: string): string => {
      try {
        return readFileSync(path.join(root, kind, version, `${name}.${extension}`), "utf8");
      } catch {
        throw new Error(`${artifact.package} has no ${kind}/${version}/${name}.${extension}`);
      }
    };
    return { abi: JSON.parse(read("abi", "json")) as InterfaceAbi, bytecode: hex(read("bytecode", "bin")) };
  }
  let text: string;
  try {
    text = readFileSync(path.join(directory, artifact.file), "utf8");
  } catch {
    throw new Error(`artifact ${artifact.file} is not in the artifacts folder ${directory}`);
  }
  const parsed = fileArtifactSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`artifact ${artifact.file} has no abi and bytecode`);
  const { bytecode } = parsed.data;
  return {
    abi: parsed.data.abi as InterfaceAbi,
    bytecode: hex(typeof bytecode === "string" ? bytecode : bytecode.object),
  };
}

/** The init code of a deployment: creation code followed by its ABI-encoded constructor arguments. */
export function initCode(artifact: Artifact, args: readonly unknown[]): string {
  return artifact.bytecode + new Interface(artifact.abi).encodeDeploy(args).slice(2);
}

/** Every artifact the spec names that cannot be loaded, by path: a 400 before anything starts. */
export function artifactProblems(contracts: ContractsSpec | undefined): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  for (const chain of CHAIN_ROLES)
    (contracts?.[chain] ?? []).forEach((deployment, index) => {
      try {
        const artifact = loadArtifact(deployment.artifact);
        if (artifact.bytecode.length <= 2) throw new Error("its bytecode is empty (an interface or abstract contract)");
      } catch (error) {
        problems.push({
          path: `contracts.${chain}[${index}].artifact`,
          message: error instanceof Error ? error.message : String(error),
        });
      }
    });
  return problems;
}
