// Goal: the statements people read say the same money as the machine layout: the Chinese CSV has the same rows with yuan amounts exact to the fen, and the monthly HTML is self-contained, escaped, bilingual and totals exactly. Method: build a batch with the real settlement arithmetic, write both layouts and compare cell by cell; render a month and inspect the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildSettlementBatch } from '../../../src/core/fees/settlement-batch.ts';
import { parseStatementCsv, writeStatementCsv } from '../../../src/core/fees/statement-csv.ts';
import type { FeeLineRecord, PaymentRecord } from '../../../src/core/ports/store.ts';
import { statementColumnsZh, writeStatementCsvZh } from '../../../src/core/statements/statement-csv-zh.ts';
import { buildMonthlyStatement, monthlyStatementCsp, monthlyStatementStyle, monthRange, renderMonthlyStatementHtml } from '../../../src/core/statements/monthly-statement.ts';
import { toPayoutView } from '../../../src/core/payouts/payout-view.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { payment, feeLine, settlementBatch } from '../../adapters/store/store-fixtures.ts';

const at = (local: string): number => Date.parse(`${local}+08:00`);

function day() {
  const sale = payment('s1', 'M1', { amountMinor: 33_333, cardType: 'credit', createdAtMs: at('2026-06-18T10:00:00'), rrn: 'rrn1', authCode: 'A1' });
  const refund = payment('r1', 'M1', { kind: 'refund', amountMinor: 10_001, cardType: 'credit', createdAtMs: at('2026-06-18T12:00:00'), originalPaymentId: 's1' });
  const fees: FeeLineRecord[] = [
    feeLine('fee_s1', 's1', 'M1', { amountMinor: 33_333, feeMinor: 200, rateBps: 60, method: 'credit', businessDate: '2026-06-18' }),
    feeLine('feerf_r1', 'r1', 'M1', { kind: 'fee_refund', amountMinor: -10_001, feeMinor: -60, rateBps: 60, method: 'credit', businessDate: '2026-06-18' }),
  ];
  return buildSettlementBatch('M1', '2026-06-18', [sale, refund] as PaymentRecord[], fees, { settleMode: 't1', payoutDate: '2026-06-22', createdAtMs: at('2026-06-19T01:00:00') });
}

test('the Chinese layout: BOM, Chinese headers, the same rows as the machine layout, yuan exact to the fen', () => {
  const { batch, lines } = day();
  const zh = writeStatementCsvZh(batch, lines, 'Asia/Shanghai');
  assert.ok(zh.startsWith('\uFEFF'));
  const rowsZh = parseStatementCsv(zh.slice(1));
  const rows = parseStatementCsv(writeStatementCsv(batch, lines));
  assert.deepEqual(Object.keys(rowsZh[0] ?? {}), [...statementColumnsZh]);
  assert.equal(rowsZh.length, rows.length);
  const toFen = (yuan: string) => {
    const match = /^(-?)(\d+)\.(\d{2})$/.exec(yuan);
    assert.ok(match, yuan);
    return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 100 + Number(match[3]));
  };
  rows.forEach((row, index) => {
    const zhRow = rowsZh[index] as Record<string, string>;
    assert.equal(toFen(zhRow['交易金额(元)'] as string), Number(row.amount_minor));
    assert.equal(toFen(zhRow['手续费(元)'] as string), Number(row.fee_minor));
    assert.equal(toFen(zhRow['结算金额(元)'] as string), Number(row.net_minor));
    assert.equal(zhRow['交易流水号'], row.payment_id);
  });
  assert.equal(rowsZh[0]?.['交易类型'], '消费');
  assert.equal(rowsZh[0]?.['交易时间'], '2026-06-18 10:00:00');
  assert.equal(rowsZh[0]?.['支付方式'], '贷记卡');
  assert.equal(rowsZh[0]?.['费率(%)'], '0.60');
  assert.equal(rowsZh[1]?.['交易类型'], '退货');
  assert.equal(rowsZh[1]?.['交易金额(元)'], '-100.01');
  assert.equal(rowsZh[2]?.['记录类型'], '合计');
  assert.equal(rowsZh[2]?.['结算金额(元)'], '231.92'); // 333.33 - 100.01 - (2.00 - 0.60)
  assert.equal(rowsZh[2]?.['结算周期'], 'T+1');
});

test('monthly statement: rows in date order, exact totals, escaped names, one hashed inline style and no script', () => {
  const merchant = { id: 'M1', name: '<script>alert(1)</script> 商店' };
  const paidBatch = settlementBatch('stl_M1_2026-06-18', 'M1', { businessDate: '2026-06-18', grossMinor: 1_000_001, refundsMinor: 1, feesMinor: 5_000, netMinor: 995_000, payoutDate: '2026-06-22', state: 'paid' });
  const failedBatch = settlementBatch('stl_M1_2026-06-02', 'M1', { businessDate: '2026-06-02', grossMinor: 10_033, refundsMinor: 0, feesMinor: 60, netMinor: 9_973, payoutDate: '2026-06-03', state: 'closed' });
  const base = {
    batchId: '', merchantId: 'M1', businessDate: '', attempt: 1, currency: 'CNY', settleMode: 't1' as const, bankCode: '102100099996', accountName: 'Shop',
    accountNumberSealed: 'v1.x', accountNumberMasked: '****3445', fileId: 'pf_1', bankReference: null, createdAtMs: 1, sentAtMs: 2, version: 3,
  };
  const paid = toPayoutView({ ...base, id: 'po_a', batchId: paidBatch.id, businessDate: '2026-06-18', amountMinor: 995_000, state: 'paid', expectedArrivalDate: '2026-06-22', reasonCode: null, reasonText: null, answeredAtMs: at('2026-06-22T10:00:00') }, 'Asia/Shanghai');
  const failed = toPayoutView({ ...base, id: 'po_b', batchId: failedBatch.id, businessDate: '2026-06-02', amountMinor: 9_973, state: 'failed', expectedArrivalDate: '2026-06-03', reasonCode: 'account_name_mismatch', reasonText: '账户名不符', answeredAtMs: at('2026-06-03T10:00:00') }, 'Asia/Shanghai');
  const statement = buildMonthlyStatement(merchant, '2026-06', [{ batch: paidBatch, payout: paid }, { batch: failedBatch, payout: failed }], at('2026-07-01T09:00:00'));
  assert.deepEqual(statement.rows.map((row) => row.batch.businessDate), ['2026-06-02', '2026-06-18']);
  assert.deepEqual(statement.totals, { grossMinor: 1_010_034, refundsMinor: 1, feesMinor: 5_060, netMinor: 1_004_973, paidMinor: 995_000, unpaidMinor: 9_973 });
  const html = renderMonthlyStatementHtml(statement);
  assert.ok(!html.includes('<script'), 'names are escaped and the page has no script');
  assert.ok(html.includes('&lt;script&gt;'));
  assert.ok(html.includes('¥10049.73'), 'net total exact to the fen');
  assert.ok(html.includes('¥9950.00') && html.includes('¥99.73'));
  assert.ok(html.includes('账户名不符') && html.includes('the account name does not match'));
  assert.ok(html.includes('@media print'));
  assert.doesNotMatch(html, /(src|href)=/, 'nothing external is loaded');
  const hash = createHash('sha256').update(monthlyStatementStyle).digest('base64');
  assert.equal(monthlyStatementCsp(), `default-src 'none'; style-src 'sha256-${hash}'; frame-ancestors 'none'`);
  assert.ok(html.includes(`<style>${monthlyStatementStyle}</style>`), 'the style in the page is byte for byte the hashed one');
});

test('month ranges: real month ends, leap years, bad months refused', () => {
  assert.deepEqual(monthRange('2026-02'), { fromDate: '2026-02-01', toDate: '2026-02-28' });
  assert.deepEqual(monthRange('2028-02'), { fromDate: '2028-02-01', toDate: '2028-02-29' });
  assert.deepEqual(monthRange('2026-12'), { fromDate: '2026-12-01', toDate: '2026-12-31' });
  for (const bad of ['2026-13', '2026-1', '26-01', '2026-00']) assert.throws(() => monthRange(bad), (error: unknown) => isReswipeError(error, 'RSW_PAYOUT_BAD_MONTH'), bad);
});
