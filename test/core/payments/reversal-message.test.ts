// Goal: the 0400/0401 built from stored records follows host-link.md field by field. Method: build
// from fixed records and compare every field, DE 90 digit by digit, and the 0400/0401 difference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReversalRequest, currencyNumericFor, originalDataElements } from '../../../src/core/payments/reversal-message.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import type { AttemptRecord, PaymentRecord, ReversalRecord } from '../../../src/core/ports/store.ts';
import { buildUpstreamSale } from '../../../src/core/payments/upstream-request.ts';
import { CardNumber } from '../../../src/core/cards/pan.ts';
import { attempt as attemptRecord, payment as paymentRecord, reversal as reversalRecord } from '../../adapters/store/store-fixtures.ts';

// The sale's records as the store keeps them (the store tests' builders); every value the expected messages below depend on is spelled out here.
const attempt: AttemptRecord = attemptRecord('att_1', 'pay_1', {
  mti: '0200',
  stan: '000123',
  transmittedAt: '1125103000',
  processingCode: '000000',
  upstreamTerminalId: 'T0000001',
  outcome: 'unknown',
  sentAtMs: 1,
  createdAtMs: 1,
});

const payment: PaymentRecord = paymentRecord('pay_1', '898310048160001', {
  status: 'pending',
  intake: 'iso',
  terminalId: 'T0000001',
  amountMinor: 12345,
  currency: 'CNY',
  panFingerprint: 'fp',
  panMasked: '622202******1234',
  cardIssuer: null,
  terminalStan: '000001',
  terminalTransmittedAt: '1125103000',
  responseCode: null,
  authCode: null,
  rrn: null,
  createdAtMs: 1,
  updatedAtMs: 1,
});

const reversal: ReversalRecord = reversalRecord('rev_att_1', 'att_1', 'pay_1', { reasonCode: '98', stan: '000124', transmittedAt: '1125103031', nextAtMs: 0, createdAtMs: 1 });

test('the first try is an 0400 with every mandatory field and no PAN', () => {
  const message = buildReversalRequest(attempt, payment, reversal, '48020000', 1);
  assert.equal(message.mti, '0400');
  assert.deepEqual(message.fields, {
    3: '000000',
    4: '000000012345',
    7: '1125103031',
    11: '000124',
    32: '48020000',
    39: '98',
    41: 'T0000001',
    42: '898310048160001',
    49: '156',
    90: '0200' + '000123' + '1125103000' + '00048020000' + '00000000000',
  });
  assert.equal(Object.hasOwn(message.fields, 2), false);
});

test('later tries are 0401 repeats identical to the 0400 but for the MTI', () => {
  const first = buildReversalRequest(attempt, payment, reversal, '48020000', 1);
  for (const tryNumber of [2, 3, 7]) {
    const repeat = buildReversalRequest(attempt, payment, { ...reversal, tries: tryNumber - 1 }, '48020000', tryNumber);
    assert.equal(repeat.mti, '0401');
    assert.deepEqual(repeat.fields, first.fields);
  }
});

test('DE 90 is 42 digits: MTI, STAN, DE 7, DE 32 zero-filled to 11, 11 zeros', () => {
  const de90 = originalDataElements({ mti: '0100', stan: '999999', transmittedAt: '0101000000' }, '1');
  assert.equal(de90.length, 42);
  assert.equal(de90, '0100' + '999999' + '0101000000' + '00000000001' + '00000000000');
});

test('an acquirer id that is not 1-11 digits is a configuration error, not a crash', () => {
  for (const bad of ['', '123456789012', 'ABC']) {
    assert.throws(() => originalDataElements(attempt, bad), (error) => isReswipeError(error, 'RSW_REVERSAL_ACQUIRER_ID_INVALID'));
  }
});

test('DE 49 is numeric: alphabetic codes translate, numeric pass, unknown ones are an error', () => {
  assert.equal(currencyNumericFor('CNY'), '156');
  assert.equal(currencyNumericFor('usd'), '840');
  assert.equal(currencyNumericFor('156'), '156');
  assert.throws(() => currencyNumericFor('XXX'), (error) => isReswipeError(error, 'RSW_REVERSAL_CURRENCY_UNKNOWN'));
});

test('records that do not belong together are a broken invariant', () => {
  assert.throws(() => buildReversalRequest(attempt, payment, { ...reversal, attemptId: 'att_2' }, '48020000', 1), /broken invariant/);
  assert.throws(() => buildReversalRequest(attempt, payment, reversal, '48020000', 0), /broken invariant/);
});

test('the reversal names exactly the terminal, merchant, processing code, currency and DE 7/11 of the 0200 it reverses', () => {
  const nowMs = Date.UTC(2026, 10, 25, 10, 30, 0);
  for (const [merchantId, terminalId] of [['898310048160001', 'T0000001'], ['M1', 'T1'], ['MERCHANT-ID-LONGER-THAN-15', 'TERMINAL-LONG']] as const) {
    const sale = buildUpstreamSale({
      amountMinor: 500,
      currency: 'CNY',
      card: { number: new CardNumber('6222021234567890123'), entryMode: 'chip' },
      merchant: { id: merchantId, name: 'Shop', mcc: '5411' },
      upstreamTerminalId: terminalId,
      acquirerId: '48020000',
      stan: '000321',
      nowMs,
    });
    const saleAttempt: AttemptRecord = { ...attempt, stan: '000321', transmittedAt: String(sale.fields[7]), processingCode: String(sale.fields[3]), upstreamTerminalId: terminalId };
    const message = buildReversalRequest(saleAttempt, { ...payment, merchantId, amountMinor: 500 }, reversal, '48020000', 1);
    for (const de of [3, 4, 32, 41, 42, 49]) assert.equal(message.fields[de], sale.fields[de], `DE ${de} for ${merchantId}`);
    assert.equal(String(message.fields[90]).slice(0, 20), '0200' + '000321' + String(sale.fields[7]));
  }
});
