// A terminal acts only for its own merchant: a follow-up (void, refund, completion, cancel) from a
// terminal (DE 41) must name the merchant that terminal is registered to (DE 42), as a sale must.
// Without it, a terminal of one shop could name another shop's sale (found by its RRN among that
// shop's payments) and refund it while the goods stay with the buyer. Pure: the caller reads the terminal.
import { allowed, refuse, type TxnRuleResult } from './txn-rule-result.ts';

export interface FollowUpTerminalRequest {
  readonly terminalId: string;
  /** The merchant the terminal is registered to; null when the terminal is unknown. */
  readonly terminalMerchantId: string | null;
  /** The merchant the follow-up names (DE 42). */
  readonly merchantId: string;
}

export function decideFollowUpTerminal(request: FollowUpTerminalRequest): TxnRuleResult {
  if (request.terminalMerchantId === null || request.terminalMerchantId !== request.merchantId) return refuse('RSW_TXN_TERMINAL_NOT_MERCHANTS', { terminalId: request.terminalId });
  return allowed;
}
