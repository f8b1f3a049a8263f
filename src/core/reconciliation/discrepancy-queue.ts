// The discrepancy queue's states and what an operator may do in each (docs/reconciliation.md,
// "The queue"). Pure: the use case loads the discrepancy, asks here, and writes what comes back.
//
//   open ──investigate──▶ investigating
//   open | investigating ──note──▶ (same state)
//   open | investigating ──resolve (adjustment)──▶ resolved      (final: an adjustment line joins the merchant's next batch)
//   open | investigating ──write-off──▶ written_off               (final: no money moves)
export const discrepancyStates = ['open', 'investigating', 'resolved', 'written_off'] as const;
export type DiscrepancyState = (typeof discrepancyStates)[number];

export const discrepancyActions = ['investigate', 'note', 'resolve', 'write_off'] as const;
export type DiscrepancyActionKind = (typeof discrepancyActions)[number];

export type DiscrepancyAction =
  | { readonly kind: 'investigate' | 'note' | 'write_off' }
  | { readonly kind: 'resolve'; readonly merchantId: string | null; readonly adjustmentMinor: number };

export type DiscrepancyActionDecision =
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'apply'; readonly nextState: DiscrepancyState; readonly adjustment: { readonly merchantId: string; readonly amountMinor: number } | null };

/** Largest adjustment one resolution may carry (1 000 000 yuan): a bigger one is a typo or not a reconciliation matter. */
export const adjustmentMinorMax = 100_000_000;
export const noteCharsMax = 500;

export function isFinalDiscrepancyState(state: DiscrepancyState): boolean {
  return state === 'resolved' || state === 'written_off';
}

/** A note is mandatory on every action: who said what, their reference. Null when acceptable, else the reason. */
export function discrepancyNoteRefusal(note: string): string | null {
  const trimmed = note.trim();
  if (trimmed.length < 3) return 'a note of at least 3 characters is required (who said what, their reference)';
  if (trimmed.length > noteCharsMax) return `the note must be at most ${noteCharsMax} characters`;
  if (/[0-9]{13,19}/.test(trimmed.replace(/[\s-]/g, ''))) return 'the note must not contain a card number';
  return null;
}

export function decideDiscrepancyAction(state: DiscrepancyState, action: DiscrepancyAction): DiscrepancyActionDecision {
  if (isFinalDiscrepancyState(state)) return { kind: 'refused', reason: `a ${state === 'resolved' ? 'resolved' : 'written-off'} discrepancy is final` };
  switch (action.kind) {
    case 'investigate':
      return state === 'investigating' ? { kind: 'refused', reason: 'it is already being investigated' } : { kind: 'apply', nextState: 'investigating', adjustment: null };
    case 'note':
      return { kind: 'apply', nextState: state, adjustment: null };
    case 'write_off':
      return { kind: 'apply', nextState: 'written_off', adjustment: null };
    case 'resolve': {
      if (action.merchantId === null) return { kind: 'refused', reason: 'an adjustment needs the merchant it is paid to or taken from' };
      if (!Number.isSafeInteger(action.adjustmentMinor) || action.adjustmentMinor === 0 || Math.abs(action.adjustmentMinor) > adjustmentMinorMax) {
        return { kind: 'refused', reason: `the adjustment must be a non-zero whole number of fen, at most ${adjustmentMinorMax} either way (write it off when no money moves)` };
      }
      return { kind: 'apply', nextState: 'resolved', adjustment: { merchantId: action.merchantId, amountMinor: action.adjustmentMinor } };
    }
  }
}

/** Whether an open discrepancy is older than the bound and should raise its event. */
export function isDiscrepancyOverdue(state: DiscrepancyState, createdAtMs: number, nowMs: number, openBoundMs: number): boolean {
  return !isFinalDiscrepancyState(state) && nowMs - createdAtMs > openBoundMs;
}
