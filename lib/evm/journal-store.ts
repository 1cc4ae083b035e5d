/**
 * The transaction journal in Azure Storage: one JSON blob per intent, under
 * `journal/<network>/…`, in the app's state container (lib/state/documents.ts). Written before
 * each broadcast and after each change of state, so a crash at any point leaves an entry that
 * recovery can reconcile with the chain. Public data only: signed transactions and hashes, never
 * a key. Each blob carries its entry's state, chain and sender as metadata, so the sender finds
 * its unfinished entries with one listing instead of reading the whole journal.
 */
import { isFinal, journalEntrySchema, type JournalEntry } from "../domain/tx-journal.js";
import type { DocumentStore } from "../state/documents.js";

/** A blob-name-safe form of a name (document names are lowercase). */
const segment = (text: string): string => text.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

export class JournalStore {
  constructor(private readonly documents: DocumentStore) {}

  /** The document name of an intent: `parts` are e.g. [network, "deploy", chain, name]. */
  static entryName(parts: readonly string[]): string {
    return `journal/${parts.map(segment).join("/")}.json`;
  }

  async read(name: string): Promise<JournalEntry | undefined> {
    const stored = await this.documents.readDocument(name);
    if (stored === undefined) return undefined;
    const parsed = journalEntrySchema.safeParse(stored);
    if (!parsed.success) throw new Error(`journal entry ${name} is unreadable: ${parsed.error.message}`);
    return parsed.data;
  }

  async write(name: string, entry: JournalEntry): Promise<void> {
    await this.documents.saveDocument(name, entry, {
      state: entry.state,
      chainid: String(entry.chainId),
      sender: entry.sender.toLowerCase(),
    });
  }

  /**
   * The entries of a network's journal that one sender left unfinished on one chain, lowest nonce
   * first. An entry written before blobs carried metadata is read to find out.
   */
  async unfinished(network: string, chainId: number, sender: string): Promise<{ name: string; entry: JournalEntry }[]> {
    const listed = await this.documents.listDocuments(`journal/${segment(network)}/`, { metadata: true });
    const candidates = listed.filter(({ metadata }) => {
      const state = journalEntrySchema.shape.state.safeParse(metadata?.state);
      if (!state.success) return true;
      return (
        !isFinal({ state: state.data }) &&
        metadata?.chainid === String(chainId) &&
        metadata.sender === sender.toLowerCase()
      );
    });
    const read = await Promise.all(candidates.map(async ({ name }) => ({ name, entry: await this.read(name) })));
    return read
      .flatMap(({ name, entry }) =>
        entry !== undefined &&
        !isFinal(entry) &&
        entry.chainId === chainId &&
        entry.sender.toLowerCase() === sender.toLowerCase()
          ? [{ name, entry }]
          : [],
      )
      .sort((a, b) => a.entry.nonce - b.entry.nonce);
  }

  /** Every entry of a network (for the report and the tests). */
  async list(network: string): Promise<{ name: string; entry: JournalEntry }[]> {
    const entries = await this.documents.listDocuments(`journal/${segment(network)}/`);
    const read = await Promise.all(entries.map(async ({ name }) => ({ name, entry: await this.read(name) })));
    return read.flatMap(({ name, entry }) => (entry === undefined ? [] : [{ name, entry }]));
  }
}
