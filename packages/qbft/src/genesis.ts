/**
 * Reading a Besu QBFT genesis file and computing its genesis block hash the way Besu builds the
 * genesis header (`GenesisState`): state root from `alloc`, empty transaction/receipt tries, and
 * the fork-dependent header fields (base fee from London, withdrawals root from Shanghai, blob
 * fields and beacon root from Cancun, requests hash from Prague) when active at genesis.
 */
import { keccak_256, sha256 } from "./crypto.js";
import { z } from "zod";
import { decodeQbftExtraData } from "./extra-data.js";
import { fromHex, toHex } from "./hex.js";
import { encodeScalar, rlpEncode, type RlpItem } from "./rlp.js";
import { EMPTY_TRIE_ROOT, trieRoot } from "./trie.js";

/** QBFT's fixed genesis mixHash ("ctical byzantine fault tolerance"). */
export const QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365";

/** A genesis that Besu would refuse to start with; the message reads like Besu's. */
export class GenesisError extends Error {
  override name = "GenesisError";
}

const quantity = z.union([z.string(), z.number()]);

const genesisSchema = z.object({
  config: z.looseObject({
    chainId: quantity,
    qbft: z
      .looseObject({
        blockperiodseconds: z.number().int().positive().optional(),
        epochlength: z.number().int().positive().optional(),
        requesttimeoutseconds: z.number().int().positive().optional(),
        validatorcontractaddress: z.string().optional(),
      })
      .optional(),
    londonBlock: quantity.optional(),
    shanghaiTime: quantity.optional(),
    cancunTime: quantity.optional(),
    pragueTime: quantity.optional(),
    zeroBaseFee: z.boolean().optional(),
  }),
  nonce: quantity.optional(),
  timestamp: quantity.optional(),
  gasLimit: quantity.optional(),
  difficulty: quantity.optional(),
  mixHash: z.string().optional(),
  coinbase: z.string().optional(),
  extraData: z.string().optional(),
  baseFeePerGas: quantity.optional(),
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

/** Parses a hex ("0x…") or decimal quantity as Besu's genesis reader accepts it. */
function parseQuantity(value: string | number, field: string): bigint {
  try {
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value) || value < 0) throw new Error("not a non-negative integer");
      return BigInt(value);
    }
    const text = value.trim();
    if (/^0x[0-9a-fA-F]*$/.test(text)) return text.length === 2 ? 0n : BigInt(text);
    if (/^\d+$/.test(text)) return BigInt(text);
    throw new Error("not a number");
  } catch {
    throw new GenesisError(`Invalid genesis file: ${field} has an invalid value '${String(value)}'`);
  }
}

function fixedBytes(hex: string, length: number, field: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fromHex(hex);
  } catch {
    throw new GenesisError(`Invalid genesis file: ${field} is not hex`);
  }
  if (bytes.length > length) throw new GenesisError(`Invalid genesis file: ${field} is longer than ${length} bytes`);
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}

function normaliseAddress(raw: string): string {
  const body = raw.startsWith("0x") || raw.startsWith("0X") ? raw.slice(2) : raw;
  if (!/^[0-9a-fA-F]{40}$/.test(body))
    throw new GenesisError(`Invalid genesis file: alloc address '${raw}' is not 20 bytes of hex`);
  return `0x${body.toLowerCase()}`;
}

function readAccounts(alloc: z.infer<typeof genesisSchema>["alloc"]): GenesisAccount[] {
  return Object.entries(alloc ?? {}).map(([rawAddress, account]) => {
    const address = normaliseAddress(rawAddress);
    const storage: Record<string, string> = {};
    for (const [slot, value] of Object.entries(account.storage ?? {})) {
      const slotBytes = fixedBytes(slot, 32, `alloc ${address} storage key`);
      const valueBytes = fixedBytes(value, 32, `alloc ${address} storage value`);
      if (valueBytes.some((byte) => byte !== 0)) storage[toHex(slotBytes)] = toHex(valueBytes);
    }
    const code = account.code === undefined ? "0x" : toHex(fromHexOrFail(account.code, `alloc ${address} code`));
    return {
      address,
      balance: account.balance === undefined ? 0n : parseQuantity(account.balance, `alloc ${address} balance`),
      nonce: account.nonce === undefined ? 0n : parseQuantity(account.nonce, `alloc ${address} nonce`),
      code,
      storage,
    };
  });
}

function fromHexOrFail(hex: string, field: string): Uint8Array {
  try {
    return fromHex(hex);
  } catch {
    throw new GenesisError(`Invalid genesis file: ${field} is not hex`);
  }
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
          key: keccak_256(fromHex(slot)),
          value: rlpEncode(stripLeadingZeros(fromHex(value))),
        })),
      );
      const accountRlp = rlpEncode([
        encodeScalar(account.nonce),
        encodeScalar(account.balance),
        storageRoot,
        keccak_256(fromHex(account.code)),
      ]);
      return { key: keccak_256(fromHex(account.address)), value: accountRlp };
    }),
  );
}

function activeAtGenesis(
  value: string | number | undefined,
  field: string,
  genesisTimestamp: bigint,
  byTime: boolean,
): boolean {
  if (value === undefined) return false;
  const at = parseQuantity(value, `config.${field}`);
  return byTime ? at <= genesisTimestamp : at === 0n;
}

const DEFAULT_BASE_FEE = 1_000_000_000n;

/**
 * Parses and checks a QBFT genesis file (JSON text) and computes its genesis hash. Throws
 * GenesisError for what Besu would refuse: invalid JSON, a missing `config.qbft`, an extraData
 * that is not QBFT's format.
 */
export function parseQbftGenesis(text: string): QbftGenesis {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new GenesisError(
      `Invalid genesis file: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const parsed = genesisSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GenesisError(`Invalid genesis file: ${issue.path.join(".") || "document"}: ${issue.message}`);
  }
  const genesis = parsed.data;
  const qbft = genesis.config.qbft;
  if (qbft === undefined)
    throw new GenesisError("Invalid genesis file: config.qbft is missing (only QBFT networks are simulated)");
  const extraDataHex = genesis.extraData ?? "0x";
  let validators: string[];
  try {
    validators = decodeQbftExtraData(extraDataHex).validators;
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
  const accounts = readAccounts(genesis.alloc);
  const timestamp = genesis.timestamp === undefined ? 0n : parseQuantity(genesis.timestamp, "timestamp");
  const gasLimit = genesis.gasLimit === undefined ? 0x1fffffffffffffn : parseQuantity(genesis.gasLimit, "gasLimit");
  const config = genesis.config;
  const header: RlpItem[] = [
    new Uint8Array(32),
    keccak_256(rlpEncode([])),
    fixedBytes(genesis.coinbase ?? "0x", 20, "coinbase"),
    genesisStateRoot(accounts),
    EMPTY_TRIE_ROOT,
    EMPTY_TRIE_ROOT,
    new Uint8Array(256),
    encodeScalar(genesis.difficulty === undefined ? 1n : parseQuantity(genesis.difficulty, "difficulty")),
    encodeScalar(0),
    encodeScalar(gasLimit),
    encodeScalar(0),
    encodeScalar(timestamp),
    fromHexOrFail(extraDataHex, "extraData"),
    fixedBytes(genesis.mixHash ?? "0x", 32, "mixHash"),
    fixedBytes(
      genesis.nonce === undefined ? "0x" : `0x${parseQuantity(genesis.nonce, "nonce").toString(16).padStart(16, "0")}`,
      8,
      "nonce",
    ),
  ];
  if (activeAtGenesis(config.londonBlock, "londonBlock", timestamp, false)) {
    const baseFee =
      genesis.baseFeePerGas !== undefined
        ? parseQuantity(genesis.baseFeePerGas, "baseFeePerGas")
        : config.zeroBaseFee === true
          ? 0n
          : DEFAULT_BASE_FEE;
    header.push(encodeScalar(baseFee));
    if (activeAtGenesis(config.shanghaiTime, "shanghaiTime", timestamp, true)) {
      header.push(EMPTY_TRIE_ROOT);
      if (activeAtGenesis(config.cancunTime, "cancunTime", timestamp, true)) {
        header.push(encodeScalar(0), encodeScalar(0), new Uint8Array(32));
        if (activeAtGenesis(config.pragueTime, "pragueTime", timestamp, true)) header.push(sha256(new Uint8Array(0)));
      }
    }
  }
  return {
    chainId: parseQuantity(config.chainId, "config.chainId"),
    blockPeriodSeconds: qbft.blockperiodseconds ?? 1,
    epochLength: qbft.epochlength ?? 30000,
    requestTimeoutSeconds: qbft.requesttimeoutseconds ?? 10,
    validators,
    extraData: toHex(fromHexOrFail(extraDataHex, "extraData")),
    gasLimit,
    timestamp,
    accounts,
    hash: toHex(keccak_256(rlpEncode(header))),
  };
}
