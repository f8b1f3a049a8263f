// A follow-up's stored form and its answer: what the pipeline (follow-up-pipeline.ts) writes before it
// sends, and what both it and the reply's record (record-follow-up-reply.ts) store as the answer.
import type { Diagnosis } from '../../core/declines/index.ts';
import type { FollowUpToSend } from '../../core/payments/follow-up-decision.ts';
import { toPaymentView } from '../../core/payments/payment-view.ts';
import type { FollowUpRequest, TxnView } from '../../core/ports/payments.ts';
import type { AttemptRecord, MerchantRecord, PaymentRecord, StoreTx } from '../../core/ports/store.ts';

/** A follow-up as stored before it is sent: the payment, its pending attempt, and what it was decided from. */
export interface StoredFollowUp {
  readonly kind: 'stored';
  readonly decision: FollowUpToSend;
  readonly payment: PaymentRecord;
  readonly attempt: AttemptRecord;
  readonly original: PaymentRecord;
  readonly originalAttempt: AttemptRecord;
  readonly merchant: MerchantRecord;
}

/** Stores the answer with the idempotency key (a retransmission gets exactly this answer) and records the completion. */
export async function answerInTx(tx: StoreTx, request: FollowUpRequest, payment: PaymentRecord, diagnosis: Diagnosis, nowMs: number): Promise<TxnView> {
  const view = txnView(payment, await tx.listAttempts(payment.id));
  await tx.updateIdempotency(request.idempotency.scope, request.idempotency.key, { paymentId: payment.id, state: 'done', responseStatus: 201, responseBody: JSON.stringify(view), updatedAtMs: nowMs });
  await tx.appendEvent({
    type: 'payment.completed',
    subjectId: payment.id,
    payload: { kind: payment.kind, status: payment.status, code: diagnosis.code, category: diagnosis.category, verdict: diagnosis.verdict, amountMinor: payment.amountMinor, originalPaymentId: payment.originalPaymentId },
    atMs: nowMs,
  });
  return view;
}

export function txnView(payment: PaymentRecord, attempts: readonly AttemptRecord[]): TxnView {
  return { ...toPaymentView(payment, attempts), kind: payment.kind, originalPaymentId: payment.originalPaymentId };
}
