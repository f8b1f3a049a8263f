// Void of a pre-authorization completion (200000/06/0200): the void rules of a sale, applied to a
// completion (src/core/payments/void-rules.ts). Reversible: an approved completion void closes the
// completion and takes its fee back; the hold it captured stays closed.
import type { FollowUpRequest, FollowUpResult } from '../../core/ports/payments.ts';
import type { FollowUpContext } from './follow-up-context.ts';
import { runFollowUp } from './follow-up-pipeline.ts';

export function voidCompletion(context: FollowUpContext, request: FollowUpRequest & { operation: 'completion_void' }): Promise<FollowUpResult> {
  return runFollowUp(context, request);
}
