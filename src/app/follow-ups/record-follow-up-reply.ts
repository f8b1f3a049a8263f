// The record step of every follow-up: the host's answer, classified once (classify-reply.ts) and
// turned into what it does to this follow-up (decideFollowUpReply), written in one store write with
// the attempt, the follow-up, the reversal of an unknown reversible outcome, the event, the effects an
// approval has on the original (decideFollowUp's), and the answer stored with the idempotency key.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { classifyReply } from '../../core/payments/classify-reply.ts';
import type { FollowUpEffects } from '../../core/payments/follow-up-decision.ts';
import { decideFollowUpReply, type FollowUpReplyDecision } from '../../core/payments/follow-up-reply.ts';
import { transmissionDateTime } from '../../core/payments/upstream-request.ts';
import type { ChannelSendResult } from '../../core/ports/channel.ts';
import type { FollowUpRequest, FollowUpResult } from '../../core/ports/payments.ts';
import type { AttemptRecord, PaymentRecord, StoreTx } from '../../core/ports/store.ts';
import { mustGetPayment, type FollowUpContext } from './follow-up-context.ts';
import { answerInTx, type StoredFollowUp } from './follow-up-answer.ts';

export async function recordFollowUpReply(context: FollowUpContext, request: FollowUpRequest, stored: StoredFollowUp, result: ChannelSendResult): Promise<Extract<FollowUpResult, { kind: 'completed' }>> {
  const { payment, attempt, decision } = stored;
  const nowMs = context.clock.nowMs();
  const outcome = decideFollowUpReply(decision.delivery, classifyReply(result, nowMs), nowMs);
  const view = await context.store.write(async (tx) => {
    const updatedAttempt: AttemptRecord = { ...attempt, ...outcome.attempt };
    await tx.updateAttempt(updatedAttempt);
    const current = await mustGetPayment(tx, payment.id);
    const updated: PaymentRecord = { ...current, ...outcome.payment, updatedAtMs: nowMs, version: current.version + 1 };
    if (!(await tx.updatePayment(current, updated))) throw new Error(`broken invariant: follow-up ${payment.id} changed under its only writer`);
    if (outcome.reverse) {
      await context.enqueueReversal(tx, { attempt: updatedAttempt, payment: updated, reasonCode: '98', nowMs, newStan: await tx.nextStan(attempt.channel), transmittedAt: transmissionDateTime(nowMs) });
    }
    if (outcome.event !== null) await tx.appendEvent({ type: outcome.event, subjectId: payment.id, payload: eventPayload(outcome, attempt), atMs: nowMs });
    if (updated.status === 'approved') await applyEffects(context, tx, decision.effects, updated, nowMs);
    return answerInTx(tx, request, updated, outcome.diagnosis, nowMs);
  });
  if (outcome.reverse) context.reversalWorker.kick();
  return { kind: 'completed', view, diagnosis: outcome.diagnosis };
}

function eventPayload(outcome: FollowUpReplyDecision, attempt: AttemptRecord): Record<string, unknown> {
  switch (outcome.event) {
    case 'payment.unknown':
      return { seq: attempt.seq, channel: attempt.channel, stan: attempt.stan };
    case 'payment.refund_refused_upstream':
      return { code: outcome.diagnosis.code };
    case 'payment.refund_queued':
      return { channel: attempt.channel, stan: attempt.stan };
    case null:
      return {};
  }
}

/** What an approved follow-up does: a void or cancel closes its original, a completion records its fee, a refund gives its share of the fee back. */
async function applyEffects(context: FollowUpContext, tx: StoreTx, effects: FollowUpEffects, followUp: PaymentRecord, nowMs: number): Promise<void> {
  if (effects.followUpFee === 'sale' && context.fees !== undefined) await context.fees.recordApproved(tx, followUp);
  if (effects.followUpFee === 'refund' && context.fees !== undefined) await context.fees.recordRefund(tx, followUp);
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
