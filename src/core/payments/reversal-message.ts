// The 0400/0401 reversal request of host-link.md, built from what the store keeps. The store never
// holds a PAN, so DE 2 is omitted: the host finds the original by DE 90. Every try carries the
// reversal's own STAN and DE 7 fixed at enqueue time, so a 0401 repeat is byte-identical to the
// 0400 except for the MTI, which is what lets the host recognise it as a repeat.
import type { IsoMessage } from '../iso8583/index.ts';
import type { AttemptRecord, PaymentRecord, ReversalRecord } from '../ports/store.ts';
import { ReswipeError } from '../errors/reswipe-error.ts';
import { fixedAns } from './upstream-fields.ts';

/** ISO 4217 numeric codes for the alphabetic currencies a payment may carry; DE 49 is n3. */
const currencyNumericByAlpha: Readonly<Record<string, string>> = Object.freeze({
  CNY: '156',
  HKD: '344',
  MOP: '446',
  TWD: '901',
  USD: '840',
  EUR: '978',
  GBP: '826',
  JPY: '392',
  KRW: '410',
  SGD: '702',
});

/** DE 49 for a payment's currency: numeric codes pass through, known alphabetic codes are translated. */
export function currencyNumericFor(currency: string): string {
  if (/^[0-9]{3}$/.test(currency)) return currency;
  const numeric = currencyNumericByAlpha[currency.toUpperCase()];
  if (numeric === undefined) throw new ReswipeError('RSW_REVERSAL_CURRENCY_UNKNOWN', { field: 'currency', currency });
  return numeric;
}

/** DE 90: original MTI (4) + original STAN (6) + original DE 7 (10) + original DE 32 right-aligned zero-filled (11) + 11 zeros. */
export function originalDataElements(attempt: Pick<AttemptRecord, 'mti' | 'stan' | 'transmittedAt'>, acquirerId: string): string {
  assertDigits(attempt.mti, 4, 'attempt.mti');
  assertDigits(attempt.stan, 6, 'attempt.stan');
  assertDigits(attempt.transmittedAt, 10, 'attempt.transmittedAt');
  if (!/^[0-9]{1,11}$/.test(acquirerId)) throw new ReswipeError('RSW_REVERSAL_ACQUIRER_ID_INVALID', { field: 'acquirerId' });
  return attempt.mti + attempt.stan + attempt.transmittedAt + acquirerId.padStart(11, '0') + '0'.repeat(11);
}

/** The reversal request for try `tryNumber` (1 = the 0400, later tries = 0401 repeats). */
export function buildReversalRequest(
  attempt: AttemptRecord,
  payment: PaymentRecord,
  reversal: ReversalRecord,
  acquirerId: string,
  tryNumber: number,
): IsoMessage {
  if (!(Number.isInteger(tryNumber) && tryNumber >= 1)) throw new Error(`broken invariant: reversal try number ${tryNumber}`);
  if (reversal.attemptId !== attempt.id || attempt.paymentId !== payment.id) {
    throw new Error('broken invariant: reversal, attempt and payment do not belong together');
  }
  if (!(Number.isSafeInteger(payment.amountMinor) && payment.amountMinor >= 0)) {
    throw new Error(`broken invariant: payment amount ${payment.amountMinor} is not a whole number of minor units`);
  }
  assertDigits(reversal.stan, 6, 'reversal.stan');
  assertDigits(reversal.transmittedAt, 10, 'reversal.transmittedAt');
  return {
    mti: tryNumber === 1 ? '0400' : '0401',
    fields: {
      3: attempt.processingCode,
      4: String(payment.amountMinor).padStart(12, '0'),
      7: reversal.transmittedAt,
      11: reversal.stan,
      32: acquirerId,
      39: reversal.reasonCode,
      41: fixedAns(attempt.upstreamTerminalId, 8),
      42: fixedAns(payment.merchantId, 15),
      49: currencyNumericFor(payment.currency),
      90: originalDataElements(attempt, acquirerId),
    },
  };
}

function assertDigits(value: string, length: number, what: string): void {
  // The store only ever holds what the engine sent, so a malformed value here is corruption, not input.
  if (value.length !== length || !/^[0-9]+$/.test(value)) throw new Error(`broken invariant: ${what} is not n${length}`);
}
