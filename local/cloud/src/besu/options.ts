/**
 * Besu's command line as a pod spec gives it: argv flags, `BESU_*` environment variables and an
 * optional TOML `--config-file`, with Besu's precedence (command line > environment > config file
 * > default). Only the options the simulation interprets change behaviour; the other accepted
 * options are recognised so that a manifest written for Besu is not rejected, and anything Besu
 * does not know is refused the way Besu's picocli front end refuses it.
 */

/** How an option's value is read. */
type OptionKind = "boolean" | "string" | "list" | "integer";

/** Every option the simulator accepts, with its kind (names without the leading `--`). */
const OPTION_KINDS: Readonly<Record<string, OptionKind>> = {
  "config-file": "string",
  "data-path": "string",
  "genesis-file": "string",
  network: "string",
  "network-id": "integer",
  "node-private-key-file": "string",
  "static-nodes-file": "string",
  bootnodes: "list",
  "p2p-enabled": "boolean",
  "p2p-host": "string",
  "p2p-interface": "string",
  "p2p-port": "integer",
  "discovery-enabled": "boolean",
  "max-peers": "integer",
  "remote-connections-limit-enabled": "boolean",
  "remote-connections-max-percentage": "integer",
  "random-peer-priority-enabled": "boolean",
  "nat-method": "string",
  "rpc-http-enabled": "boolean",
  "rpc-http-host": "string",
  "rpc-http-port": "integer",
  "rpc-http-api": "list",
  "rpc-http-apis": "list",
  "rpc-http-cors-origins": "list",
  "rpc-http-authentication-enabled": "boolean",
  "rpc-http-max-active-connections": "integer",
  "rpc-http-max-batch-size": "integer",
  "rpc-ws-enabled": "boolean",
  "rpc-ws-host": "string",
  "rpc-ws-port": "integer",
  "rpc-ws-api": "list",
  "rpc-ws-apis": "list",
  "graphql-http-enabled": "boolean",
  "graphql-http-host": "string",
  "graphql-http-port": "integer",
  "graphql-http-cors-origins": "list",
  "host-allowlist": "list",
  "host-whitelist": "list",
  "metrics-enabled": "boolean",
  "metrics-host": "string",
  "metrics-port": "integer",
  "metrics-category": "list",
  "metrics-protocol": "string",
  logging: "string",
  "color-enabled": "boolean",
  identity: "string",
  "min-gas-price": "integer",
  "min-priority-fee": "integer",
  "miner-enabled": "boolean",
  "miner-coinbase": "string",
  "sync-mode": "string",
  "sync-min-peers": "integer",
  "fast-sync-min-peers": "integer",
  "data-storage-format": "string",
  "bonsai-historical-block-limit": "integer",
  "bonsai-limit-trie-logs-enabled": "boolean",
  "key-value-storage": "string",
  "revert-reason-enabled": "boolean",
  "tx-pool": "string",
  "tx-pool-max-size": "integer",
  "tx-pool-limit-by-account-percentage": "string",
  "tx-pool-retention-hours": "integer",
  "tx-pool-price-bump": "integer",
  "tx-pool-no-local-priority": "boolean",
  "tx-pool-min-gas-price": "integer",
  "permissions-nodes-config-file-enabled": "boolean",
  "permissions-nodes-config-file": "string",
  "permissions-accounts-config-file-enabled": "boolean",
  "permissions-accounts-config-file": "string",
  profile: "string",
  "genesis-state-hash-cache-enabled": "boolean",
  "Xdns-enabled": "boolean",
  "Xdns-update-enabled": "boolean",
  "Xnat-kube-service-name": "string",
  "Xnat-kube-service-namespace": "string",
  "Xnat-method-fallback-enabled": "boolean",
};

/** A typed option value after parsing. */
type OptionValue = boolean | string | number | string[];

/** Besu refuses to start with these options; the message is what it would print. */
export class BesuStartupError extends Error {
  override name = "BesuStartupError";
}

/** API groups Besu knows; `--rpc-http-api` accepts only these. */
export const KNOWN_API_GROUPS = [
  "ADMIN",
  "CLIQUE",
  "DEBUG",
  "EEA",
  "ETH",
  "IBFT",
  "MINER",
  "NET",
  "PERM",
  "PLUGINS",
  "PRIV",
  "QBFT",
  "TRACE",
  "TXPOOL",
  "WEB3",
] as const;

/** The configuration the simulation interprets. */
export interface BesuOptions {
  dataPath: string;
  genesisFile: string | undefined;
  networkId: number | undefined;
  nodePrivateKeyFile: string | undefined;
  staticNodesFile: string | undefined;
  bootnodes: string[];
  p2pEnabled: boolean;
  p2pHost: string | undefined;
  p2pPort: number;
  discoveryEnabled: boolean;
  rpcHttpEnabled: boolean;
  rpcHttpPort: number;
  rpcHttpApis: string[];
  hostAllowlist: string[];
  metricsEnabled: boolean;
  metricsPort: number;
  dnsEnabled: boolean;
  identity: string | undefined;
}

function parseTyped(
  name: string,
  kind: OptionKind,
  raw: string | boolean | number | string[],
  source: string,
): OptionValue {
  if (kind === "boolean") {
    if (typeof raw === "boolean") return raw;
    const text = String(raw).trim().toLowerCase();
    if (text === "true") return true;
    if (text === "false") return false;
    throw new BesuStartupError(`Invalid value for option '--${name}': '${String(raw)}' is not a boolean (${source})`);
  }
  if (kind === "integer") {
    const text = String(raw).trim();
    if (!/^-?\d+$/.test(text))
      throw new BesuStartupError(`Invalid value for option '--${name}': '${text}' is not an int (${source})`);
    return Number(text);
  }
  if (kind === "list") {
    const items = Array.isArray(raw) ? raw : String(raw).split(",");
    return items.map((item) => item.trim()).filter((item) => item.length > 0);
  }
  if (Array.isArray(raw))
    throw new BesuStartupError(`Invalid value for option '--${name}': expected a single value (${source})`);
  return String(raw);
}

/** Reads argv flags (`--name=value`, `--name value`, bare booleans). */
function parseArgv(argv: readonly string[]): Map<string, OptionValue> {
  const values = new Map<string, OptionValue>();
  for (let index = 0; index < argv.length; index += 1) {
    const token = argv[index];
    if (!token.startsWith("--")) throw new BesuStartupError(`Unmatched argument at index ${index}: '${token}'`);
    const equals = token.indexOf("=");
    const name = token.slice(2, equals === -1 ? undefined : equals);
    const kind = OPTION_KINDS[name];
    if (kind === undefined) throw new BesuStartupError(`Unknown option: '--${name}'`);
    let raw: string | boolean;
    if (equals !== -1) raw = token.slice(equals + 1);
    else if (kind === "boolean") {
      const next = argv[index + 1];
      if (next === "true" || next === "false") {
        raw = next;
        index += 1;
      } else raw = true;
    } else {
      const next = argv[index + 1];
      if (next === undefined || next.startsWith("--"))
        throw new BesuStartupError(`Missing required parameter for option '--${name}'`);
      raw = next;
      index += 1;
    }
    values.set(name, parseTyped(name, kind, raw, "command line"));
  }
  return values;
}

/** `BESU_RPC_HTTP_API` ↔ `rpc-http-api`; `BESU_XDNS_ENABLED` ↔ `Xdns-enabled`. */
function environmentName(option: string): string {
  return `BESU_${option.replace(/-/g, "_").toUpperCase()}`;
}

function parseEnvironment(env: Readonly<Record<string, string>>): Map<string, OptionValue> {
  const values = new Map<string, OptionValue>();
  for (const [name, kind] of Object.entries(OPTION_KINDS)) {
    const raw = env[environmentName(name)];
    if (raw !== undefined) values.set(name, parseTyped(name, kind, raw, `environment ${environmentName(name)}`));
  }
  return values;
}

/** A flat TOML document as Besu config files use it: `key = value` lines, strings, numbers, booleans, string arrays. */
export function parseFlatToml(text: string): Map<string, string | number | boolean | string[]> {
  const values = new Map<string, string | number | boolean | string[]>();
  const logical = text.replace(/\[([^\]]*)\]/gs, (array: string) => array.replace(/\s*\n\s*/g, " "));
  for (const [lineIndex, rawLine] of logical.split("\n").entries()) {
    const line = stripTomlComment(rawLine).trim();
    if (line === "") continue;
    const match = /^("?)([A-Za-z0-9_-]+)\1\s*=\s*(.+)$/.exec(line);
    if (match === null) throw new BesuStartupError(`Invalid TOML configuration: line ${lineIndex + 1}`);
    values.set(match[2], parseTomlValue(match[3].trim(), lineIndex + 1));
  }
  return values;
}

function stripTomlComment(line: string): string {
  let quote: string | undefined;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === "#") return line.slice(0, index);
  }
  return line;
}

function parseTomlValue(text: string, line: number): string | number | boolean | string[] {
  if (text === "true" || text === "false") return text === "true";
  if (/^-?\d+$/.test(text)) return Number(text);
  const quoted = /^"(.*)"$|^'(.*)'$/.exec(text);
  if (quoted !== null) return quoted[1] ?? quoted[2];
  if (text.startsWith("[") && text.endsWith("]")) {
    const inner = text.slice(1, -1).trim();
    if (inner === "") return [];
    return inner
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "")
      .map((item) => {
        const element = /^"(.*)"$|^'(.*)'$/.exec(item);
        if (element === null)
          throw new BesuStartupError(`Invalid TOML configuration: line ${line}: array items must be strings`);
        return element[1] ?? element[2];
      });
  }
  throw new BesuStartupError(`Invalid TOML configuration: line ${line}: unsupported value`);
}

function parseConfigFile(text: string, path: string): Map<string, OptionValue> {
  const values = new Map<string, OptionValue>();
  const unknown: string[] = [];
  for (const [name, raw] of parseFlatToml(text)) {
    const kind = OPTION_KINDS[name];
    if (kind === undefined) unknown.push(name);
    else values.set(name, parseTyped(name, kind, raw, `config file ${path}`));
  }
  if (unknown.length > 0)
    throw new BesuStartupError(
      `Unknown option${unknown.length > 1 ? "s" : ""} in TOML configuration file: ${unknown.join(", ")}`,
    );
  return values;
}

/**
 * Resolves Besu's options from flags, environment and config file. `readFile` reads through the
 * container's mounts. Throws BesuStartupError with Besu's wording when Besu would refuse to start.
 */
export function resolveBesuOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  readFile: (path: string) => string | undefined,
): BesuOptions {
  const fromArgv = parseArgv(argv);
  const fromEnv = parseEnvironment(env);
  const configPath = fromArgv.get("config-file") ?? fromEnv.get("config-file");
  let fromFile = new Map<string, OptionValue>();
  if (typeof configPath === "string") {
    const text = readFile(configPath);
    if (text === undefined)
      throw new BesuStartupError(`Unable to read TOML configuration, file not found: ${configPath}`);
    fromFile = parseConfigFile(text, configPath);
  }
  const pick = (name: string): OptionValue | undefined => fromArgv.get(name) ?? fromEnv.get(name) ?? fromFile.get(name);
  const text = (name: string): string | undefined => {
    const value = pick(name);
    return typeof value === "string" ? value : undefined;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const value = pick(name);
    return typeof value === "boolean" ? value : fallback;
  };
  const integer = (name: string, fallback: number): number => {
    const value = pick(name);
    return typeof value === "number" ? value : fallback;
  };
  const list = (name: string): string[] | undefined => {
    const value = pick(name);
    return Array.isArray(value) ? value : undefined;
  };
  const network = text("network");
  if (network !== undefined && text("genesis-file") !== undefined) {
    throw new BesuStartupError(
      "--network option and --genesis-file option can't be used at the same time. Please refer to CLI reference for more details about this constraint.",
    );
  }
  const apis = (list("rpc-http-api") ?? list("rpc-http-apis") ?? ["ETH", "NET", "WEB3"]).map((api) =>
    api.toUpperCase(),
  );
  const invalidApis = apis.filter((api) => !(KNOWN_API_GROUPS as readonly string[]).includes(api));
  if (invalidApis.length > 0)
    throw new BesuStartupError(
      `Invalid value for option '--rpc-http-api': invalid entries found [${invalidApis.join(", ")}]`,
    );
  const dataPath = text("data-path") ?? "/opt/besu";
  const networkIdValue = pick("network-id");
  return {
    dataPath,
    genesisFile: text("genesis-file"),
    networkId: typeof networkIdValue === "number" ? networkIdValue : undefined,
    nodePrivateKeyFile: text("node-private-key-file"),
    staticNodesFile: text("static-nodes-file"),
    bootnodes: list("bootnodes") ?? [],
    p2pEnabled: flag("p2p-enabled", true),
    p2pHost: text("p2p-host"),
    p2pPort: integer("p2p-port", 30303),
    discoveryEnabled: flag("discovery-enabled", true),
    rpcHttpEnabled: flag("rpc-http-enabled", false),
    rpcHttpPort: integer("rpc-http-port", 8545),
    rpcHttpApis: apis,
    hostAllowlist: list("host-allowlist") ?? list("host-whitelist") ?? ["localhost", "127.0.0.1"],
    metricsEnabled: flag("metrics-enabled", false),
    metricsPort: integer("metrics-port", 9545),
    dnsEnabled: flag("Xdns-enabled", false),
    identity: text("identity"),
  };
}
