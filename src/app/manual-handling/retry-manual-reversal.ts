// Use case: an operator retries the dead reversal(s) of a flagged payment now. Each dead row goes back
// to the reversal queue with a fresh budget (tries 0) and a fresh STAN and DE 7, exactly as the queue
// reopens a final reversal (reopenReversal): the host may already have answered the old 0400 from its
// duplicate memory, so a repeat of it could be answered without being acted on. The queue's claim rule
// then makes sure one worker sends each try. The payment stays flagged; it resolves itself (with an
// event) only when the bank confirms the reversal, or is flagged again if the retry dies too.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { decideManualHandling } from '../../core/payments/manual-handling-decision.ts';
import { resolutionNoteRefusal, type ManualHandlingView } from '../../core/payments/manual-handling-view.ts';
import { transmissionDateTime } from '../../core/payments/upstream-fields.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { reopenReversal } from '../reversals/reversal-worker.ts';
import { loadManualHandlingForUpdate, manualHandlingFactsOf, viewOfLoaded } from './load-manual-handling.ts';
import type { ManualHandlingDeps } from './manual-handling-deps.ts';
import type { RetryManualReversalInput } from '../../core/ports/manual-handling-use-cases.ts';

export type { RetryManualReversalInput };

/** Re-queues every dead reversal of a flagged payment; throws a RSW_MANUAL_* ReswipeError when refused (nothing changed). */
export async function retryManualReversal(deps: ManualHandlingDeps, input: RetryManualReversalInput): Promise<ManualHandlingView> {
  const noteRefusal = input.note === undefined ? null : resolutionNoteRefusal(input.note);
  if (noteRefusal !== null) throw new ReswipeError(noteRefusal.code, { field: 'note', ...(noteRefusal.code === 'RSW_MANUAL_NOTE_INVALID' ? { reason: noteRefusal.reason } : {}) });
  const view = await deps.store.write(async (tx) => {
    const loaded = await loadManualHandlingForUpdate(tx, input.paymentId);
    if (loaded === null) throw new ReswipeError('RSW_MANUAL_PAYMENT_NOT_FOUND', { paymentId: input.paymentId, field: 'paymentId' });
    const decision = decideManualHandling(await manualHandlingFactsOf(tx, loaded, deps.settlementDay), { kind: 'retry_reversal' });
    if (decision.kind === 'refused') throw new ReswipeError(decision.refusal.code, { ...decision.refusal.params, field: 'paymentId' });
    if (decision.kind !== 'retry_reversals') throw new Error(`broken invariant: a retry decided ${decision.kind}`);
    const nowMs = deps.clock.nowMs();
    const retried: Array<{ reversalId: string; stan: string }> = [];
    for (const reversalId of decision.reversalIds) {
      const pair = loaded.reversals.find(({ reversal }) => reversal.id === reversalId);
      if (pair === undefined) throw new Error(`broken invariant: decided to retry ${reversalId}, which the payment does not have`);
      const reopened = await reopenReversal(tx, {
        attemptId: pair.attempt.id,
        nowMs,
        newStan: await tx.nextStan(pair.reversal.channel),
        transmittedAt: transmissionDateTime(nowMs),
        why: `manual retry by ${input.actor}`,
      });
      if (reopened === null) throw new Error(`broken invariant: reversal ${reversalId} vanished`);
      retried.push({ reversalId, stan: reopened.stan });
    }
    await recordAudit(tx, {
      actor: input.actor,
      action: 'manual_handling.retry_reversal',
      subjectId: input.paymentId,
      detail: { reversals: retried, ...(input.note === undefined ? {} : { note: input.note }) },
      atMs: nowMs,
    });
    await tx.appendEvent({ type: 'payment.manual_retry', subjectId: input.paymentId, payload: { reversalIds: retried.map((r) => r.reversalId), actor: input.actor }, atMs: nowMs });
    const after = await loadManualHandlingForUpdate(tx, input.paymentId);
    if (after === null) throw new Error('broken invariant: the payment vanished inside its own write');
    const answer = viewOfLoaded(after);
    await input.inTx?.(tx, answer);
    return answer;
  });
  deps.kickReversals?.();
  return view;
}
