// Refund (200000/00/0220, an advice): part or all of an approved sale or completion given back, on
// any later day, never more in total than the original, never beside a void in flight
// (src/core/payments/refund-rules.ts). The advice is accepted once stored (it counts against the
// original from the deciding write on, status `approved`) and sent at once; the host acknowledges it,
// refuses it (declined, nothing given back), or does not answer, and then the refund stands and the
// advice stays queued for the forwarder (forward-refund-advices.ts), which repeats it as 0221 with the
// same STAN and DE 7 (src/core/payments/follow-up-reply.ts). A refund is never reversed.
import type { FollowUpRequest, FollowUpResult } from '../../core/ports/payments.ts';
import type { FollowUpContext } from './follow-up-context.ts';
import { runFollowUp } from './follow-up-pipeline.ts';

export function acceptRefund(context: FollowUpContext, request: FollowUpRequest & { operation: 'refund' }): Promise<FollowUpResult> {
  return runFollowUp(context, request);
}
