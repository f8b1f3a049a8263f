// UnionPay's refund rules (docs/domain/pos-transactions.md: refund 200000/00/0220, an advice): a refund gives
// back part or all of an approved sale or completion, on any later day, as many times as needed,
// but never more in total than the original. Refunds still being forwarded count as given back, so
// two refunds racing can never together exceed the original; a void still in flight blocks a refund
// (the void gives everything back if the host approves it).
import type { FollowUp, FollowUpOriginal } from './follow-up-original.ts';
import { isLiveFollowUp } from './follow-up-original.ts';
import { allowed, isValidAmountMinor, refuse, type TxnRuleResult } from './txn-rule-result.ts';

export interface RefundRequest {
  readonly original: FollowUpOriginal | null;
  readonly followUps: readonly FollowUp[];
  readonly amountMinor: number;
  readonly currency: string;
}

/** Minor units of the original not yet given back by approved or in-flight refunds (never below zero). */
export function refundableMinor(original: Pick<FollowUpOriginal, 'amountMinor'>, followUps: readonly FollowUp[]): number {
  let refundedMinor = 0;
  for (const followUp of followUps) if (followUp.kind === 'refund' && isLiveFollowUp(followUp)) refundedMinor += followUp.amountMinor;
  return Math.max(0, original.amountMinor - refundedMinor);
}

export function decideRefund(request: RefundRequest): TxnRuleResult {
  const { original } = request;
  if (original === null) return refuse('RSW_TXN_ORIGINAL_NOT_FOUND', { originalId: 'unknown' });
  if (original.kind !== 'sale' && original.kind !== 'completion') {
    return refuse('RSW_TXN_ORIGINAL_WRONG_KIND', { operation: 'refund', expected: 'a sale or a completion', actual: original.kind });
  }
  if (original.status !== 'approved') return refuse('RSW_TXN_ORIGINAL_NOT_APPROVED', { status: original.status, operation: 'refund' });
  // A void still in flight leaves the original approved until the host answers; if it approves, the whole
  // original goes back, so a refund beside it would give the money back twice.
  if (request.followUps.some((followUp) => (followUp.kind === 'void' || followUp.kind === 'completion_void') && isLiveFollowUp(followUp))) return refuse('RSW_TXN_ALREADY_VOIDED');
  if (!isValidAmountMinor(request.amountMinor)) return refuse('RSW_TXN_AMOUNT_INVALID', { amount: request.amountMinor });
  if (request.currency !== original.currency) return refuse('RSW_TXN_CURRENCY_MISMATCH', { currency: request.currency, originalCurrency: original.currency });
  const leftMinor = refundableMinor(original, request.followUps);
  if (request.amountMinor > leftMinor) return refuse('RSW_TXN_REFUND_EXCEEDS', { refundableMinor: leftMinor, originalMinor: original.amountMinor });
  return allowed;
}

/** What the advice forwarder does next with one refund advice not yet acknowledged. */
export type AdviceStep =
  | { readonly kind: 'send'; readonly mti: '0220' | '0221' }
  | { readonly kind: 'wait'; readonly untilMs: number }
  /** The settlement date passed: the advice is never re-sent across it and goes to manual handling. */
  | { readonly kind: 'expire' };

export interface AdviceState {
  /** Sends so far (0 before the first 0220). */
  readonly tries: number;
  readonly lastSentAtMs: number | null;
  readonly businessDate: string;
}

/** Store and forward: 0220 first, then 0221 repeats at a fixed interval until the 0230, never after the advice's business date. */
export function nextAdviceStep(advice: AdviceState, nowMs: number, todayBusinessDate: string, retryMs: number): AdviceStep {
  if (todayBusinessDate > advice.businessDate) return { kind: 'expire' };
  if (advice.tries === 0 || advice.lastSentAtMs === null) return { kind: 'send', mti: '0220' };
  const dueMs = advice.lastSentAtMs + retryMs;
  if (nowMs < dueMs) return { kind: 'wait', untilMs: dueMs };
  return { kind: 'send', mti: '0221' };
}
