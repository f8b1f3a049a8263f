// The outcome unit: one write per transition of the sale's state machine. The attempt's outcome, the
// reversals the decision asks for, the payment's status and, once there is one, the stored answer (the
// idempotency key `done` with the view a replay returns) and `payment.completed` commit together; an
// approval's fee is recorded in the same write. Effects that need no durability (waking the reversal
// worker, the result for the caller) follow the commit.
import type { Decision, PaymentEffect, PaymentEvent } from '../../core/payments/payment-decision.ts';
import { derivePaymentStatus } from '../../core/payments/payment-decision.ts';
import { toPaymentView, type PaymentView } from '../../core/payments/payment-view.ts';
import { completedPayload, diagnosisOfAnswer, feeViewOf, withAnswer } from '../../core/payments/sale-answer.ts';
import { transmissionDateTime } from '../../core/payments/upstream-request.ts';
import type { AttemptRecord, FeeLineRecord, PaymentRecord } from '../../core/ports/store.ts';
import type { PaymentStatus } from '../../core/vocabulary.ts';
import { awaitInOrder, updatePaymentChecked, writeDurably } from './durable-write.ts';
import { feeOf } from './payment-views.ts';
import { reversalReasonOf } from './reversal-reason.ts';
import type { SaleContext } from './sale-context.ts';
import type { SaleServices } from './sale-deps.ts';

export function findEffect<K extends PaymentEffect['kind']>(effects: readonly PaymentEffect[], kind: K): Extract<PaymentEffect, { kind: K }> | undefined {
  // A loop rather than find() with a predicate: this runs four or five times per sale, and each predicate is a new closure.
  for (let index = 0; index < effects.length; index += 1) {
    const effect = effects[index];
    if (effect?.kind === kind) return effect as Extract<PaymentEffect, { kind: K }>;
  }
  return undefined;
}

/** The sale's attempts as it holds them, by seq (as listAttempts returns them). */
function attemptsOf(context: SaleContext): AttemptRecord[] {
  return [...context.attempts.values()].sort((a, b) => a.seq - b.seq);
}

export async function writeOutcomeUnit(deps: SaleServices, context: SaleContext, event: PaymentEvent, decision: Decision): Promise<void> {
  const reply = findEffect(decision.effects, 'reply');
  const reversalsWanted = decision.effects.filter((effect): effect is Extract<PaymentEffect, { kind: 'enqueue_reversal' }> => effect.kind === 'enqueue_reversal');
  const changedSeq = 'seq' in event && event.type !== 'reversal_settled' ? event.seq : null;
  const stillWorking = !decision.state.finished && decision.state.answer === null;
  let tries = 0;
  let written: PaymentRecord | null = null;
  let writtenAttempt: AttemptRecord | null = null;
  const known = context.stored;
  context.stored = null;
  const view = await writeDurably(deps.store, async (tx): Promise<PaymentView | null> => {
    tries += 1;
    const nowMs = deps.clock.nowMs();
    const changedAttempt = changedSeq === null ? undefined : context.attempts.get(changedSeq);
    // The first try trusts the row this sale last wrote; a retry follows a version conflict and reads it.
    const trusted = tries === 1 ? known : null;
    // With that row, the attempts are the sale's own (context.attempts, the changed one as this unit writes
    // it): no read. Every other write of a sale's attempts while it runs also updates its payment row in
    // the same transaction (a reversal settled, settle-reversal.ts; a manual resolution), so its version no
    // longer matches `trusted`: the update below is refused and the retry reads the attempts. (Recovery
    // marks only `pending` attempts `unknown`, of payments no sale of this node drives; a running sale's
    // one pending attempt is the one this unit writes.)
    const own = trusted === null ? null : attemptsOf(context);
    // With nothing to read (and no reversal to enqueue), the attempt's outcome goes out with the payment's
    // update below: the unit is one round trip on PostgreSQL. Otherwise it goes out with the reads (one
    // round trip); the attempts are read after the outcome is written, or after the reversals.
    const attemptWithUpdate = own !== null && reversalsWanted.length === 0;
    // Trusted, the attempt as this sale last committed it is the row: only the columns the answer changed are written.
    const attemptBefore = own === null || changedSeq === null ? undefined : context.storedAttempts.get(changedSeq);
    const [, read, listed] = await awaitInOrder([
      changedAttempt === undefined || attemptWithUpdate ? undefined : tx.updateAttempt(changedAttempt, attemptBefore),
      trusted === null ? tx.getPayment(context.payment.id) : undefined,
      own === null && reversalsWanted.length === 0 ? tx.listAttempts(context.payment.id) : undefined,
    ]);
    const payment = trusted ?? read ?? null;
    if (payment === null) throw new Error(`broken invariant: payment ${context.payment.id} vanished`);
    for (const wanted of reversalsWanted) {
      const attempt = context.attempts.get(wanted.seq);
      if (attempt === undefined) continue;
      const reversal = await deps.enqueueReversal(tx, {
        attempt,
        payment,
        reasonCode: reversalReasonOf(wanted.reasonCode, '98'),
        nowMs,
        newStan: await tx.nextStan(attempt.channel),
        transmittedAt: transmissionDateTime(nowMs),
      });
      context.reversals.set(wanted.seq, reversal);
      await tx.appendEvent({ type: 'payment.unknown', subjectId: payment.id, payload: { seq: attempt.seq, channel: attempt.channel, stan: attempt.stan }, atMs: nowMs });
    }
    const attempts = own ?? listed ?? (await tx.listAttempts(payment.id));
    const derived = derivePaymentStatus(attempts);
    const status: PaymentStatus = derived === 'approved' ? 'approved' : stillWorking ? 'pending' : derived;
    // The row as this unit stores it, version included (updatePayment ignores `after.version` and sets the same).
    let stored: PaymentRecord = { ...payment, status, updatedAtMs: nowMs, version: payment.version + 1 };
    if (reply !== undefined) stored = withAnswer(stored, reply.answer, attempts);
    else if (status === 'approved') stored = withAnswer(stored, { kind: 'approved', seq: attempts.find((a) => a.outcome === 'approved')?.seq ?? 0 }, attempts);
    // The fee and the answer are worked out before the writes so that the writes go out together. Neither
    // depends on the payment's update: the fee is priced from `stored` (and with the projector, only priced).
    // The fee just recorded is the payment's only fee line: the answer needs no read of them.
    let recordedFee: FeeLineRecord | null | undefined;
    if (payment.status !== 'approved' && stored.status === 'approved' && deps.fees !== undefined) recordedFee = await deps.fees.recordApproved(tx, stored, context.merchant);
    const answerView = reply === undefined ? null : toPaymentView(stored, attempts, recordedFee === undefined ? await feeOf(tx, stored.id) : feeViewOf(recordedFee === null ? [] : [recordedFee]));
    // The payment's update first: a version conflict fails the unit before the rest counts (it is tried again whole).
    await awaitInOrder([
      updatePaymentChecked(tx, payment, stored),
      changedAttempt === undefined || !attemptWithUpdate ? undefined : tx.updateAttempt(changedAttempt, attemptBefore),
      answerView === null
        ? undefined
        : tx.updateIdempotency(context.request.idempotency.scope, context.request.idempotency.key, {
            paymentId: stored.id,
            state: 'done',
            responseStatus: 201,
            responseBody: JSON.stringify(answerView),
            updatedAtMs: nowMs,
          }),
      reply === undefined || !deps.completedEventsInline
        ? undefined
        : tx.appendEvent({ type: 'payment.completed', subjectId: stored.id, payload: completedPayload(stored, diagnosisOfAnswer(reply.answer)), atMs: nowMs }),
    ]);
    written = stored;
    writtenAttempt = changedAttempt ?? null;
    return answerView;
  });
  context.stored = written;
  // Assigned inside the unit, which TypeScript's narrowing does not follow.
  const committedAttempt = writtenAttempt as AttemptRecord | null;
  if (committedAttempt !== null) context.storedAttempts.set(committedAttempt.seq, committedAttempt);
  if (reversalsWanted.length > 0) deps.reversalWorker.kick();
  if (reply !== undefined && view !== null && context.result === null) {
    const diagnosis = diagnosisOfAnswer(reply.answer);
    context.result = { kind: 'completed', view, diagnosis };
    if (deps.logger.isLevelEnabled?.('debug') !== false) deps.logger.debug({ paymentId: view.id, status: view.status, code: diagnosis.code, category: diagnosis.category, verdict: diagnosis.verdict, attempts: view.attempts.length }, 'payment answered');
  }
}
