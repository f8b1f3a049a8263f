// Payment and attempt rows for the pure sale tests: a pending CUP sale of 100.00 CNY and its attempts.
import type { AttemptRecord, PaymentRecord } from '../../../src/core/ports/store.ts';

export function salePayment(overrides: Partial<PaymentRecord> = {}): PaymentRecord {
  return {
    id: 'pay_1',
    kind: 'sale',
    status: 'pending',
    intake: 'iso',
    merchantId: 'M1',
    terminalId: 'T1',
    amountMinor: 10_000,
    currency: 'CNY',
    panFingerprint: 'fp',
    panMasked: '622202******0018',
    cardBrand: 'unionpay',
    cardType: 'debit',
    cardIssuer: null,
    entryMode: 'chip',
    terminalStan: '000001',
    terminalTransmittedAt: '1206010000',
    reference: null,
    originalPaymentId: null,
    responseCode: null,
    authCode: null,
    rrn: null,
    decline: null,
    createdAtMs: 1_000,
    updatedAtMs: 1_000,
    version: 1,
    ...overrides,
  };
}

export function saleAttempt(seq: number, overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    id: `att_${seq}`,
    paymentId: 'pay_1',
    seq,
    channel: 'a',
    mti: '0200',
    stan: String(seq).padStart(6, '0'),
    transmittedAt: '1206010000',
    processingCode: '000000',
    upstreamTerminalId: 'T1      ',
    outcome: 'pending',
    responseCode: null,
    authCode: null,
    rrn: null,
    latencyMs: null,
    sentAtMs: null,
    completedAtMs: null,
    createdAtMs: 1_000,
    ...overrides,
  };
}
