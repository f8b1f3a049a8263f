// Shared records for the fee tests: a payment with every field filled (the store tests' builder), varied only where a test cares.
import type { PaymentKind, PaymentRecord } from '../../../src/core/ports/store.ts';
import type { PaymentStatus } from '../../../src/core/vocabulary.ts';
import { payment } from '../../adapters/store/store-fixtures.ts';

export function samplePayment(id: string, kind: PaymentKind, status: PaymentStatus, amountMinor: number, index: number): PaymentRecord {
  return payment(id, 'M1', {
    kind,
    status,
    terminalId: 'T1',
    amountMinor,
    panFingerprint: 'fp',
    panMasked: '622202******0018',
    cardIssuer: null,
    authCode: '123456',
    rrn: null,
    createdAtMs: 1_781_000_000_000 + index,
    updatedAtMs: 1_781_000_000_000 + index,
  });
}
