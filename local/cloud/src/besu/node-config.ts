/**
 * What a Besu container resolves at start-up from its pod spec, in Besu's order: options, genesis,
 * node key, static nodes, bootnodes. Every refusal is a BesuStartupError worded like Besu's.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import {
  GenesisError,
  nodeIdentityFromPrivateKey,
  parseEnodeUrl,
  parseQbftGenesis,
  toHex,
  type NodeIdentity,
  type ParsedEnode,
  type QbftGenesis,
} from "@besu-fleet/qbft";
import type { ContainerEnvironment } from "../kube/container-runtime.js";
import { besuArguments } from "./command-line.js";
import { BesuStartupError, resolveBesuOptions, type BesuOptions } from "./options.js";

/** Everything a started node knows about itself. `privateKey` never leaves the simulator. */
export interface NodeConfig {
  options: BesuOptions;
  genesis: QbftGenesis;
  identity: NodeIdentity;
  privateKey: string;
  staticNodes: ParsedEnode[];
  bootnodes: ParsedEnode[];
  clientVersion: string;
}

/** Keys Besu generated into writable data directories, by data directory. */
export type GeneratedKeyStore = Map<string, string>;

const podSchema = z.looseObject({
  spec: z
    .looseObject({
      containers: z.array(z.looseObject({ name: z.string(), image: z.string().optional() })).optional(),
    })
    .optional(),
});

/**
 * `besu[/<identity>]/v<tag>/linux-x86_64/openjdk-java-21`, the shape of Besu's
 * `web3_clientVersion` (`--identity` adds its segment).
 */
export function clientVersionFromImage(image: string, identity?: string): string {
  const withoutDigest = image.split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  const tag = colon > lastSlash ? withoutDigest.slice(colon + 1) : "latest";
  const version = tag.startsWith("v") || tag === "latest" || tag === "develop" ? tag : `v${tag}`;
  return `besu/${identity === undefined ? "" : `${identity}/`}${version}/linux-x86_64/openjdk-java-21`;
}

/** The image of the container being started, as its pod spec names it. */
export function imageOf(environment: ContainerEnvironment): string {
  const parsed = podSchema.safeParse(environment.pod);
  const container = parsed.success
    ? parsed.data.spec?.containers?.find((candidate) => candidate.name === environment.containerName)
    : undefined;
  return container?.image ?? "hyperledger/besu:latest";
}

const IP_ADDRESS = /^(\d{1,3}\.){3}\d{1,3}$|^\[[0-9a-fA-F:.]+\]$/;

function parseEnodes(urls: readonly string[], dnsEnabled: boolean, source: string): ParsedEnode[] {
  return urls.map((url) => {
    let enode: ParsedEnode;
    try {
      enode = parseEnodeUrl(url);
    } catch {
      throw new BesuStartupError(
        `Invalid enode URL syntax '${url}' in ${source}. Enode URL should have the following format 'enode://<node_id>@<ip>:<listening_port>[?discport=<discovery_port>]'.`,
      );
    }
    if (!dnsEnabled && !IP_ADDRESS.test(enode.host)) {
      throw new BesuStartupError(
        `Invalid enode URL syntax '${url}' in ${source}. Invalid ip address. (hostnames need --Xdns-enabled=true)`,
      );
    }
    return enode;
  });
}

function loadNodeKey(
  options: BesuOptions,
  environment: ContainerEnvironment,
  dataKey: string,
  generatedKeys: GeneratedKeyStore,
): string {
  const keyPath = options.nodePrivateKeyFile ?? `${options.dataPath.replace(/\/$/, "")}/key`;
  const mounted = environment.readFile(keyPath);
  let keyText = mounted;
  if (keyText === undefined) {
    // Besu creates a missing key file; that only works inside the writable data directory
    // (the PVC). Anywhere else in the container (Secret/ConfigMap mounts, image paths) the write fails.
    const insideDataPath = keyPath.startsWith(`${options.dataPath.replace(/\/$/, "")}/`);
    if (!insideDataPath) {
      throw new BesuStartupError(
        `Unable to load node key: ${keyPath} does not exist and cannot be created (read-only file system)`,
      );
    }
    keyText = generatedKeys.get(dataKey) ?? toHex(randomBytes(32));
    generatedKeys.set(dataKey, keyText);
    environment.log(`Generated new secp256k1 node key in ${keyPath}`);
  }
  try {
    nodeIdentityFromPrivateKey(keyText);
  } catch {
    throw new BesuStartupError(
      `Unable to load node key from ${keyPath}: the file does not hold a valid secp256k1 private key`,
    );
  }
  return keyText.trim();
}

/**
 * Configures a Besu node from its container. `dataKey` names its persistent data directory
 * (where a generated key would be kept). Throws BesuStartupError when Besu would not start.
 */
export function configureNode(
  environment: ContainerEnvironment,
  dataKey: string,
  generatedKeys: GeneratedKeyStore,
): NodeConfig {
  const args = besuArguments(environment.argv, environment.env);
  if (args === undefined) throw new BesuStartupError("The container command never executes besu");
  const options = resolveBesuOptions(args, environment.env, (path) => environment.readFile(path));
  if (options.genesisFile === undefined) {
    throw new BesuStartupError(
      "Only private QBFT networks are simulated: --genesis-file is required (public networks cannot be reached from the simulator)",
    );
  }
  const genesisText = environment.readFile(options.genesisFile);
  if (genesisText === undefined)
    throw new BesuStartupError(`Unable to load genesis file ${options.genesisFile}: file not found`);
  let genesis: QbftGenesis;
  try {
    genesis = parseQbftGenesis(genesisText);
  } catch (error) {
    if (error instanceof GenesisError) throw new BesuStartupError(`${error.message} (${options.genesisFile})`);
    throw error;
  }
  const privateKey = loadNodeKey(options, environment, dataKey, generatedKeys);
  const staticNodesPath = options.staticNodesFile ?? `${options.dataPath.replace(/\/$/, "")}/static-nodes.json`;
  const staticText = environment.readFile(staticNodesPath);
  let staticUrls: string[] = [];
  if (staticText === undefined) {
    environment.log(`Static nodes file ${staticNodesPath} does not exist, no static connections will be created.`);
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(staticText);
    } catch {
      throw new BesuStartupError(`Failed to decode static nodes file ${staticNodesPath}: not valid JSON`);
    }
    const urls = z.array(z.string()).safeParse(parsed);
    if (!urls.success)
      throw new BesuStartupError(
        `Failed to decode static nodes file ${staticNodesPath}: expected a JSON array of enode URLs`,
      );
    staticUrls = urls.data;
  }
  return {
    options,
    genesis,
    identity: nodeIdentityFromPrivateKey(privateKey),
    privateKey,
    staticNodes: parseEnodes(staticUrls, options.dnsEnabled, staticNodesPath),
    bootnodes: parseEnodes(options.bootnodes, options.dnsEnabled, "--bootnodes"),
    clientVersion: clientVersionFromImage(imageOf(environment), options.identity),
  };
}
