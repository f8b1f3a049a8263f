// Shared seed for the reversal tests: a merchant, terminal, payment and one attempt whose outcome
// is unknown, plus its queued reversal, written through the store port as the engine would. The
// records are the store tests' builders with the values these tests rely on.
import type { AttemptRecord, PaymentRecord, ReversalRecord, Store } from '../../../src/core/ports/store.ts';
import { enqueueReversal } from '../../../src/app/reversals/reversal-worker.ts';
import { attempt as attemptRecord, merchant, payment as paymentRecord, terminal } from '../../adapters/store/store-fixtures.ts';

/** A merchant, terminal, payment and one attempt with an unknown outcome, then its queued reversal. */
export async function seedUnknownAttempt(
  store: Store,
  nowMs: number,
  suffix = '1',
  sent: { stan?: string; transmittedAt?: string; amountMinor?: number } = {},
): Promise<{ payment: PaymentRecord; attempt: AttemptRecord; reversal: ReversalRecord }> {
  const payment: PaymentRecord = paymentRecord(`pay_${suffix}`, '898310048160001', {
    status: 'pending',
    intake: 'iso',
    terminalId: 'T0000001',
    amountMinor: sent.amountMinor ?? 12345,
    panFingerprint: 'fp',
    panMasked: '622202******1234',
    cardIssuer: null,
    terminalStan: suffix.padStart(6, '0'),
    terminalTransmittedAt: '1125103000',
    responseCode: null,
    authCode: null,
    rrn: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  });
  const attempt: AttemptRecord = attemptRecord(`att_${suffix}`, payment.id, {
    stan: sent.stan ?? String(100 + Number(suffix)).padStart(6, '0'),
    transmittedAt: sent.transmittedAt ?? '1125103000',
    outcome: 'unknown',
    sentAtMs: nowMs,
    createdAtMs: nowMs,
  });
  const reversal = await store.write(async (tx) => {
    if ((await tx.getMerchant(payment.merchantId)) === null) {
      await tx.upsertMerchant(merchant(payment.merchantId, { name: 'Test shop', accepts: ['debit', 'credit'], limits: {}, createdAtMs: nowMs, updatedAtMs: nowMs }));
      await tx.upsertTerminal(terminal('T0000001', payment.merchantId, { lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs }));
    }
    await tx.insertPayment(payment);
    await tx.insertAttempt(attempt);
    const stan = await tx.nextStan('bank-a');
    return enqueueReversal(tx, { attempt, payment, reasonCode: '98', nowMs, newStan: stan, transmittedAt: '1125103031' });
  });
  return { payment, attempt, reversal };
}
