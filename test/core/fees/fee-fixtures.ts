// Shared records for the fee tests: a payment with every field filled, varied only where a test cares.
import type { PaymentKind, PaymentRecord } from '../../../src/core/ports/store.ts';
import type { PaymentStatus } from '../../../src/core/vocabulary.ts';

export function samplePayment(id: string, kind: PaymentKind, status: PaymentStatus, amountMinor: number, index: number): PaymentRecord {
  return {
    id,
    kind,
    status,
    intake: 'http',
    merchantId: 'M1',
    terminalId: 'T1',
    amountMinor,
    currency: 'CNY',
    panFingerprint: 'fp',
    panMasked: '622202******0018',
    cardBrand: 'unionpay',
    cardType: 'debit',
    cardIssuer: null,
    entryMode: 'chip',
    terminalStan: null,
    terminalTransmittedAt: null,
    reference: null,
    originalPaymentId: null,
    responseCode: '00',
    authCode: '123456',
    rrn: null,
    decline: null,
    createdAtMs: 1_781_000_000_000 + index,
    updatedAtMs: 1_781_000_000_000 + index,
    version: 1,
  };
}

