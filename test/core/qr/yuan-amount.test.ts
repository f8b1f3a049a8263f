// Goal: fen ↔ yuan text is exact. Method: every amount from 0 to 200000 fen and the range's ends round
// trip; the decimal form is compared with the digits, never a float; malformed texts are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fenToYuan, yuanAmountMaxMinor, yuanToFen } from '../../../src/core/qr/yuan-amount.ts';

test('fen to yuan writes two decimals and round-trips exactly', () => {
  assert.equal(fenToYuan(0), '0.00');
  assert.equal(fenToYuan(1), '0.01');
  assert.equal(fenToYuan(10), '0.10');
  assert.equal(fenToYuan(29), '0.29');
  assert.equal(fenToYuan(1234), '12.34');
  assert.equal(fenToYuan(yuanAmountMaxMinor), '100000000.00');
  for (let fen = 0; fen <= 200_000; fen += 1) {
    const yuan = fenToYuan(fen);
    assert.equal(yuanToFen(yuan), fen);
    if (fen % 997 === 0) assert.equal(yuan, `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`);
  }
});

test('yuan text with one or no decimals is read; anything else is null', () => {
  assert.equal(yuanToFen('12'), 1200);
  assert.equal(yuanToFen('12.3'), 1230);
  assert.equal(yuanToFen('0.29'), 29);
  assert.equal(yuanToFen('100000000.00'), yuanAmountMaxMinor);
  for (const bad of ['', '1.234', '-1.00', '1e3', ' 1.00', '1.00 ', '.5', '1.', '0x10', '１.００', '1,00']) assert.equal(yuanToFen(bad), null, bad);
});

test('fen outside whole, non-negative, in-range numbers is a broken invariant', () => {
  for (const bad of [-1, 1.5, Number.NaN, yuanAmountMaxMinor + 1]) assert.throws(() => fenToYuan(bad));
});
