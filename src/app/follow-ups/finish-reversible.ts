// The record step of a reversible follow-up (void, completion, cancel, completion void): one attempt;
// approved applies the decision's effects to the original, declined leaves it as it was, and an
// unknown outcome is reversed (queued in the same write; the reversal worker sends it) while the
// client is told 98/WAIT. One write: the attempt, the follow-up, the reversal or the original's change,
// the answer stored with the idempotency key.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { FollowUpEffects } from '../../core/payments/follow-up-decision.ts';
import { classifyReply } from '../../core/payments/classify-reply.ts';
import { transmissionDateTime } from '../../core/payments/upstream-request.ts';
import type { ChannelSendResult } from '../../core/ports/channel.ts';
import type { FollowUpRequest } from '../../core/ports/payments.ts';
import type { AttemptRecord, PaymentRecord, StoreTx } from '../../core/ports/store.ts';
import type { PaymentStatus } from '../../core/vocabulary.ts';
import { toStoredDecline } from '../../core/payments/stored-decline.ts';
import { mustGetPayment, type FollowUpContext } from './follow-up-context.ts';
import { answerInTx, type CompletedFollowUp, type StoredFollowUp } from './follow-up-pipeline.ts';

export async function finishReversible(context: FollowUpContext, request: FollowUpRequest, stored: StoredFollowUp, result: ChannelSendResult): Promise<CompletedFollowUp> {
  const { payment, attempt, decision } = stored;
  const nowMs = context.clock.nowMs();
  // Declined or not sent: nothing moved, the original stays as it was.
  const outcome = classifyReply(result, nowMs);
  const view = await context.store.write(async (tx) => {
    const updatedAttempt: AttemptRecord = { ...attempt, ...outcome.fields };
    await tx.updateAttempt(updatedAttempt);
    const current = await mustGetPayment(tx, payment.id);
    const status: PaymentStatus = outcome.kind === 'approved' ? 'approved' : outcome.kind === 'unknown' ? 'pending' : 'declined';
    const updated: PaymentRecord = {
      ...current,
      status,
      responseCode: outcome.kind === 'approved' ? (outcome.fields.responseCode ?? '00') : outcome.diagnosis.code,
      authCode: outcome.fields.authCode ?? null,
      rrn: outcome.fields.rrn ?? null,
      decline: outcome.kind === 'approved' ? null : toStoredDecline(outcome.diagnosis),
      updatedAtMs: nowMs,
      version: current.version + 1,
    };
    if (!(await tx.updatePayment(current, updated))) throw new Error(`broken invariant: follow-up ${payment.id} changed under its only writer`);
    if (outcome.kind === 'unknown') {
      await context.enqueueReversal(tx, { attempt: updatedAttempt, payment: updated, reasonCode: '98', nowMs, newStan: await tx.nextStan(attempt.channel), transmittedAt: transmissionDateTime(nowMs) });
      await tx.appendEvent({ type: 'payment.unknown', subjectId: payment.id, payload: { seq: 1, channel: attempt.channel, stan: attempt.stan }, atMs: nowMs });
    }
    if (outcome.kind === 'approved') await applyEffects(context, tx, decision.effects, updated, nowMs);
    return answerInTx(tx, request, updated, outcome.diagnosis, nowMs);
  });
  if (outcome.kind === 'unknown') context.reversalWorker.kick();
  return { kind: 'completed', view, diagnosis: outcome.diagnosis };
}

/** What an approved follow-up does: a void or cancel closes its original, a completion records its fee. */
async function applyEffects(context: FollowUpContext, tx: StoreTx, effects: FollowUpEffects, followUp: PaymentRecord, nowMs: number): Promise<void> {
  if (effects.followUpFee === 'sale' && context.fees !== undefined) await context.fees.recordApproved(tx, followUp);
  if (!effects.closesOriginal) return;
  // Locked like in the deciding write: the read-modify-write of the original waits for any other node's decision on it.
  const original = followUp.originalPaymentId === null ? null : await tx.lockPaymentForUpdate(followUp.originalPaymentId);
  if (original === null) throw new Error(`broken invariant: follow-up ${followUp.id} lost its original`);
  if (original.status !== 'approved') return;
  const voided: PaymentRecord = { ...original, status: 'voided', updatedAtMs: nowMs, version: original.version + 1 };
  if (!(await tx.updatePayment(original, voided))) throw new ReswipeError('RSW_STORE_CONFLICT', { constraint: 'payments_version' });
  if (effects.removesOriginalFees && context.fees !== undefined) await context.fees.removeForPayment(tx, voided);
  await tx.appendEvent({ type: 'payment.voided', subjectId: original.id, payload: { by: followUp.id, operation: followUp.kind }, atMs: nowMs });
}
