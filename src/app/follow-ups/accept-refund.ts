// Refund (200000/00/0220, an advice): part or all of an approved sale or completion given back, on
// any later day, never more in total than the original (src/core/payments/refund-rules.ts). The
// advice is accepted once stored (it counts against the original from the deciding write on) and
// sent at once; the host acknowledges it (approved), refuses it (declined), or does not answer, and
// then it stays queued for the advice forwarder (forward-refund-advices.ts), which re-sends it as 0221
// with the same STAN and DE 7. A refund is never reversed.
import { approvedDiagnosis } from '../../core/declines/index.ts';
import { classifyReply } from '../../core/payments/classify-reply.ts';
import type { ChannelSendResult } from '../../core/ports/channel.ts';
import type { FollowUpRequest, FollowUpResult } from '../../core/ports/payments.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import { toStoredDecline } from '../../core/payments/stored-decline.ts';
import { mustGetPayment, type FollowUpContext } from './follow-up-context.ts';
import { answerInTx, runFollowUp, type CompletedFollowUp, type StoredFollowUp } from './follow-up-pipeline.ts';

export function acceptRefund(context: FollowUpContext, request: FollowUpRequest & { operation: 'refund' }): Promise<FollowUpResult> {
  return runFollowUp(context, request, finishAdvice);
}

/** Refund advice: acknowledged (approved), refused by the host (declined), or left for the forwarder. */
async function finishAdvice(context: FollowUpContext, request: FollowUpRequest, stored: StoredFollowUp, result: ChannelSendResult): Promise<CompletedFollowUp> {
  const { payment, attempt, decision } = stored;
  const nowMs = context.clock.nowMs();
  const reply = classifyReply(result, nowMs);
  // An advice that provably never left counts as refused by the host: nothing was given back.
  const refused = reply.kind === 'declined' || reply.kind === 'not_sent';
  const diagnosis = refused ? reply.diagnosis : approvedDiagnosis();
  const view = await context.store.write(async (tx) => {
    const current = await mustGetPayment(tx, payment.id);
    let updated: PaymentRecord;
    if (reply.kind === 'approved') {
      await tx.updateAttempt({ ...attempt, ...reply.fields });
      updated = { ...current, status: 'approved', responseCode: reply.fields.responseCode ?? '00', authCode: reply.fields.authCode ?? null, rrn: reply.fields.rrn ?? null };
    } else if (refused) {
      await tx.updateAttempt({ ...attempt, ...reply.fields });
      updated = { ...current, status: 'declined', responseCode: reply.diagnosis.code, decline: toStoredDecline(reply.diagnosis), rrn: reply.fields.rrn ?? null };
      await tx.appendEvent({ type: 'payment.refund_refused_upstream', subjectId: payment.id, payload: { code: reply.diagnosis.code }, atMs: nowMs });
    } else {
      // Sent and not acknowledged: the advice stays pending in the queue (same STAN and DE 7), to be
      // repeated as 0221, and the refund stands.
      await tx.updateAttempt({ ...attempt, mti: '0221', sentAtMs: reply.fields.sentAtMs ?? nowMs });
      updated = { ...current, status: 'approved', responseCode: '00' };
      await tx.appendEvent({ type: 'payment.refund_queued', subjectId: payment.id, payload: { channel: attempt.channel, stan: attempt.stan }, atMs: nowMs });
    }
    updated = { ...updated, updatedAtMs: nowMs, version: current.version + 1 };
    if (!(await tx.updatePayment(current, updated))) throw new Error(`broken invariant: refund ${payment.id} changed under its only writer`);
    if (updated.status === 'approved' && decision.effects.followUpFee === 'refund' && context.fees !== undefined) await context.fees.recordRefund(tx, updated);
    return answerInTx(tx, request, updated, diagnosis, nowMs);
  });
  return { kind: 'completed', view, diagnosis };
}
