// The intent unit: the first durable write of a sale, before anything goes upstream. The idempotency
// key, the payment and (when the checks passed) the first attempt with its upstream STAN commit together,
// so the intent is durable when the first byte leaves and a resend finds the key taken. A sale declined
// by its checks is finished here: its key carries the stored answer at once.
import type { Diagnosis } from '../../core/declines/index.ts';
import type { PaymentEffect } from '../../core/payments/payment-decision.ts';
import type { PaymentView } from '../../core/payments/payment-view.ts';
import { completedPayload } from '../../core/payments/sale-answer.ts';
import type { SaleRequest } from '../../core/ports/payments.ts';
import type { AttemptRecord, PaymentRecord } from '../../core/ports/store.ts';
import { newSaleAttempt } from './attempt-unit.ts';
import { awaitInOrder, writeDurably } from './durable-write.ts';
import type { SaleServices } from './sale-deps.ts';

export interface SaleIntent {
  request: SaleRequest;
  payment: PaymentRecord;
  /** The local decline (the sale is answered with it), or null. */
  decline: Diagnosis | null;
  /** The view stored as the key's answer when declined; null when the sale goes upstream. */
  declinedView: PaymentView | null;
  reswipeBlockedBy: string | null;
  /** The first decision's send, when the sale goes upstream. */
  firstSend: Extract<PaymentEffect, { kind: 'send' }> | undefined;
  nowMs: number;
  /** A busy database (nothing stored, nothing sent) is retried until then; after it the sale is refused. */
  busyRetryUntilMs: number;
}

/** Writes the intent; resolves with the first attempt as stored (null when none is sent). Throws RSW_STORE_CONFLICT when the key is taken. */
export async function writeIntentUnit(deps: SaleServices, intent: SaleIntent): Promise<AttemptRecord | null> {
  const { request, payment, decline, nowMs } = intent;
  const busyRetry = { untilMs: intent.busyRetryUntilMs, clock: deps.clock, random: deps.random, sleep: deps.sleep };
  return writeDurably(deps.store, async (tx) => {
    // The attempt's STAN comes first (from the STAN block in memory, a write once per block), so that
    // every write of the unit is issued at once: one round trip on PostgreSQL. A unit that then fails
    // on the key skips that STAN, as a crash skips the rest of a block.
    const attempt = intent.firstSend === undefined ? null : await newSaleAttempt(deps, tx, payment.id, request, intent.firstSend, nowMs);
    // In this order: a key already taken fails on its own insert first, and the attempt's insert reads the payment row.
    await awaitInOrder([
      tx.insertIdempotency({
        scope: request.idempotency.scope,
        key: request.idempotency.key,
        requestHash: request.idempotency.requestHash,
        paymentId: payment.id,
        state: decline === null ? 'in_progress' : 'done',
        responseStatus: decline === null ? null : 201,
        responseBody: decline === null ? null : JSON.stringify(intent.declinedView),
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
      }),
      tx.insertPayment(payment),
      decline === null ? undefined : tx.appendEvent({ type: 'payment.completed', subjectId: payment.id, payload: completedPayload(payment, decline), atMs: nowMs }),
      intent.reswipeBlockedBy === null
        ? undefined
        : tx.appendEvent({
            type: 'payment.reswipe_blocked',
            subjectId: payment.id,
            payload: { earlierPaymentId: intent.reswipeBlockedBy, merchantId: request.merchantId, terminalId: request.terminalId, amountMinor: request.amountMinor, currency: request.currency },
            atMs: nowMs,
          }),
      attempt === null ? undefined : tx.insertAttempt(attempt),
    ]);
    return attempt;
  }, busyRetry);
}
