/**
 * QBFT domain logic shared by the control plane (genesis, identities, fault budget) and the
 * simulator. Pure: no I/O, no clock, no randomness.
 */
export { fromHex, toHex, toQuantity } from "./hex.js";
export { rlpEncode, rlpDecode, encodeScalar, decodeScalar, type RlpItem } from "./rlp.js";
export {
  encodeQbftExtraData,
  encodeQbftBlockExtraData,
  decodeQbftExtraData,
  type QbftExtraData,
  type QbftVote,
} from "./extra-data.js";
export {
  nodeIdentityFromPrivateKey,
  parseNodePrivateKey,
  addressFromPublicKey,
  enodeUrl,
  parseEnodeUrl,
  signSeal,
  recoverSealAddress,
  type NodeIdentity,
  type ParsedEnode,
} from "./identity.js";
export { quorumSize, faultTolerance, disruptionBudget } from "./quorum.js";
export { EMPTY_TRIE_ROOT, trieRoot } from "./trie.js";
export { parseQbftGenesis, genesisStateRoot, QBFT_MIX_HASH, type QbftGenesis, type GenesisAccount } from "./genesis.js";
export { GenesisError } from "./genesis-values.js";
export { keccak_256, secp256k1 } from "./crypto.js";
