// Whether a terminal's own reversal (0400/0401) may undo the sale it names. Nothing authenticated the
// sender before (a stranger's 0400 with a till's DE 41 and STAN reversed the till's sale: free goods),
// so a terminal reversal must now name the sale's own terminal and merchant (DE 41, DE 42), carry its
// amount (DE 4), and come while the sale can still be reversed: before the batch holding it is settled
// (0500), and within a configured window after it (`engine.reversal.terminalWindowMs`). Anything else
// is refused with a stable code and its DE 39, and nothing is reversed. Checks run in a fixed order, so
// the first broken rule is the one named. Pure: the clock and the batch state come in as arguments.
import { allowed, refuse, type TxnRuleResult } from './txn-rule-result.ts';

export interface TerminalReversalRequest {
  /** The sale (or other payment) the 0400 names, as stored. */
  readonly original: {
    readonly terminalId: string | null;
    readonly merchantId: string;
    readonly amountMinor: number;
    readonly createdAtMs: number;
  };
  /** DE 41 of the 0400 (trimmed). */
  readonly terminalId: string;
  /** DE 42 of the 0400. */
  readonly merchantId: string;
  /** DE 4 of the 0400; null when it carried none. */
  readonly amountMinor: number | null;
  readonly nowMs: number;
  /** How long after its sale a terminal may still reverse it. */
  readonly windowMs: number;
  /** When the sale's terminal last settled its batch (0500 balanced), or null if never. */
  readonly batchSettledAtMs: number | null;
}

export function decideTerminalReversal(request: TerminalReversalRequest): TxnRuleResult {
  const { original } = request;
  if (original.terminalId !== request.terminalId) return refuse('RSW_TXN_REVERSAL_OTHER_TERMINAL', { field: 'DE 41' });
  // DE 42 is ans15 and merchant ids are 15 characters; a padded id is the same merchant.
  if (original.merchantId.trim() !== request.merchantId.trim()) return refuse('RSW_TXN_REVERSAL_OTHER_TERMINAL', { field: 'DE 42' });
  if (request.amountMinor !== original.amountMinor) {
    return refuse('RSW_TXN_REVERSAL_AMOUNT', { originalMinor: original.amountMinor, amountMinor: request.amountMinor === null ? 'none' : request.amountMinor });
  }
  if (request.batchSettledAtMs !== null && request.batchSettledAtMs >= original.createdAtMs) return refuse('RSW_TXN_REVERSAL_BATCH_SETTLED');
  if (request.nowMs - original.createdAtMs > request.windowMs) return refuse('RSW_TXN_REVERSAL_TOO_LATE', { windowMinutes: Math.floor(request.windowMs / 60_000) });
  return allowed;
}
