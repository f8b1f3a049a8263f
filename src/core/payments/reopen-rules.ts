// A follow-up that closed its original (a void, completion void or cancel) and is itself reversed
// later (its answer was lost, a late approval, the terminal's own 0400) undid nothing at the host, so
// the original is open again: approved, and a sale's or completion's fee is recorded again. Not while
// another closing follow-up of the same original still stands approved. Pure: the caller loads.
import type { PaymentKind } from '../ports/store.ts';
import type { PaymentStatus } from '../vocabulary.ts';

const closingKinds: ReadonlySet<PaymentKind> = new Set<PaymentKind>(['void', 'completion_void', 'preauth_cancel']);

/** Whether a follow-up of this kind closes its original when approved. */
export function closesItsOriginal(kind: PaymentKind): boolean {
  return closingKinds.has(kind);
}

export interface ReopenRequest {
  readonly reversed: { readonly id: string; readonly kind: PaymentKind };
  readonly original: { readonly status: PaymentStatus };
  /** Every payment naming the original (the reversed follow-up included). */
  readonly followUps: ReadonlyArray<{ readonly id: string; readonly kind: PaymentKind; readonly status: PaymentStatus }>;
}

export type ReopenDecision = { readonly kind: 'keep' } | { readonly kind: 'reopen'; readonly recordFee: boolean };

export function decideReopen(request: ReopenRequest): ReopenDecision {
  if (!closesItsOriginal(request.reversed.kind) || request.original.status !== 'voided') return { kind: 'keep' };
  const otherCloser = request.followUps.some((other) => other.id !== request.reversed.id && closesItsOriginal(other.kind) && other.status === 'approved');
  if (otherCloser) return { kind: 'keep' };
  // A hold has no fee; a sale or a completion is priced again.
  return { kind: 'reopen', recordFee: request.reversed.kind !== 'preauth_cancel' };
}
