// UnionPay's pre-authorization family (docs/domain/pos-transactions.md): a pre-authorization (030000/06/0100) holds
// money; a completion (000000/06/0200) captures up to the authorized amount plus a configured
// tolerance; a cancel (200000/06/0100) releases the whole hold. Each closes the hold once, and a
// hold expires (is released) after a configured number of days.
import type { FollowUp, FollowUpOriginal } from './follow-up-original.ts';
import { isLiveFollowUp } from './follow-up-original.ts';
import { allowed, isValidAmountMinor, refuse, type TxnRuleResult } from './txn-rule-result.ts';

export interface HoldPolicy {
  /** Completion may exceed the authorized amount by this many basis points (rounded down to whole fen). */
  readonly completionToleranceBps: number;
  readonly holdExpiryDays: number;
}

export const dayMs = 86_400_000;

/** The largest completion a hold allows: authorized + floor(authorized × bps / 10 000), in integer arithmetic. */
export function maxCompletionMinor(authorizedMinor: number, completionToleranceBps: number): number {
  return authorizedMinor + Math.floor((authorizedMinor * completionToleranceBps) / 10_000);
}

/** The instant a hold stops being usable. */
export function holdExpiresAtMs(preauthCreatedAtMs: number, holdExpiryDays: number): number {
  return preauthCreatedAtMs + holdExpiryDays * dayMs;
}

export interface HoldRequest {
  readonly operation: 'completion' | 'preauth_cancel';
  readonly original: FollowUpOriginal | null;
  readonly followUps: readonly FollowUp[];
  readonly amountMinor: number;
  readonly currency: string;
  readonly nowMs: number;
  readonly policy: HoldPolicy;
}

export function decideHoldClose(request: HoldRequest): TxnRuleResult {
  const { original, operation } = request;
  if (original === null) return refuse('RSW_TXN_ORIGINAL_NOT_FOUND', { originalId: 'unknown' });
  if (original.kind !== 'preauth') return refuse('RSW_TXN_ORIGINAL_WRONG_KIND', { operation, expected: 'a pre-authorization', actual: original.kind });
  const closer = request.followUps.find((followUp) => (followUp.kind === 'completion' || followUp.kind === 'preauth_cancel') && isLiveFollowUp(followUp));
  if (closer !== undefined) return refuse('RSW_TXN_HOLD_CLOSED', { closedBy: closer.kind === 'completion' ? 'completed' : 'cancelled' });
  // A hold released at expiry shows as voided; saying "expired" tells the cashier what happened.
  const expired = request.nowMs >= holdExpiresAtMs(original.createdAtMs, request.policy.holdExpiryDays);
  if (expired && (original.status === 'approved' || original.status === 'voided')) return refuse('RSW_TXN_HOLD_EXPIRED', { holdDays: request.policy.holdExpiryDays });
  if (original.status !== 'approved') return refuse('RSW_TXN_ORIGINAL_NOT_APPROVED', { status: original.status, operation });
  if (!isValidAmountMinor(request.amountMinor)) return refuse('RSW_TXN_AMOUNT_INVALID', { amount: request.amountMinor });
  if (request.currency !== original.currency) return refuse('RSW_TXN_CURRENCY_MISMATCH', { currency: request.currency, originalCurrency: original.currency });
  if (operation === 'preauth_cancel') {
    if (request.amountMinor !== original.amountMinor) return refuse('RSW_TXN_CANCEL_AMOUNT', { originalMinor: original.amountMinor, amountMinor: request.amountMinor });
    return allowed;
  }
  const maxMinor = maxCompletionMinor(original.amountMinor, request.policy.completionToleranceBps);
  if (request.amountMinor > maxMinor) return refuse('RSW_TXN_COMPLETION_EXCEEDS', { amountMinor: request.amountMinor, authorizedMinor: original.amountMinor, maxMinor });
  return allowed;
}

/** Whether an expired hold may be released: still an approved pre-authorization, with no completion or cancel approved or in flight. */
export function isHoldReleasable(hold: Pick<FollowUpOriginal, 'kind' | 'status'>, followUps: readonly FollowUp[]): boolean {
  if (hold.kind !== 'preauth' || hold.status !== 'approved') return false;
  return !followUps.some((followUp) => (followUp.kind === 'completion' || followUp.kind === 'preauth_cancel') && isLiveFollowUp(followUp));
}
