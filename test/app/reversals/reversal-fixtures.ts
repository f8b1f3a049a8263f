// Shared seed for the reversal tests: a merchant, terminal, payment and one attempt whose outcome
// is unknown, plus its queued reversal, written through the store port as the engine would.
import type { AttemptRecord, PaymentRecord, ReversalRecord, Store } from '../../../src/core/ports/store.ts';
import { enqueueReversal } from '../../../src/app/reversals/reversal-worker.ts';

/** A merchant, terminal, payment and one attempt with an unknown outcome, then its queued reversal. */
export async function seedUnknownAttempt(
  store: Store,
  nowMs: number,
  suffix = '1',
  sent: { stan?: string; transmittedAt?: string; amountMinor?: number } = {},
): Promise<{ payment: PaymentRecord; attempt: AttemptRecord; reversal: ReversalRecord }> {
  const payment: PaymentRecord = {
    id: `pay_${suffix}`,
    kind: 'sale',
    status: 'pending',
    intake: 'iso',
    merchantId: '898310048160001',
    terminalId: 'T0000001',
    amountMinor: sent.amountMinor ?? 12345,
    currency: 'CNY',
    panFingerprint: 'fp',
    panMasked: '622202******1234',
    cardBrand: 'unionpay',
    cardType: 'debit',
    cardIssuer: null,
    entryMode: 'chip',
    terminalStan: suffix.padStart(6, '0'),
    terminalTransmittedAt: '1125103000',
    reference: null,
    originalPaymentId: null,
    responseCode: null,
    authCode: null,
    rrn: null,
    decline: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    version: 1,
  };
  const attempt: AttemptRecord = {
    id: `att_${suffix}`,
    paymentId: payment.id,
    seq: 1,
    channel: 'bank-a',
    mti: '0200',
    stan: sent.stan ?? String(100 + Number(suffix)).padStart(6, '0'),
    transmittedAt: sent.transmittedAt ?? '1125103000',
    processingCode: '000000',
    upstreamTerminalId: 'T0000001',
    outcome: 'unknown',
    responseCode: null,
    authCode: null,
    rrn: null,
    latencyMs: null,
    sentAtMs: nowMs,
    completedAtMs: null,
    createdAtMs: nowMs,
  };
  const reversal = await store.write(async (tx) => {
    if ((await tx.getMerchant(payment.merchantId)) === null) {
      await tx.upsertMerchant({
        id: payment.merchantId,
        name: 'Test shop',
        mcc: '5411',
        accepts: ['debit', 'credit'],
        limits: {},
        feePlan: 'standard',
        disabled: false,
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
      });
      await tx.upsertTerminal({
        id: 'T0000001',
        merchantId: payment.merchantId,
        state: 'active',
        signedOn: true,
        batchNo: '000001',
        limits: {},
        lastSeenAtMs: null,
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
      });
    }
    await tx.insertPayment(payment);
    await tx.insertAttempt(attempt);
    const stan = await tx.nextStan('bank-a');
    return enqueueReversal(tx, { attempt, payment, reasonCode: '98', nowMs, newStan: stan, transmittedAt: '1125103031' });
  });
  return { payment, attempt, reversal };
}
