// Pre-authorization completion (000000/06/0200): captures up to the authorized amount plus the
// configured tolerance, once, before the hold expires (src/core/payments/preauth-rules.ts).
// Reversible: an approved completion is priced like a sale; an unknown outcome is reversed.
import type { FollowUpRequest, FollowUpResult } from '../../core/ports/payments.ts';
import type { FollowUpContext } from './follow-up-context.ts';
import { runFollowUp } from './follow-up-pipeline.ts';

export function completePreauth(context: FollowUpContext, request: FollowUpRequest & { operation: 'completion' }): Promise<FollowUpResult> {
  return runFollowUp(context, request);
}
