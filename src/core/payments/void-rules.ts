// UnionPay's void rules (docs/domain/pos-transactions.md: sale void 200000/00/0200, completion void 200000/06/0200):
// a void undoes a sale (or a pre-authorization completion) on the same business day, in the same
// open batch, from the terminal that took it, for its full amount; anything else is a refund.
import type { FollowUp, FollowUpOriginal } from './follow-up-original.ts';
import { isLiveFollowUp } from './follow-up-original.ts';
import { allowed, isValidAmountMinor, refuse, type TxnRuleResult } from './txn-rule-result.ts';

export interface VoidRequest {
  /** `void` undoes a sale, `completion_void` a pre-authorization completion. */
  readonly operation: 'void' | 'completion_void';
  readonly original: FollowUpOriginal | null;
  /** Payments already naming the original. */
  readonly followUps: readonly FollowUp[];
  readonly amountMinor: number;
  readonly currency: string;
  /** The terminal asking; an HTTP void acts for the original's own terminal. */
  readonly terminalId: string | null;
  /** Business dates (YYYY-MM-DD) of the original and of now. */
  readonly originalBusinessDate: string;
  readonly todayBusinessDate: string;
  /** When the original's terminal last closed its batch (0500 balanced), or null if never. */
  readonly batchClosedAtMs: number | null;
}

/** Decides whether a void may go upstream. Checks run in a fixed order, so the first broken rule is the one named. */
export function decideVoid(request: VoidRequest): TxnRuleResult {
  const { original, operation } = request;
  if (original === null) return refuse('RSW_TXN_ORIGINAL_NOT_FOUND', { originalId: 'unknown' });
  const expected = operation === 'void' ? 'sale' : 'completion';
  if (original.kind !== expected) return refuse('RSW_TXN_ORIGINAL_WRONG_KIND', { operation, expected: `a ${expected}`, actual: original.kind });
  if (request.followUps.some((followUp) => (followUp.kind === 'void' || followUp.kind === 'completion_void') && isLiveFollowUp(followUp))) {
    return refuse('RSW_TXN_ALREADY_VOIDED');
  }
  if (original.status !== 'approved') return refuse('RSW_TXN_ORIGINAL_NOT_APPROVED', { status: original.status, operation });
  if (!isValidAmountMinor(request.amountMinor)) return refuse('RSW_TXN_AMOUNT_INVALID', { amount: request.amountMinor });
  if (request.currency !== original.currency) return refuse('RSW_TXN_CURRENCY_MISMATCH', { currency: request.currency, originalCurrency: original.currency });
  if (request.terminalId !== original.terminalId) return refuse('RSW_TXN_VOID_OTHER_TERMINAL', { originalTerminalId: original.terminalId ?? 'HTTP' });
  if (request.originalBusinessDate !== request.todayBusinessDate) {
    return refuse('RSW_TXN_VOID_OTHER_DAY', { originalDate: request.originalBusinessDate, todayDate: request.todayBusinessDate });
  }
  if (request.batchClosedAtMs !== null && request.batchClosedAtMs >= original.createdAtMs) return refuse('RSW_TXN_BATCH_SETTLED');
  if (request.followUps.some((followUp) => followUp.kind === 'refund' && isLiveFollowUp(followUp))) return refuse('RSW_TXN_HAS_REFUNDS');
  if (request.amountMinor !== original.amountMinor) return refuse('RSW_TXN_VOID_AMOUNT', { originalMinor: original.amountMinor, amountMinor: request.amountMinor });
  return allowed;
}
