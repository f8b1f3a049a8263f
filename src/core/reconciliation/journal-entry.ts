// reswipe's side of reconciliation: one upstream attempt with what the gateway knows about it (its
// payment, fee lines and reversal), as the store reads it by the channel's keys. Pure types and the
// one rule that says what money the gateway thinks moved.
import type { AttemptState, PaymentKind, ReversalState } from '../ports/store.ts';
import type { PaymentStatus } from '../vocabulary.ts';

export interface JournalEntry {
  readonly attemptId: string;
  readonly paymentId: string;
  readonly merchantId: string;
  readonly terminalId: string | null;
  readonly kind: PaymentKind;
  readonly paymentStatus: PaymentStatus;
  readonly attemptOutcome: AttemptState;
  readonly channel: string;
  readonly stan: string;
  readonly transmittedAt: string;
  readonly upstreamTerminalId: string;
  readonly rrn: string | null;
  readonly authCode: string | null;
  readonly amountMinor: number;
  readonly currency: string;
  /** Sum of the payment's fee lines (signed), null when it has none. */
  readonly feeMinor: number | null;
  readonly createdAtMs: number;
  readonly completedAtMs: number | null;
  readonly manualHandlingSinceMs: number | null;
  readonly reversal: { readonly state: ReversalState; readonly reasonCode: string; readonly createdAtMs: number; readonly completedAtMs: number | null } | null;
  /** The clearing line of the same run already matched to this attempt (a duplicate line in the file), or null. */
  readonly matchedLineNo: number | null;
}

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
