// Goal: the balance inquiry asks for no money and names the card it was given, and its DE 54 balance
// reads with its sign. Method: the built 0200 field by field, and table rows for DE 54.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceOfDe54, buildBalanceInquiry } from '../../../src/core/payments/balance-inquiry.ts';

const nowMs = Date.UTC(2026, 10, 25, 2, 3, 4);

test('the 0200 of a balance inquiry: DE 3 310000, zero amount, the card passed through, local time in DE 12/13', () => {
  const message = buildBalanceInquiry({
    stan: '000042',
    nowMs,
    localOffsetMinutes: 480,
    merchant: { id: 'M100', mcc: '5411' },
    acquirerId: '00000000001',
    terminalId: 'T1',
    currency: 'CNY',
    card: { pan: '6222020000000000018', expiry: '3012', entryMode: 'chip' },
  });
  assert.equal(message.mti, '0200');
  assert.deepEqual(message.fields, {
    2: '6222020000000000018',
    3: '310000',
    4: '000000000000',
    7: '1125020304',
    11: '000042',
    12: '100304',
    13: '1125',
    14: '3012',
    18: '5411',
    22: '051',
    25: '00',
    32: '00000000001',
    41: 'T1      ',
    42: 'M100           ',
    49: '156',
  });
});

test('an unknown entry mode is sent as manual, track 2 is passed through', () => {
  const message = buildBalanceInquiry({ stan: '000001', nowMs, localOffsetMinutes: 480, merchant: { id: 'M100', mcc: '5411' }, acquirerId: '1', terminalId: 'T0000001', currency: 'CNY', card: { track2: '6222020000000000018=3012', entryMode: 'telepathy' } });
  assert.equal(message.fields[22], '012');
  assert.equal(message.fields[35], '6222020000000000018=3012');
  assert.equal(message.fields[2], undefined);
});

const de54Rows: Array<[string, string | null, number | null]> = [
  ['a credit balance', '1002156C000000012345', 12_345],
  ['a debit (negative) balance', '1002156D000000000100', -100],
  ['only the first amount counts', '1002156C0000000000011001156C000000099999', 1],
  ['no DE 54', null, null],
  ['an unreadable DE 54', '1002156X000000012345', null],
  ['a short DE 54', '1002156C0001', null],
];

for (const [name, de54, expected] of de54Rows) {
  test(`DE 54: ${name}`, () => {
    assert.equal(balanceOfDe54(de54), expected);
  });
}
