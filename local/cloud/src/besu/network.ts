/**
 * The QBFT network model: a documented simplification of Besu's behaviour, not a consensus
 * implementation (see docs/simulator.md, "Besu nodes and EVM chains").
 *
 * - Nodes whose genesis hashes are equal form one network; a peer with another genesis is dropped
 *   at the handshake as Besu drops it.
 * - A node connects to the enode URLs it is given (static nodes, bootnodes) when that host:port,
 *   resolved from its pod, reaches a running Besu whose P2P port and node id match. With
 *   discovery on, it also dials the advertised enode (`--p2p-host`, else the pod IP) of every
 *   node in its discovery neighbourhood (nodes linked through successful dials).
 * - A block is due `blockperiodseconds` after its parent. It is produced while at least
 *   quorum = ceil(2n/3) validators are running and pairwise directly connected (Besu sends
 *   consensus messages only to directly connected validators). The proposer of round r is the
 *   validator after the parent's proposer (ascending address order) plus r; a round whose
 *   proposer is not in that group times out after requesttimeoutseconds × 2^r. After a halt,
 *   production resumes at the next round boundary of the timed-out rounds.
 * - Blocks reach every node connected (through any peers) to the producing validators; other
 *   nodes keep their head and report syncing. A lag fault keeps a node that many blocks behind.
 * - A vote (qbft_proposeValidatorVote) goes into blocks its node proposes; once more than half of
 *   the validators voted the same way on an address, the set changes from the next block. Votes
 *   reset at epoch blocks.
 */
import {
  encodeQbftBlockExtraData,
  encodeScalar,
  fromHex,
  quorumSize,
  rlpEncode,
  signSeal,
  toHex,
  type QbftGenesis,
  type QbftVote,
} from "@besu-fleet/qbft";
import { keccak_256 } from "@besu-fleet/qbft";
import { NetworkEvm } from "../evm/network-evm.js";
import type { EvmAccount } from "../evm/ganache.js";
import { largestClique } from "./clique.js";

/** What a block is made of; seals are signed only when first asked for (most blocks never are). */
interface SimBlockFields {
  number: number;
  hash: string;
  parentHash: string;
  /** Seconds. */
  timestamp: number;
  /** Proposer's address (the block's coinbase); the zero address for the genesis. */
  proposer: string;
  round: number;
  /** Validators after this block, as its extraData lists them. */
  validators: string[];
  vote: QbftVote | null;
}

/** A block of the simulated chain. */
export class SimBlock {
  private extraDataCache: string | undefined;

  constructor(
    readonly fields: SimBlockFields,
    /** The digest the committers sign, and the node keys of the committers (never exposed). */
    private readonly sealing: { digest: Uint8Array; committerKeys: readonly string[] } | { genesisExtraData: string },
  ) {}

  get number(): number {
    return this.fields.number;
  }

  get hash(): string {
    return this.fields.hash;
  }

  get parentHash(): string {
    return this.fields.parentHash;
  }

  get timestamp(): number {
    return this.fields.timestamp;
  }

  get proposer(): string {
    return this.fields.proposer;
  }

  get validators(): string[] {
    return this.fields.validators;
  }

  /** The QBFT extraData with the committer seals. */
  get extraData(): string {
    if (this.extraDataCache === undefined) {
      const sealing = this.sealing;
      this.extraDataCache =
        "genesisExtraData" in sealing
          ? sealing.genesisExtraData
          : encodeQbftBlockExtraData({
              validators: this.fields.validators,
              vote: this.fields.vote,
              round: this.fields.round,
              seals: sealing.committerKeys.map((key) => signSeal(key, sealing.digest)),
            });
    }
    return this.extraDataCache;
  }
}

/** The part of a node the network model needs. */
export interface NetworkMember {
  readonly address: string;
  readonly privateKey: string;
  /** Up and taking part (false while a stop fault holds it). */
  isUp(): boolean;
  /** Pending votes of this node, in proposal order. */
  pendingVotes(): ReadonlyMap<string, boolean>;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const MAX_ROUND = 30;
/** Blocks produced per model step at most (the step runs every 20 ms of wall time). */
const MAX_BLOCKS_PER_ADVANCE = 2;

/** One QBFT network: the chain all nodes with this genesis share. */
export class QbftNetwork {
  readonly blocks: SimBlock[];
  /** Simulated ms at which the next block's round 0 starts. */
  private nextDueMs: number | undefined;
  /** Simulated ms since which a quorum has been continuously connected, if it is now. */
  private quorumSinceMs: number | undefined;
  /** Tally of the current epoch: target → voter → add? */
  private readonly tally = new Map<string, Map<string, boolean>>();
  /** When true, no block is produced whatever the connectivity (halt fault). */
  halted = false;
  private evm: Promise<NetworkEvm> | undefined;

  constructor(
    readonly genesis: QbftGenesis,
    private readonly fundedAccounts: readonly EvmAccount[],
  ) {
    const validators = [...genesis.validators];
    this.blocks = [
      new SimBlock(
        {
          number: 0,
          hash: genesis.hash,
          parentHash: toHex(new Uint8Array(32)),
          timestamp: Number(genesis.timestamp),
          proposer: ZERO_ADDRESS,
          round: 0,
          validators,
          vote: null,
        },
        { genesisExtraData: genesis.extraData },
      ),
    ];
  }

  get height(): number {
    return this.blocks.length - 1;
  }

  get head(): SimBlock {
    return this.blocks[this.blocks.length - 1];
  }

  /** Validators that must agree on the next block, ascending. */
  currentValidators(): string[] {
    return [...this.head.validators].sort();
  }

  /**
   * Validators listed in block `blockNumber`'s extraData, ascending: what Besu's
   * qbft_getValidatorsByBlockNumber reports (a vote that passed in that block is included).
   */
  validatorsAfter(blockNumber: number): string[] {
    return [...this.blocks[blockNumber].validators].sort();
  }

  /** The validators that are up and pairwise connected, when they reach a quorum. */
  producingGroup<Member extends NetworkMember>(
    members: readonly Member[],
    connected: (a: Member, b: Member) => boolean,
  ): Member[] | undefined {
    const validators = this.currentValidators();
    // Contract validator mode: the set lives in a contract the simulator does not read.
    if (validators.length === 0) return undefined;
    const seen = new Set<string>();
    const live = members.filter((member) => {
      if (!member.isUp() || !validators.includes(member.address) || seen.has(member.address)) return false;
      seen.add(member.address);
      return true;
    });
    const group = largestClique(live, connected);
    return group.length >= quorumSize(validators.length) ? group : undefined;
  }

  /**
   * Produces every block that is due by `nowMs` given the group able to produce (undefined: no
   * quorum). Returns the blocks produced.
   */
  advance(nowMs: number, group: readonly NetworkMember[] | undefined): SimBlock[] {
    if (this.nextDueMs === undefined) this.nextDueMs = nowMs + this.genesis.blockPeriodSeconds * 1000;
    if (this.halted || group === undefined) {
      this.quorumSinceMs = undefined;
      return [];
    }
    this.quorumSinceMs ??= nowMs;
    const produced: SimBlock[] = [];
    const timeoutMs = this.genesis.requestTimeoutSeconds * 1000;
    const groupAddresses = new Set(group.map((member) => member.address));
    for (;;) {
      if (produced.length >= MAX_BLOCKS_PER_ADVANCE) {
        // Extreme time scales would ask for thousands of blocks per wall second: drop the backlog.
        this.nextDueMs = Math.max(this.nextDueMs, nowMs);
        break;
      }
      const dueMs: number = this.nextDueMs;
      const earliestMs = Math.max(dueMs, this.quorumSinceMs);
      const validators = this.currentValidators();
      const previousIndex = validators.indexOf(this.head.proposer);
      // Besu continues after the previous proposer; for a proposer outside the set, after its insertion point.
      const baseIndex =
        previousIndex !== -1 ? previousIndex : validators.filter((address) => address < this.head.proposer).length - 1;
      let round = 0;
      while (round < MAX_ROUND && dueMs + timeoutMs * (2 ** round - 1) < earliestMs) round += 1;
      const proposerAt = (candidateRound: number): string =>
        validators[(((baseIndex + 1 + candidateRound) % validators.length) + validators.length) % validators.length];
      while (round < MAX_ROUND && !groupAddresses.has(proposerAt(round))) round += 1;
      const produceAtMs = dueMs + timeoutMs * (2 ** round - 1);
      if (produceAtMs > nowMs) break;
      const proposer = group.find((member) => member.address === proposerAt(round));
      if (proposer === undefined) break;
      const block = this.produce(proposer, group, round, produceAtMs);
      produced.push(block);
      this.nextDueMs = block.timestamp * 1000 + this.genesis.blockPeriodSeconds * 1000;
      this.quorumSinceMs = produceAtMs;
    }
    return produced;
  }

  private pickVote(proposer: NetworkMember, validators: readonly string[]): QbftVote | null {
    for (const [address, add] of proposer.pendingVotes()) {
      if (validators.includes(address) === add) continue;
      return { address, add };
    }
    return null;
  }

  private produce(proposer: NetworkMember, group: readonly NetworkMember[], round: number, atMs: number): SimBlock {
    const parent = this.head;
    const number = parent.number + 1;
    const validatorsBefore = this.currentValidators();
    const epochBlock = number % this.genesis.epochLength === 0;
    // Unchanged sets share the parent's array: long-running simulations keep many blocks.
    let validatorsAfter = parent.validators;
    const vote = epochBlock ? null : this.pickVote(proposer, validatorsBefore);
    if (epochBlock) this.tally.clear();
    if (vote !== null) {
      const voters = this.tally.get(vote.address) ?? new Map<string, boolean>();
      voters.set(proposer.address, vote.add);
      this.tally.set(vote.address, voters);
      const agreeing = [...voters.entries()].filter(
        ([voter, add]) => add === vote.add && validatorsBefore.includes(voter),
      ).length;
      if (agreeing > validatorsBefore.length / 2) {
        validatorsAfter = vote.add
          ? [...validatorsBefore, vote.address].sort()
          : validatorsBefore.filter((address) => address !== vote.address);
        this.tally.delete(vote.address);
      }
    }
    const timestamp = Math.max(parent.timestamp + 1, Math.floor(atMs / 1000));
    const unsealed = encodeQbftBlockExtraData({ validators: validatorsAfter, vote, round, seals: [] });
    const digest = keccak_256(
      rlpEncode([
        fromHex(parent.hash),
        fromHex(proposer.address),
        encodeScalar(number),
        encodeScalar(timestamp),
        fromHex(unsealed),
      ]),
    );
    const quorum = quorumSize(validatorsBefore.length);
    const committers = [
      proposer,
      ...group.filter((member) => member !== proposer).sort((a, b) => (a.address < b.address ? -1 : 1)),
    ].slice(0, quorum);
    const block = new SimBlock(
      {
        number,
        hash: toHex(digest),
        parentHash: parent.hash,
        timestamp,
        proposer: proposer.address,
        round,
        validators: validatorsAfter,
        vote,
      },
      { digest, committerKeys: committers.map((member) => member.privateKey) },
    );
    this.blocks.push(block);
    // A failed EVM start is reported to the RPC callers that await evmState(); blocks go on regardless.
    if (this.evm !== undefined)
      void this.evm.then(
        (evm) => evm.mineBlock(number, timestamp),
        () => undefined,
      );
    return block;
  }

  /** True once something used this network's EVM. */
  hasEvm(): boolean {
    return this.evm !== undefined;
  }

  /** The network's EVM, started on first use with the genesis accounts and the simulator's funded accounts. */
  evmState(): Promise<NetworkEvm> {
    this.evm ??= NetworkEvm.start({
      chainId: Number(this.genesis.chainId),
      gasLimit: this.genesis.gasLimit,
      accounts: [
        ...this.genesis.accounts,
        ...this.fundedAccounts.filter(
          (funded) => !this.genesis.accounts.some((account) => account.address === funded.address),
        ),
      ],
      height: this.height,
      hashOf: (blockNumber) => this.blocks[blockNumber]?.hash,
    });
    return this.evm;
  }

  /** Stops the EVM if one was started. */
  async close(): Promise<void> {
    if (this.evm === undefined) return;
    const evm = await this.evm.catch(() => undefined);
    await evm?.close();
  }
}
