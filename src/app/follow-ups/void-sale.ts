// Void of a sale (200000/00/0200): the whole sale undone on its business date, in its open batch,
// from its terminal, while no refund names it (src/core/payments/void-rules.ts). Reversible: an
// approved void closes the sale and takes its fee back; an unknown outcome is reversed, which reopens
// the sale (reopen-after-reversal.ts).
import type { FollowUpRequest, FollowUpResult } from '../../core/ports/payments.ts';
import type { FollowUpContext } from './follow-up-context.ts';
import { runFollowUp } from './follow-up-pipeline.ts';

export function voidSale(context: FollowUpContext, request: FollowUpRequest & { operation: 'void' }): Promise<FollowUpResult> {
  return runFollowUp(context, request);
}
