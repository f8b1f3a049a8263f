// What the engine writes at a sale's intent, for the benchmarks that drive the store without the engine
// (store-group-commit, sale-units, projector-lag): a pending terminal sale and its first attempt, pending.
import { pendingAttempt } from '../src/core/payments/pending-attempt.ts';
import type { AttemptRecord, PaymentRecord } from '../src/core/ports/store.ts';

/** The fields that tell one bench sale from another; the rest is a chip sale on a UnionPay debit card. */
export type BenchSaleFields = Pick<PaymentRecord, 'id' | 'merchantId' | 'terminalId' | 'amountMinor' | 'panFingerprint' | 'panMasked' | 'cardIssuer' | 'terminalStan' | 'terminalTransmittedAt'>;

export function pendingBenchSale(fields: BenchSaleFields, atMs: number): PaymentRecord {
  return {
    ...fields,
    kind: 'sale',
    status: 'pending',
    intake: 'iso',
    currency: 'CNY',
    cardBrand: 'unionpay',
    cardType: 'debit',
    entryMode: 'chip',
    reference: null,
    originalPaymentId: null,
    responseCode: null,
    authCode: null,
    rrn: null,
    decline: null,
    createdAtMs: atMs,
    updatedAtMs: atMs,
    version: 1,
  };
}

/** The sale's first attempt on `channel` with `stan`, pending (its DE 7 from `atMs`, as the engine sets it). */
export function pendingBenchAttempt(payment: PaymentRecord, channel: string, stan: string, atMs: number): AttemptRecord {
  return pendingAttempt({ id: `att_${payment.id}`, paymentId: payment.id, seq: 1, channel, mti: '0200', stan, processingCode: '000000', upstreamTerminalId: payment.terminalId ?? 'T0000001' }, atMs);
}
