/**
 * The on-chain sections of the desired state: `chains` (Chain 138 and the external chain it is
 * paired with, each with its CCIP selector and the app setting that holds its RPC URL),
 * `contracts` (CREATE2 deployments per chain), `ccip` (ordered ensure-steps: a view call that says
 * whether a state holds, and the transaction that makes it hold) and `funding` (top-ups to target
 * balances under per-asset spending caps). The schemas check each field alone; the relations
 * between fields (references, dependency cycles, selectors) are checked by contracts-references.ts.
 *
 * Values passed to contracts are JSON; a string that is exactly `${role.name}` is a reference:
 * `${chain138.router}` is the address of a deployment (or of an existing contract named in
 * `chains`), `${mainnet.pool.abiEncoded}` that address ABI-encoded as `bytes` (how CCIP token pools
 * take remote addresses), `${mainnet.chainSelector}` a chain's selector, `${deployer}` the
 * deployer's address.
 */
import { FunctionFragment } from "ethers";
import { z } from "zod";

/** The two chains, by role: the Besu network this spec rolls out, and the external chain. */
export const CHAIN_ROLES = ["chain138", "mainnet"] as const;
export type ChainRole = (typeof CHAIN_ROLES)[number];

const NAME = /^[a-z][a-zA-Z0-9]{0,39}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const UINT = /^(0|[1-9][0-9]*)$/;
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_UINT64 = 2n ** 64n - 1n;

const nameSchema = z
  .string()
  .regex(NAME, "must be a camelCase name of up to 40 letters and digits, starting with a lowercase letter");
const roleSchema = z.enum(CHAIN_ROLES);
const amountSchema = z
  .string({ error: "must be a decimal string of base units (wei), quoted so that YAML keeps every digit" })
  .regex(UINT, "must be a whole number of base units (wei) written in decimal");
const selectorSchema = z
  .string({ error: "must be a decimal string (a uint64; quote it in YAML so that it keeps every digit)" })
  .regex(UINT, "must be a decimal uint64")
  .refine((text) => BigInt(text) > 0n && BigInt(text) <= MAX_UINT64, "must be a uint64 above 0");
const settingSchema = z
  .string()
  .regex(SETTING_NAME, "must be an app setting name (letters, digits and underscores)")
  .describe("Name of the app setting holding the value (an RPC URL may carry an API key, so it is not in the spec).");

/** An address given literally, or read from an app setting when the rollout starts. */
const addressSourceSchema = z.union([
  z.string().regex(ADDRESS, "must be a 0x-prefixed 20-byte hex address"),
  z.strictObject({ setting: settingSchema }),
]);

/** A value passed to a contract function: JSON, where a `${role.name}` string is a reference. */
export const contractValueSchema = z.json();
export type ContractValue = z.infer<typeof contractValueSchema>;

const chainBaseShape = {
  rpcUrlSetting: settingSchema,
  existing: z
    .record(nameSchema, addressSourceSchema)
    .default({})
    .describe(
      "Contracts already on the chain (e.g. the CCIP Router on mainnet), by name, for `${role.name}` references.",
    ),
  confirmations: z.int().min(1).max(64).default(1).describe("Blocks after which a mined transaction counts as final."),
};

/** The app settings the chains' RPC URLs are read from unless the spec names others (infra/ sets these). */
export const DEFAULT_RPC_URL_SETTINGS = {
  chain138: "BESU_FLEET_CHAIN138_RPC_URL",
  mainnet: "BESU_FLEET_MAINNET_RPC_URL",
} as const;

export const chainsSchema = z
  .strictObject({
    chain138: z
      .strictObject({
        ...chainBaseShape,
        rpcUrlSetting: settingSchema.default(DEFAULT_RPC_URL_SETTINGS.chain138),
        chainSelector: selectorSchema.describe(
          "CCIP selector of Chain 138: it has no official one, so the spec must give it.",
        ),
      })
      .describe("Chain 138, the network this spec rolls out; its chain id is network.chainId."),
    mainnet: z
      .strictObject({
        ...chainBaseShape,
        rpcUrlSetting: settingSchema.default(DEFAULT_RPC_URL_SETTINGS.mainnet),
        chainId: z.int().min(1).default(1).describe("EIP-155 chain id of the external chain."),
        chainSelector: selectorSchema
          .optional()
          .describe("CCIP selector; defaults to Chainlink's published one for chainId."),
      })
      .describe("The external EVM chain paired with Chain 138 (Ethereum mainnet by default)."),
  })
  .describe("The two chains the contracts, ccip and funding sections act on.");

/** Compiled artifacts: from an installed npm package's abi/ and bytecode/ folders, or a project folder. */
const artifactSchema = z.union([
  z
    .strictObject({
      package: z.string().min(1).describe("npm package, e.g. @chainlink/contracts-ccip."),
      contract: z
        .string()
        .regex(/^[A-Za-z0-9_]+\/[A-Za-z0-9_]+$/, "must be <version>/<name>, e.g. latest/router")
        .describe("abi/<version>/<name>.json and bytecode/<version>/<name>.bin in the package."),
    })
    .describe("An artifact shipped by an npm package in @chainlink/contracts-ccip's layout."),
  z
    .strictObject({
      file: z
        .string()
        .regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]*\.json$/, "must be a relative .json path without '..'")
        .refine((path) => !path.split("/").includes(".."), "must not leave the artifacts folder")
        .describe("A Hardhat/Foundry-style artifact ({abi, bytecode}) in the app's artifacts folder."),
    })
    .describe("A compiled artifact from the project."),
]);

export const deploymentSchema = z.strictObject({
  name: nameSchema.describe("Unique per chain; `${role.name}` refers to its address."),
  artifact: artifactSchema,
  args: z.array(contractValueSchema).default([]).describe("Constructor arguments (JSON; references allowed)."),
  via: z
    .enum(["create2", "create"])
    .default("create2")
    .describe(
      "create2: at a deterministic address through the CREATE2 factory, which becomes msg.sender; create: sent by the deployer itself, for contracts that make msg.sender their owner (the CCIP Router, token pools, the token admin registry).",
    ),
  salt: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe(
      "CREATE2 salt, default the name (its keccak-256 is used): same salt and init code, same address on every chain.",
    ),
});

export const contractsSchema = z
  .strictObject({
    chain138: z.array(deploymentSchema).default([]),
    mainnet: z.array(deploymentSchema).default([]),
  })
  .describe("Deployments per chain: the two chains in parallel, within a chain in dependency order.");

/** A human-readable ABI fragment that ethers can parse, e.g. `function getOnRamp(uint64) view returns (address)`. */
const functionSchema = z.string().refine(
  (text) => {
    try {
      FunctionFragment.from(text.startsWith("function ") ? text : `function ${text}`);
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be a Solidity function signature, e.g. 'isChainSupported(uint64) view returns (bool)'" },
);

export const ensureStepSchema = z.strictObject({
  name: nameSchema,
  chain: roleSchema,
  contract: z.string().describe("The contract called: `${role.name}` or an address."),
  check: z
    .strictObject({
      function: functionSchema.describe("A view function; its (first) result is compared with `equals`."),
      args: z.array(contractValueSchema).default([]),
      equals: contractValueSchema.describe("The value that means the state holds (references allowed)."),
    })
    .describe("The view call that tells whether the state holds."),
  send: z
    .array(
      z.strictObject({
        function: functionSchema,
        args: z.array(contractValueSchema).default([]),
        value: amountSchema.default("0").describe("Native value sent with the call, in wei."),
      }),
    )
    .min(1)
    .describe(
      "The transactions that make the state hold, in order (e.g. proposeAdministrator then acceptAdminRole); sent only when the check does not hold.",
    ),
});

export const ccipSchema = z
  .strictObject({ steps: z.array(ensureStepSchema).default([]) })
  .describe("The CCIP lane's ensure-steps, run in order after the contracts.");

const assetSchema = z
  .string()
  .describe("`native` for the chain's currency, or the ERC-20 token: `${role.name}` or an address.");

export const topUpSchema = z.strictObject({
  name: nameSchema,
  chain: roleSchema,
  account: z.string().describe("Who is funded: `${role.name}` or an address."),
  asset: assetSchema.default("native"),
  target: amountSchema.describe("Balance to reach; only the difference is sent, so a retry never double-funds."),
});

export const fundingSchema = z
  .strictObject({
    topUps: z.array(topUpSchema).default([]),
    caps: z
      .array(z.strictObject({ chain: roleSchema, asset: assetSchema, max: amountSchema }))
      .default([])
      .describe("Per-rollout spending caps per chain and asset; every asset a top-up spends needs one."),
  })
  .describe("Top-ups to target balances, in order, after the ccip steps.");

export type ChainsSpec = z.output<typeof chainsSchema>;
export type ContractsSpec = z.output<typeof contractsSchema>;
export type DeploymentSpec = z.output<typeof deploymentSchema>;
export type EnsureStepSpec = z.output<typeof ensureStepSchema>;
export type CcipSpec = z.output<typeof ccipSchema>;
export type FundingSpec = z.output<typeof fundingSchema>;
export type TopUpSpec = z.output<typeof topUpSchema>;
