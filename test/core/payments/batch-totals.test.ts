// Goal: batch totals count exactly the money a terminal's batch moved (sales and completions as
// debits, refunds as credits, nothing for voided, declined, holds or inquiries) and the 0500 DE 48
// round-trips. Method: table rows over computeBatchTotals and a fast-check round trip of the format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  computeBatchTotals,
  decideSettlement,
  formatBatchTotals,
  nextBatchNo,
  parseBatchTotals,
  settlementResponseCode,
  type JournalEntry,
} from '../../../src/core/payments/batch-totals.ts';

const journal: JournalEntry[] = [
  { kind: 'sale', status: 'approved', amountMinor: 1_000 },
  { kind: 'sale', status: 'voided', amountMinor: 2_000 },
  { kind: 'void', status: 'approved', amountMinor: 2_000 },
  { kind: 'sale', status: 'declined', amountMinor: 3_000 },
  { kind: 'sale', status: 'reversed', amountMinor: 3_000 },
  { kind: 'completion', status: 'approved', amountMinor: 500 },
  { kind: 'preauth', status: 'approved', amountMinor: 9_000 },
  { kind: 'preauth_cancel', status: 'approved', amountMinor: 9_000 },
  { kind: 'refund', status: 'approved', amountMinor: 300 },
  { kind: 'refund', status: 'pending', amountMinor: 700 },
  { kind: 'balance_inquiry', status: 'approved', amountMinor: 0 },
];

test('journal totals: debits are live sales and completions, credits accepted refunds', () => {
  assert.deepEqual(computeBatchTotals(journal), { debitCount: 2, debitMinor: 1_500, creditCount: 1, creditMinor: 300 });
});

test('equal totals close the batch (00); unequal ones answer 95', () => {
  const totals = computeBatchTotals(journal);
  assert.equal(settlementResponseCode(decideSettlement(totals, totals)), '00');
  assert.equal(settlementResponseCode(decideSettlement({ ...totals, creditMinor: 301 }, totals)), '95');
  assert.equal(settlementResponseCode(decideSettlement({ ...totals, debitCount: 3 }, totals)), '95');
});

test('DE 48 totals parse and refuse short text', () => {
  assert.deepEqual(parseBatchTotals('000000001500002000000000300001'), { debitMinor: 1_500, debitCount: 2, creditMinor: 300, creditCount: 1 });
  assert.equal(parseBatchTotals('0000015'), null);
});

test('property: DE 48 totals round-trip', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 999_999_999_999 }), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999_999_999_999 }), fc.integer({ min: 0, max: 999 }), (debitMinor, debitCount, creditMinor, creditCount) => {
      const totals = { debitMinor, debitCount, creditMinor, creditCount };
      assert.deepEqual(parseBatchTotals(formatBatchTotals(totals)), totals);
    }),
  );
});

test('a balanced settlement moves the terminal to the next batch number, 000001 after 999999', () => {
  assert.equal(nextBatchNo('000001'), '000002');
  assert.equal(nextBatchNo('000999'), '001000');
  assert.equal(nextBatchNo('999999'), '000001');
});
