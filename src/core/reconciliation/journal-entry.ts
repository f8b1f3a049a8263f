// reswipe's side of reconciliation: one upstream attempt with what the gateway knows about it (its
// payment, fee lines and reversal), as the store reads it by the channel's keys. Pure types and the
// one rule that says what money the gateway thinks moved.
// JournalEntry is declared with the store port that returns it (src/core/ports/store.ts) and re-exported here.
import type { JournalEntry, PaymentKind } from '../ports/store.ts';

export type { JournalEntry };

/** What the gateway believes happened to the money of one attempt. */
export type OurState = 'settled' | 'reversed' | 'voided' | 'unknown' | 'declined' | 'not_settled';

const settledKinds: ReadonlySet<PaymentKind> = new Set(['sale', 'completion', 'refund']);

export function ourStateOf(entry: JournalEntry): OurState {
  if (entry.attemptOutcome === 'reversed' || entry.paymentStatus === 'reversed') return 'reversed';
  if (entry.paymentStatus === 'voided') return 'voided';
  if (entry.attemptOutcome === 'unknown' || entry.attemptOutcome === 'pending' || entry.paymentStatus === 'pending') return 'unknown';
  if (entry.attemptOutcome === 'declined' || entry.attemptOutcome === 'not_sent' || entry.paymentStatus === 'declined') return 'declined';
  if (entry.attemptOutcome === 'approved' && entry.paymentStatus === 'approved' && settledKinds.has(entry.kind)) return 'settled';
  return 'not_settled';
}

/** Signed money of a kind: refunds are negative, so a difference is always theirs minus ours. */
export function signedMinor(kind: string, amountMinor: number): number {
  return kind === 'refund' ? -amountMinor : amountMinor;
}
