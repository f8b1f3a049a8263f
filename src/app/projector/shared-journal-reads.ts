// One read of the payment journal for both projectors (docs/projector.md, "One journal read for both
// projectors"). The payment and analytics projectors follow the same journal under their own checkpoints
// and, in one gateway, move in step: each batch of one starts where the same batch of the other starts.
// A journal read returns every column of up to a few hundred payments, the dearest read of a batch, so
// the second projector asking for the same entries (same start, same size) takes the first one's read
// instead of reading again.
//
// Why a taken read is as good as a fresh one: the entries are a consistent prefix of the journal after
// the start as it was when read (seqs become visible in order, docs/projector.md); an entry journalled
// since has a higher seq than every entry of the read and is projected by a later batch. A payment
// updated since the read shows an older state here and its newer one in that later batch, which
// replaces what this batch derived from it, as it would with a fresh read taken a moment earlier. The
// age bound keeps that moment short.
import type { PaymentRecord, StoreReader } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';

export interface JournalEntry {
  seq: number;
  payment: PaymentRecord;
}

/** A read sent longer ago than this is not handed to another projector: it reads the journal itself. */
export const sharedReadMaxAgeMs = 1_000;
/** Reads kept for the other projector: the two may be a few batches apart while one catches up. */
const readsKept = 4;

interface KeptRead {
  readonly afterSeq: number;
  readonly limit: number;
  readonly atMs: number;
  readonly reader: string;
  /** Kept from the moment it is sent: the two projectors usually ask at the same moment. */
  readonly entries: Promise<readonly JournalEntry[]>;
}

export class SharedJournalReads {
  readonly #store: Pick<StoreReader, 'listPaymentJournal'>;
  readonly #clock: Clock;
  #kept: KeptRead[] = [];
  #storeReads = 0;
  #shared = 0;

  constructor(store: Pick<StoreReader, 'listPaymentJournal'>, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /**
   * Up to `limit` journal entries after `afterSeq`, for the projector named `consumer`: another
   * projector's read of the same entries if one is kept (each read serves its reader and one other),
   * else a read of the store.
   */
  async read(consumer: string, afterSeq: number, limit: number): Promise<readonly JournalEntry[]> {
    const nowMs = this.#clock.nowMs();
    this.#kept = this.#kept.filter((read) => nowMs - read.atMs <= sharedReadMaxAgeMs);
    const index = this.#kept.findIndex((read) => read.afterSeq === afterSeq && read.limit === limit && read.reader !== consumer);
    const kept = this.#kept[index];
    if (kept !== undefined) {
      this.#kept.splice(index, 1);
      this.#shared += 1;
      return await kept.entries;
    }
    this.#storeReads += 1;
    const read: KeptRead = { afterSeq, limit, atMs: nowMs, reader: consumer, entries: this.#store.listPaymentJournal(afterSeq, limit) };
    this.#kept = [...this.#kept.filter((other) => !(other.afterSeq === afterSeq && other.reader === consumer)), read].slice(-readsKept);
    try {
      const entries = await read.entries;
      // An empty read is cheap, and handing it on later would only make the other projector wait for its next pass.
      if (entries.length === 0) this.#forget(read);
      return entries;
    } catch (error) {
      this.#forget(read);
      throw error;
    }
  }

  #forget(read: KeptRead): void {
    this.#kept = this.#kept.filter((other) => other !== read);
  }

  /** Reads of the store and reads handed on, since the start. */
  stats(): { storeReads: number; shared: number } {
    return { storeReads: this.#storeReads, shared: this.#shared };
  }
}
