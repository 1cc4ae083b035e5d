/**
 * Reading a genesis file and computing its genesis block hash as Besu builds the genesis header
 * (`GenesisState.buildHeader`): state root from `alloc`, empty transaction and receipt tries, the
 * raw extraData (a BFT genesis hash does not strip it), then the fork fields in Besu's cascade —
 * base fee, withdrawals root, blob gas and beacon root, requests hash — each written only when
 * every earlier one is. `parseQbftGenesis` adds what a QBFT node reads and refuses. The results are
 * pinned to genesis hashes and state roots computed by Besu (test/vectors/).
 */
import { z } from "zod";
import { keccak_256, sha256 } from "./crypto.js";
import { decodeQbftExtraData } from "./extra-data.js";
import {
  balanceQuantity,
  decodeLong,
  GenesisError,
  hexBytes,
  hexQuantity,
  lowercaseKeys,
  paddedBytes,
  plainQuantity,
} from "./genesis-values.js";
import { toHex } from "./hex.js";
import { encodeScalar, rlpEncode, type RlpItem } from "./rlp.js";
import { EMPTY_TRIE_ROOT, trieRoot } from "./trie.js";

/** QBFT's fixed genesis mixHash ("ctical byzantine fault tolerance"). */
export const QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365";

const quantity = z.union([z.string(), z.number()]);
/** Besu reads fork activations as JSON numbers only. */
const activation = z.number().int().nonnegative().optional();

/** The genesis file after Besu's key normalisation (every key lowercase). */
const genesisSchema = z.object({
  config: z
    .looseObject({
      chainid: quantity.optional(),
      londonblock: activation,
      shanghaitime: activation,
      cancuntime: activation,
      praguetime: activation,
      osakatime: activation,
      amsterdamtime: activation,
      futureeipstime: activation,
      experimentaleipstime: activation,
      qbft: z
        .looseObject({
          blockperiodseconds: z.number().int().positive().optional(),
          epochlength: z.number().int().positive().optional(),
          requesttimeoutseconds: z.number().int().positive().optional(),
          validatorcontractaddress: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  parenthash: z.string().optional(),
  nonce: quantity.optional(),
  timestamp: quantity.optional(),
  gaslimit: quantity.optional(),
  gastarget: quantity.optional(),
  difficulty: quantity.optional(),
  mixhash: z.string().optional(),
  coinbase: z.string().optional(),
  extradata: z.string().optional(),
  basefeepergas: quantity.optional(),
  blobgasused: quantity.optional(),
  excessblobgas: quantity.optional(),
  parentbeaconblockroot: z.string().optional(),
  alloc: z
    .record(
      z.string(),
      z.looseObject({
        balance: quantity.optional(),
        code: z.string().optional(),
        nonce: quantity.optional(),
        storage: z.record(z.string(), z.string()).optional(),
      }),
    )
    .optional(),
});
type GenesisFile = z.infer<typeof genesisSchema>;
type GenesisConfig = NonNullable<GenesisFile["config"]>;

/** A genesis account as the chain holds it after genesis. */
export interface GenesisAccount {
  /** 0x lowercase address. */
  address: string;
  balance: bigint;
  nonce: bigint;
  /** 0x runtime code ("0x" when none). */
  code: string;
  /** Slot → value, both 0x-hex 32 bytes; zero values omitted. */
  storage: Record<string, string>;
}

/** Any genesis file as Besu reads it, and its genesis block. */
export interface GenesisBlock {
  /** `config`, keys lowercased. */
  config: GenesisConfig;
  accounts: GenesisAccount[];
  extraData: string;
  gasLimit: bigint;
  timestamp: bigint;
  /** State root of `alloc`, 0x-hex. */
  stateRoot: string;
  /** keccak256 of the RLP genesis header, 0x-hex. */
  hash: string;
}

/** What a node learns from a QBFT genesis file. */
export interface QbftGenesis {
  chainId: bigint;
  blockPeriodSeconds: number;
  epochLength: number;
  requestTimeoutSeconds: number;
  /** Validators from the extraData (empty in contract validator mode). */
  validators: string[];
  extraData: string;
  gasLimit: bigint;
  timestamp: bigint;
  accounts: GenesisAccount[];
  /** keccak256 of the RLP genesis header, 0x-hex. */
  hash: string;
}

function readAccounts(alloc: GenesisFile["alloc"]): GenesisAccount[] {
  return Object.entries(alloc ?? {}).map(([rawAddress, account]) => {
    const address = toHex(paddedBytes(rawAddress, 20, `alloc address '${rawAddress}'`));
    const storage: Record<string, string> = {};
    for (const [slot, value] of Object.entries(account.storage ?? {})) {
      const valueBytes = paddedBytes(value, 32, `alloc ${address} storage value`);
      if (valueBytes.some((byte) => byte !== 0))
        storage[toHex(paddedBytes(slot, 32, `alloc ${address} storage key`))] = toHex(valueBytes);
    }
    return {
      address,
      balance: account.balance === undefined ? 0n : balanceQuantity(account.balance, `alloc ${address} balance`),
      nonce: account.nonce === undefined ? 0n : hexQuantity(account.nonce, `alloc ${address} nonce`),
      code: toHex(hexBytes(account.code ?? "0x", `alloc ${address} code`)),
      storage,
    };
  });
}

function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start += 1;
  return bytes.subarray(start);
}

/** State root of the genesis accounts (secure trie: keys are keccak256 of address / slot). */
export function genesisStateRoot(accounts: readonly GenesisAccount[]): Uint8Array {
  return trieRoot(
    accounts.map((account) => {
      const storageRoot = trieRoot(
        Object.entries(account.storage).map(([slot, value]) => ({
          key: keccak_256(hexBytes(slot, "storage key")),
          value: rlpEncode(stripLeadingZeros(hexBytes(value, "storage value"))),
        })),
      );
      const accountRlp = rlpEncode([
        encodeScalar(account.nonce),
        encodeScalar(account.balance),
        storageRoot,
        keccak_256(hexBytes(account.code, "code")),
      ]);
      return { key: keccak_256(hexBytes(account.address, "address")), value: accountRlp };
    }),
  );
}

/** Base fee of a London genesis without `baseFeePerGas` (Besu `BASEFEE_AT_GENESIS_DEFAULT_VALUE`). */
const DEFAULT_GENESIS_BASE_FEE = 1_000_000_000n;

/**
 * Besu `getGenesisBaseFeePerGas`: the given one, else the default when London is at block 0, else
 * none. `zeroBaseFee` is not consulted: it makes later blocks' base fee zero, not the genesis's.
 */
function genesisBaseFee(genesis: GenesisFile): bigint | undefined {
  if (genesis.basefeepergas !== undefined) return decodeLong(genesis.basefeepergas, "baseFeePerGas");
  return genesis.config?.londonblock === 0 ? DEFAULT_GENESIS_BASE_FEE : undefined;
}

/** Timestamp forks in order; one without a time of its own is at genesis when a later one is. */
const TIMESTAMP_FORKS = [
  "shanghaitime",
  "cancuntime",
  "praguetime",
  "osakatime",
  "amsterdamtime",
  "futureeipstime",
  "experimentaleipstime",
] as const;

function forkAtGenesis(config: GenesisConfig, fork: (typeof TIMESTAMP_FORKS)[number], timestamp: bigint): boolean {
  for (const later of TIMESTAMP_FORKS.slice(TIMESTAMP_FORKS.indexOf(fork))) {
    const time = config[later];
    if (time !== undefined) return timestamp >= BigInt(time);
  }
  return false;
}

function genesisHeader(genesis: GenesisFile, stateRoot: Uint8Array, timestamp: bigint, gasLimit: bigint): RlpItem[] {
  const config = genesis.config ?? {};
  if (genesis.difficulty === undefined)
    throw new GenesisError("Invalid genesis block configuration, missing value for one of '[difficulty]'");
  const header: RlpItem[] = [
    paddedBytes(genesis.parenthash ?? "0x", 32, "parentHash"),
    keccak_256(rlpEncode([])),
    paddedBytes(genesis.coinbase ?? "0x", 20, "coinbase"),
    stateRoot,
    EMPTY_TRIE_ROOT,
    EMPTY_TRIE_ROOT,
    new Uint8Array(256),
    encodeScalar(hexQuantity(genesis.difficulty, "difficulty", 2n ** 256n - 1n)),
    encodeScalar(0),
    encodeScalar(gasLimit),
    encodeScalar(0),
    encodeScalar(timestamp),
    hexBytes(genesis.extradata ?? "0x", "extraData"),
    paddedBytes(genesis.mixhash ?? "0x", 32, "mixHash"),
    paddedBytes(hexQuantity(genesis.nonce ?? "0x0", "nonce").toString(16), 8, "nonce"),
  ];
  if (forkAtGenesis(config, "amsterdamtime", timestamp))
    throw new GenesisError("Invalid genesis file: Amsterdam at genesis is not simulated (its header fields are not)");
  const baseFee = genesisBaseFee(genesis);
  if (baseFee === undefined) return header;
  header.push(encodeScalar(baseFee));
  if (!forkAtGenesis(config, "shanghaitime", timestamp)) return header;
  header.push(EMPTY_TRIE_ROOT);
  if (!forkAtGenesis(config, "cancuntime", timestamp)) return header;
  header.push(
    encodeScalar(hexQuantity(genesis.blobgasused ?? "0x0", "blobGasUsed")),
    encodeScalar(hexQuantity(genesis.excessblobgas ?? "0x0", "excessBlobGas")),
    paddedBytes(genesis.parentbeaconblockroot ?? "0x", 32, "parentBeaconBlockRoot"),
  );
  if (!forkAtGenesis(config, "praguetime", timestamp)) return header;
  header.push(sha256(new Uint8Array(0)));
  return header;
}

/**
 * Reads any genesis file (JSON text) as Besu does and computes its genesis block. Throws
 * GenesisError for what Besu would refuse: invalid JSON, values it cannot parse, a missing
 * `difficulty` or `gasLimit`.
 */
export function readGenesis(text: string): GenesisBlock {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new GenesisError(
      `Invalid genesis file: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const parsed = genesisSchema.safeParse(lowercaseKeys(json));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GenesisError(`Invalid genesis file: ${issue.path.join(".") || "document"}: ${issue.message}`);
  }
  const genesis = parsed.data;
  const gasLimitValue = genesis.gaslimit ?? genesis.gastarget;
  if (gasLimitValue === undefined)
    throw new GenesisError("Invalid genesis block configuration, missing value for one of '[gaslimit, gastarget]'");
  const gasLimit = decodeLong(gasLimitValue, "gasLimit");
  const timestamp = decodeLong(genesis.timestamp ?? "0x0", "timestamp");
  const accounts = readAccounts(genesis.alloc);
  const stateRoot = genesisStateRoot(accounts);
  return {
    config: genesis.config ?? {},
    accounts,
    extraData: toHex(hexBytes(genesis.extradata ?? "0x", "extraData")),
    gasLimit,
    timestamp,
    stateRoot: toHex(stateRoot),
    hash: toHex(keccak_256(rlpEncode(genesisHeader(genesis, stateRoot, timestamp, gasLimit)))),
  };
}

/**
 * Parses and checks a QBFT genesis file (JSON text) and computes its genesis hash. Throws
 * GenesisError for what Besu would refuse: anything `readGenesis` refuses, a missing
 * `config.qbft` or `config.chainId`, an extraData that is not QBFT's format.
 */
export function parseQbftGenesis(text: string): QbftGenesis {
  const genesis = readGenesis(text);
  const qbft = genesis.config.qbft;
  if (qbft === undefined)
    throw new GenesisError("Invalid genesis file: config.qbft is missing (only QBFT networks are simulated)");
  if (genesis.config.chainid === undefined) throw new GenesisError("Invalid genesis file: config.chainId is missing");
  let validators: string[];
  try {
    validators = decodeQbftExtraData(genesis.extraData).validators;
  } catch (error) {
    throw new GenesisError(
      `Invalid genesis file: extraData is not QBFT extra data (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (validators.length === 0 && qbft.validatorcontractaddress === undefined) {
    throw new GenesisError(
      "Invalid genesis file: extraData lists no validators and no validatorcontractaddress is configured",
    );
  }
  return {
    chainId: plainQuantity(genesis.config.chainid, "config.chainId"),
    blockPeriodSeconds: qbft.blockperiodseconds ?? 1,
    epochLength: qbft.epochlength ?? 30000,
    requestTimeoutSeconds: qbft.requesttimeoutseconds ?? 10,
    validators,
    extraData: genesis.extraData,
    gasLimit: genesis.gasLimit,
    timestamp: genesis.timestamp,
    accounts: genesis.accounts,
    hash: genesis.hash,
  };
}
