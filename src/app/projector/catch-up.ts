// When a projector writes its batch ahead of the sales waiting for the store (docs/projector.md, "Lag").
// A projector's unit normally waits in the group commit's queue like any other. When the store is
// saturated that queue holds about one unit per busy terminal, and a projector that writes one unit at
// a time then gets one batch of journal entries through per trip through the whole queue: fewer than
// the sales journal meanwhile, so its lag grew for as long as the overload lasted (2.4-4.5 s in 7 s of
// bench:auth on 2026-12-06). Once the oldest entry of its batch is older than `aheadAfterMs` its unit
// goes ahead of the waiting units and joins the next batch: a bounded share (one unit of at most its
// batch size per group-commit batch and projector) that keeps the lag near that bound. The answers'
// path waits for no derived data either way; it only finds the projector's unit in its batch.
import type { WriteOptions } from '../../core/ports/store.ts';
import type { JournalEntry } from './shared-journal-reads.ts';

/** A batch whose oldest entry is older than this is written ahead (the projectors' default). */
export const aheadAfterMsDefault = 250;

/** Write options for a batch of journal entries read from the checkpoint: ahead when its oldest entry waited longer than `aheadAfterMs`. */
export function catchUpWriteOptions(entries: readonly JournalEntry[], nowMs: number, aheadAfterMs: number): WriteOptions | undefined {
  const oldest = entries[0];
  return oldest !== undefined && nowMs - oldest.payment.updatedAtMs > aheadAfterMs ? { ahead: true } : undefined;
}
