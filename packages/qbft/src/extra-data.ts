/**
 * QBFT header extraData (Besu `QbftExtraDataCodec`): RLP([32-byte vanity, [validators],
 * vote, round, [seals]]). The round is an RLP integer scalar (round 0 = 0x80) — the 4-byte
 * round of IBFT 2.0 is rejected because Besu would read it as another format.
 */
import { fromHex, toHex } from "./hex.js";
import { decodeScalar, encodeScalar, rlpDecode, rlpEncode, type RlpItem } from "./rlp.js";

/** A validator vote carried in a block header: add (0xff) or drop (empty/0x00) a validator. */
export interface QbftVote {
  /** The 0x address voted on, lowercase. */
  address: string;
  /** True to add the validator, false to remove it. */
  add: boolean;
}

/** The fields of a decoded QBFT extraData. */
export interface QbftExtraData {
  /** 0x-hex of the 32 vanity bytes. */
  vanity: string;
  /** Validator addresses (0x, lowercase) in the order the header lists them. */
  validators: string[];
  /** The vote in this header, or null when there is none (always null in a genesis). */
  vote: QbftVote | null;
  /** The consensus round that produced the block (0 in a genesis). */
  round: number;
  /** Committer seals, each 65 bytes r‖s‖v as 0x-hex (none in a genesis). */
  seals: string[];
}

const VOTE_ADD = 0xff;
const VANITY_LENGTH = 32;
const ADDRESS_LENGTH = 20;
const SEAL_LENGTH = 65;

function addressBytes(address: string): Uint8Array {
  const bytes = fromHex(address);
  if (bytes.length !== ADDRESS_LENGTH) throw new Error(`not a 20-byte address: ${address}`);
  return bytes;
}

/** Encodes a full extraData (e.g. a sealed block header's). Missing vanity means 32 zero bytes. */
export function encodeQbftBlockExtraData(fields: Omit<QbftExtraData, "vanity"> & { vanity?: string }): string {
  const vanity = fields.vanity === undefined ? new Uint8Array(VANITY_LENGTH) : fromHex(fields.vanity);
  if (vanity.length !== VANITY_LENGTH) throw new Error("extraData vanity must be 32 bytes");
  const vote: RlpItem =
    fields.vote === null
      ? []
      : [addressBytes(fields.vote.address), fields.vote.add ? Uint8Array.of(VOTE_ADD) : new Uint8Array(0)];
  const seals = fields.seals.map((seal) => {
    const bytes = fromHex(seal);
    if (bytes.length !== SEAL_LENGTH) throw new Error("a committer seal must be 65 bytes");
    return bytes;
  });
  return toHex(rlpEncode([vanity, fields.validators.map(addressBytes), vote, encodeScalar(fields.round), seals]));
}

/**
 * Encodes the genesis extraData for QBFT block-header validator selection: zero vanity, the
 * validators in the order given (Besu keeps that order; its docs ask for ascending order), no
 * vote, round 0, no seals. An empty list is the contract-validator-mode form.
 */
export function encodeQbftExtraData(addresses: string[]): string {
  return encodeQbftBlockExtraData({ validators: addresses, vote: null, round: 0, seals: [] });
}

function expectList(item: RlpItem, what: string): RlpItem[] {
  if (item instanceof Uint8Array) throw new Error(`extraData ${what} must be an RLP list`);
  return item;
}

function expectBytes(item: RlpItem, what: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new Error(`extraData ${what} must be an RLP string`);
  return item;
}

function decodeVote(item: RlpItem): QbftVote | null {
  const parts = expectList(item, "vote");
  if (parts.length === 0) return null;
  if (parts.length !== 2) throw new Error("extraData vote must be [address, type]");
  const address = expectBytes(parts[0], "vote address");
  if (address.length !== ADDRESS_LENGTH) throw new Error("extraData vote address must be 20 bytes");
  const type = expectBytes(parts[1], "vote type");
  let add: boolean;
  if (type.length === 1 && type[0] === VOTE_ADD) add = true;
  else if (type.length === 0 || (type.length === 1 && type[0] === 0)) add = false;
  else throw new Error("extraData vote type must be 0xff (add) or 0x00 (drop)");
  return { address: toHex(address), add };
}

/**
 * Decodes a QBFT extraData (genesis or block). Throws with a reason when the bytes are not the
 * QBFT format, including the IBFT 2.0 form whose round is a fixed 4-byte value.
 */
export function decodeQbftExtraData(hex: string): QbftExtraData {
  const fields = expectList(rlpDecode(fromHex(hex)), "top level");
  if (fields.length !== 5) throw new Error(`extraData must have 5 fields, found ${fields.length}`);
  const vanity = expectBytes(fields[0], "vanity");
  if (vanity.length !== VANITY_LENGTH) throw new Error("extraData vanity must be 32 bytes");
  const validators = expectList(fields[1], "validators").map((entry) => {
    const address = expectBytes(entry, "validator");
    if (address.length !== ADDRESS_LENGTH) throw new Error("extraData validator must be 20 bytes");
    return toHex(address);
  });
  const vote = decodeVote(fields[2]);
  const roundBytes = expectBytes(fields[3], "round");
  if (roundBytes.length > 4) throw new Error("extraData round is too long");
  const round = Number(decodeScalar(roundBytes));
  const seals = expectList(fields[4], "seals").map((entry) => {
    const seal = expectBytes(entry, "seal");
    if (seal.length !== SEAL_LENGTH) throw new Error("extraData seal must be 65 bytes");
    return toHex(seal);
  });
  return { vanity: toHex(vanity), validators, vote, round, seals };
}
