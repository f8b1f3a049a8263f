// Goal: a terminal's own 0400 may undo its sale only from the sale's terminal and merchant, for the
// sale's amount, before the sale's batch is settled and within the window; each broken rule is named
// with its stable code and DE 39, first broken rule first. Method: table rows over decideTerminalReversal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideTerminalReversal, type TerminalReversalRequest } from '../../../src/core/payments/terminal-reversal-rules.ts';

const saleAtMs = Date.parse('2026-12-05T10:00:00Z');
const hourMs = 3_600_000;
const base: TerminalReversalRequest = {
  original: { terminalId: 'T0000001', merchantId: 'M00000000000001', amountMinor: 3_456, createdAtMs: saleAtMs },
  terminalId: 'T0000001',
  merchantId: 'M00000000000001',
  amountMinor: 3_456,
  nowMs: saleAtMs + 60_000,
  windowMs: 24 * hourMs,
  batchSettledAtMs: null,
};

const rows: Array<[string, Partial<TerminalReversalRequest>, string | null, string | null]> = [
  ['the sale\'s own terminal, merchant and amount, a minute later', {}, null, null],
  ['another terminal id', { terminalId: 'T0000002' }, 'RSW_TXN_REVERSAL_OTHER_TERMINAL', '63'],
  ['another merchant id', { merchantId: 'M00000000000002' }, 'RSW_TXN_REVERSAL_OTHER_TERMINAL', '63'],
  ['no merchant id', { merchantId: '' }, 'RSW_TXN_REVERSAL_OTHER_TERMINAL', '63'],
  ['the merchant id with DE 42 padding is the same merchant', { merchantId: 'M00000000000001 ' }, null, null],
  ['an HTTP sale (no terminal) cannot be reversed by a terminal', { original: { ...base.original, terminalId: null } }, 'RSW_TXN_REVERSAL_OTHER_TERMINAL', '63'],
  ['one fen less', { amountMinor: 3_455 }, 'RSW_TXN_REVERSAL_AMOUNT', '64'],
  ['no DE 4', { amountMinor: null }, 'RSW_TXN_REVERSAL_AMOUNT', '64'],
  ['the batch was settled after the sale', { batchSettledAtMs: saleAtMs + 30_000 }, 'RSW_TXN_REVERSAL_BATCH_SETTLED', '12'],
  ['the batch was settled in the same millisecond', { batchSettledAtMs: saleAtMs }, 'RSW_TXN_REVERSAL_BATCH_SETTLED', '12'],
  ['an earlier batch was settled before the sale', { batchSettledAtMs: saleAtMs - 1 }, null, null],
  ['at the window\'s edge', { nowMs: saleAtMs + 24 * hourMs }, null, null],
  ['one millisecond past the window', { nowMs: saleAtMs + 24 * hourMs + 1 }, 'RSW_TXN_REVERSAL_TOO_LATE', '12'],
  ['a shorter configured window', { windowMs: hourMs, nowMs: saleAtMs + 2 * hourMs }, 'RSW_TXN_REVERSAL_TOO_LATE', '12'],
  ['the first broken rule is named: other merchant and wrong amount', { merchantId: 'M00000000000009', amountMinor: 1 }, 'RSW_TXN_REVERSAL_OTHER_TERMINAL', '63'],
];

test('terminal reversal rules, one row per case', () => {
  for (const [name, change, code, de39] of rows) {
    const result = decideTerminalReversal({ ...base, ...change });
    if (code === null) {
      assert.equal(result.kind, 'allowed', name);
    } else {
      assert.equal(result.kind, 'refused', name);
      if (result.kind !== 'refused') continue;
      assert.equal(result.code, code, name);
      assert.equal(result.isoResponseCode, de39, name);
    }
  }
});

test('the refusal names what differs, and the window in minutes', () => {
  const merchant = decideTerminalReversal({ ...base, merchantId: 'M00000000000002' });
  assert.ok(merchant.kind === 'refused' && merchant.reason.includes('DE 42'));
  const amount = decideTerminalReversal({ ...base, amountMinor: 1 });
  assert.ok(amount.kind === 'refused' && amount.reason.includes('3456') && amount.reason.includes(' 1'));
  const late = decideTerminalReversal({ ...base, nowMs: saleAtMs + 25 * hourMs });
  assert.ok(late.kind === 'refused' && late.reason.includes('1440 minutes'));
});
