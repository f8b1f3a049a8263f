// Goal: a merchant's day settles to the right gross, refunds, fees and net, reconciliation catches batches that disagree with their payments, and the statement CSV keeps its fixed columns. Method: one hand-computed day of payments and fee lines, then single-field tampering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSettlementBatch, escapeCell, parseStatementCsv, reconcileBatch, statementColumns, writeStatementCsv } from '../../../src/core/fees/index.ts';
import type { FeeLineRecord, PaymentRecord } from '../../../src/core/ports/store.ts';
import { samplePayment } from './fee-fixtures.ts';

const day = '2026-06-15';

function feeLine(id: string, paymentId: string, kind: FeeLineRecord['kind'], amountMinor: number, feeMinor: number): FeeLineRecord {
  return { id, paymentId, merchantId: 'M1', kind, method: 'credit', plan: 'standard', rule: 'base', amountMinor, feeMinor, rateBps: 60, businessDate: day, createdAtMs: 1_781_000_000_000 };
}

const refund: PaymentRecord = { ...samplePayment('r1', 'refund', 'approved', 20_000, 5), originalPaymentId: 's0' };
const payments: PaymentRecord[] = [
  samplePayment('s1', 'sale', 'approved', 100_000, 1),
  samplePayment('s2', 'sale', 'approved', 33_333, 2),
  samplePayment('s3', 'sale', 'voided', 50_000, 3),
  samplePayment('s4', 'sale', 'declined', 70_000, 4),
  refund,
];
const feeLines: FeeLineRecord[] = [
  feeLine('f1', 's1', 'fee', 100_000, 600),
  feeLine('f2', 's2', 'fee', 33_333, 200),
  feeLine('f3', 's3', 'fee', 50_000, 300),
  feeLine('f3x', 's3', 'fee_removed', -50_000, -300),
  feeLine('f4', 'r1', 'fee_refund', -20_000, -120),
];

test('a day settles: gross, refunds, fees, net and one line per settled payment', () => {
  const { batch, lines } = buildSettlementBatch('M1', day, payments, feeLines, { settleMode: 't1', payoutDate: '2026-06-16', createdAtMs: 5 });
  assert.equal(batch.grossMinor, 133_333);
  assert.equal(batch.refundsMinor, 20_000);
  assert.equal(batch.feesMinor, 680);
  assert.equal(batch.netMinor, 133_333 - 20_000 - 680);
  assert.equal(batch.id, 'stl_M1_2026-06-15');
  assert.deepEqual(lines.map((line) => [line.paymentId, line.amountMinor, line.feeMinor, line.netMinor]), [
    ['s1', 100_000, 600, 99_400],
    ['s2', 33_333, 200, 33_133],
    ['r1', -20_000, -120, -19_880],
  ]);
  assert.deepEqual(reconcileBatch(batch, payments, feeLines), { ok: true, differences: [], problems: [] });
});

test('a voided sale whose fee was not removed shows as a fee adjustment and fails reconciliation', () => {
  const withoutRemoval = feeLines.filter((line) => line.id !== 'f3x');
  const { batch, lines } = buildSettlementBatch('M1', day, payments, withoutRemoval, { settleMode: 't1', payoutDate: '2026-06-16', createdAtMs: 5 });
  assert.equal(lines.at(-1)?.lineType, 'fee_adjustment');
  assert.equal(lines.at(-1)?.feeMinor, 300);
  const result = reconcileBatch(batch, payments, withoutRemoval);
  assert.equal(result.ok, false);
  assert.deepEqual(result.problems, [{ paymentId: 's3', problem: 'fee_on_unsettled_payment' }]);
});

test('reconciliation names every total that disagrees and every sale without a fee', () => {
  const { batch } = buildSettlementBatch('M1', day, payments, feeLines, { settleMode: 't1', payoutDate: '2026-06-16', createdAtMs: 5 });
  const tampered = { ...batch, grossMinor: batch.grossMinor + 1 };
  const result = reconcileBatch(tampered, payments, feeLines);
  assert.equal(result.ok, false);
  assert.deepEqual(result.differences.map((d) => d.field), ['grossMinor', 'linesAmountMinor']);
  const late = samplePayment('s5', 'sale', 'approved', 1_000, 9);
  const second = reconcileBatch(batch, [...payments, late], feeLines);
  assert.deepEqual(second.problems, [{ paymentId: 's5', problem: 'missing_fee_line' }]);
  assert.deepEqual(second.differences.map((d) => d.field), ['grossMinor', 'netMinor', 'linesAmountMinor']);
});

test('a fee line of another merchant or day is a broken invariant', () => {
  assert.throws(() => buildSettlementBatch('M1', '2026-06-16', payments, feeLines, { settleMode: 't1', payoutDate: '2026-06-17', createdAtMs: 5 }), /not to batch/);
});

test('statement columns never change order; new columns go at the end', () => {
  // If this fails because a column was added, append it to the END of this list too; never reorder.
  assert.deepEqual(statementColumns, [
    'record_type', 'merchant_id', 'business_date', 'payout_date', 'settle_mode', 'payment_id', 'kind', 'created_at', 'terminal_id', 'card_masked',
    'method', 'amount_minor', 'fee_minor', 'net_minor', 'rate_bps', 'plan', 'rule', 'rrn', 'auth_code', 'original_payment_id',
  ]);
});

test('the statement CSV has a header, one detail row per line and a total row that add up', () => {
  const { batch, lines } = buildSettlementBatch('M1', day, payments, feeLines, { settleMode: 't1', payoutDate: '2026-06-16', createdAtMs: 5 });
  const text = writeStatementCsv(batch, lines);
  assert.ok(text.startsWith(`${statementColumns.join(',')}\r\n`));
  const rows = parseStatementCsv(text);
  const details = rows.filter((row) => row.record_type === 'detail');
  const total = rows.find((row) => row.record_type === 'total');
  assert.equal(details.length, 3);
  assert.equal(details.reduce((s, r) => s + Number(r.fee_minor), 0), Number(total?.fee_minor));
  assert.equal(details.reduce((s, r) => s + Number(r.net_minor), 0), Number(total?.net_minor));
  assert.equal(total?.net_minor, String(batch.netMinor));
  assert.equal(details[0]?.card_masked, '622202******0018');
  assert.equal(details[2]?.original_payment_id, 's0');
});

test('cells are quoted per RFC 4180 and formula-looking text is defused', () => {
  assert.equal(escapeCell('plain'), 'plain');
  assert.equal(escapeCell('-120'), '-120');
  assert.equal(escapeCell('a,b'), '"a,b"');
  assert.equal(escapeCell('say "hi"'), '"say ""hi"""');
  assert.equal(escapeCell('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
  assert.deepEqual(parseStatementCsv('a,b\r\n"x,1","y ""q"""\r\n'), [{ a: 'x,1', b: 'y "q"' }]);
});
