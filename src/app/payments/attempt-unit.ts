// The attempt unit: a later attempt of a sale (a retry, a failover) stored `pending` with its own
// upstream STAN before a byte of it is sent, and the payment back to `pending` if a decline had
// finished it. The sale's first attempt is written by the intent unit instead (intent-unit.ts).
import type { PaymentEffect } from '../../core/payments/payment-decision.ts';
import { buildSaleAttempt } from '../../core/payments/sale-record.ts';
import type { SaleRequest } from '../../core/ports/payments.ts';
import type { AttemptRecord, StoreTx } from '../../core/ports/store.ts';
import { newTimeOrderedId } from '../../core/time/random.ts';
import { updatePaymentChecked, writeDurably } from './durable-write.ts';
import type { SaleServices } from './sale-deps.ts';

type SendEffect = Extract<PaymentEffect, { kind: 'send' }>;

/** A pending attempt with its own upstream STAN (taken inside the unit that stores it). */
export async function newSaleAttempt(deps: Pick<SaleServices, 'random' | 'settings'>, tx: StoreTx, paymentId: string, request: SaleRequest, send: SendEffect, startedAtMs: number): Promise<AttemptRecord> {
  const id = newTimeOrderedId(deps.random, 'att', startedAtMs);
  return buildSaleAttempt({ id, paymentId, request, seq: send.seq, channel: send.channel, stan: await tx.nextStan(send.channel), httpTerminalId: deps.settings.httpTerminalId, startedAtMs });
}

export async function writeAttemptUnit(deps: SaleServices, paymentId: string, request: SaleRequest, send: SendEffect, startedAtMs: number): Promise<AttemptRecord> {
  return writeDurably(deps.store, async (tx) => {
    const record = await newSaleAttempt(deps, tx, paymentId, request, send, startedAtMs);
    await tx.insertAttempt(record);
    const payment = await tx.getPayment(paymentId);
    if (payment !== null && payment.status !== 'pending') await updatePaymentChecked(tx, payment, { ...payment, status: 'pending', updatedAtMs: startedAtMs });
    return record;
  });
}
