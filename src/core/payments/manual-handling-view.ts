// The operators' view of a payment flagged for manual handling: what they need to call the channel
// (card masked, STAN, RRN, amount), where its reversals stand, and how it was resolved. The same
// shape is printed by `reswipe manual-handling --json` and served by /v1/manual-handling.
import { hasPanLikeRun } from '../cards/find-pan-like-runs.ts';
import type { AttemptRecord, ManualResolutionRecord, PaymentRecord, ReversalRecord } from '../ports/store.ts';

/** `open`: waits for an operator; `retrying`: a retried reversal is in the queue; `resolved`: final. */
export type ManualHandlingState = 'open' | 'retrying' | 'resolved';

export interface ManualHandlingReversalView {
  id: string;
  attemptSeq: number;
  channel: string;
  state: ReversalRecord['state'];
  tries: number;
  lastError: string | null;
}

export interface ManualHandlingView {
  id: string;
  manualHandlingSince: string;
  state: ManualHandlingState;
  status: PaymentRecord['status'];
  kind: PaymentRecord['kind'];
  merchantId: string;
  terminalId: string | null;
  amountMinor: number;
  currency: string;
  cardMasked: string;
  terminalStan: string | null;
  rrn: string | null;
  createdAt: string;
  reversals: ManualHandlingReversalView[];
  resolution: { outcome: ManualResolutionRecord['outcome']; note: string; actor: string; at: string } | null;
}

/** The view of one flagged payment; `reversals` pairs each reversal with its attempt, in attempt order. */
export function toManualHandlingView(
  payment: PaymentRecord,
  reversals: ReadonlyArray<{ attempt: AttemptRecord; reversal: ReversalRecord }>,
  resolution: ManualResolutionRecord | null,
): ManualHandlingView {
  const ordered = [...reversals].sort((a, b) => a.attempt.seq - b.attempt.seq);
  const state: ManualHandlingState = resolution !== null ? 'resolved' : ordered.some(({ reversal }) => reversal.state === 'pending') ? 'retrying' : 'open';
  return {
    id: payment.id,
    manualHandlingSince: new Date(payment.manualHandlingSinceMs ?? 0).toISOString(),
    state,
    status: payment.status,
    kind: payment.kind,
    merchantId: payment.merchantId,
    terminalId: payment.terminalId,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    cardMasked: payment.panMasked,
    terminalStan: payment.terminalStan,
    rrn: payment.rrn,
    createdAt: new Date(payment.createdAtMs).toISOString(),
    reversals: ordered.map(({ attempt, reversal }) => ({
      id: reversal.id,
      attemptSeq: attempt.seq,
      channel: reversal.channel,
      state: reversal.state,
      tries: reversal.tries,
      lastError: reversal.lastError,
    })),
    resolution: resolution === null ? null : { outcome: resolution.outcome, note: resolution.note, actor: resolution.actor, at: new Date(resolution.atMs).toISOString() },
  };
}

/** Longest resolution note, in characters. */
export const resolutionNoteCharsMax = 500;

/** Why a resolution note is refused, or null when it is fine: 1-500 printable characters and no card number (the one free-text rule, findPanLikeRuns). */
export function resolutionNoteRefusal(note: string): { code: 'RSW_MANUAL_NOTE_INVALID'; reason: string } | { code: 'RSW_CARD_NUMBER_IN_TEXT' } | null {
  const invalid = (reason: string) => ({ code: 'RSW_MANUAL_NOTE_INVALID' as const, reason });
  if (note.trim().length === 0) return invalid('is required: say what the bank said (who, when, reference)');
  if ([...note].length > resolutionNoteCharsMax) return invalid(`is longer than ${resolutionNoteCharsMax} characters`);
  // Control characters would break the log line and the CLI table.
  if (/[\u0000-\u001f\u007f]/.test(note)) return invalid('holds a control character (tab, newline, ...)');
  // The note is stored and shown in clear: a card number is refused like in every other stored text.
  if (hasPanLikeRun(note)) return { code: 'RSW_CARD_NUMBER_IN_TEXT' };
  return null;
}
