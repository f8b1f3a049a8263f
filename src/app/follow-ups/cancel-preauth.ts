// Pre-authorization cancel (200000/06/0100): releases the whole hold, once, before it expires
// (src/core/payments/preauth-rules.ts). Reversible: an approved cancel closes the hold (a hold has no
// fee); an unknown outcome is reversed, which reopens the hold (reopen-after-reversal.ts).
import type { FollowUpRequest, FollowUpResult } from '../../core/ports/payments.ts';
import type { FollowUpContext } from './follow-up-context.ts';
import { runFollowUp } from './follow-up-pipeline.ts';

export function cancelPreauth(context: FollowUpContext, request: FollowUpRequest & { operation: 'preauth_cancel' }): Promise<FollowUpResult> {
  return runFollowUp(context, request);
}
