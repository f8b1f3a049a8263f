// Goal: every follow-up refusal has a Chinese cashier text that names what to do, English is the catalogue reason, and DE 63 stays within 120 bytes in UTF-8 and in GBK, cut on a character boundary. Method: table rows per refusal code built with the real rules' refuse(), plus the longest params a code can carry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { refuse, type TxnRefusalCode } from '../../../src/core/payments/txn-rule-result.ts';
import { refusalCashierMessage, refusalText } from '../../../src/core/payments/txn-refusal-text.ts';

/** One row per refusal code: the params the rules pass and the Chinese text a cashier reads. */
const rows: ReadonlyArray<{ code: TxnRefusalCode; params: Record<string, string | number>; zh: string }> = [
  { code: 'RSW_TXN_ORIGINAL_NOT_FOUND', params: { originalId: 'pay_1' }, zh: '原交易不存在，请核对凭证号或参考号' },
  { code: 'RSW_TXN_ORIGINAL_NOT_APPROVED', params: { status: 'declined', operation: 'refund' }, zh: '原交易被拒绝，不能退货' },
  { code: 'RSW_TXN_ORIGINAL_WRONG_KIND', params: { operation: 'completion', expected: 'a pre-authorization', actual: 'sale' }, zh: '原交易是消费，不能做预授权完成' },
  { code: 'RSW_TXN_VOID_OTHER_DAY', params: { originalDate: '2026-11-24', todayDate: '2026-11-25' }, zh: '原交易非当日交易，不能撤销，请做退货' },
  { code: 'RSW_TXN_BATCH_SETTLED', params: {}, zh: '该批次已结算，不能撤销，请做退货' },
  { code: 'RSW_TXN_VOID_OTHER_TERMINAL', params: { originalTerminalId: 'T0000001' }, zh: '撤销须在原交易终端T0000001上进行，请做退货' },
  { code: 'RSW_TXN_VOID_AMOUNT', params: { originalMinor: 10_000, amountMinor: 500 }, zh: '撤销须为原交易全额100.00元，部分退款请做退货' },
  { code: 'RSW_TXN_ALREADY_VOIDED', params: {}, zh: '原交易已撤销' },
  { code: 'RSW_TXN_HAS_REFUNDS', params: {}, zh: '原交易已有退货，不能撤销，请退剩余金额' },
  { code: 'RSW_TXN_REFUND_EXCEEDS', params: { refundableMinor: 6_000, originalMinor: 10_000 }, zh: '退货金额超过可退余额，还可退60.00元' },
  { code: 'RSW_TXN_AMOUNT_INVALID', params: { amount: 0 }, zh: '金额无效，请重新输入' },
  { code: 'RSW_TXN_CURRENCY_MISMATCH', params: { currency: 'USD', originalCurrency: 'CNY' }, zh: '币种与原交易不符' },
  { code: 'RSW_TXN_HOLD_EXPIRED', params: { holdDays: 30 }, zh: '预授权已超过30天失效，请重新做预授权' },
  { code: 'RSW_TXN_HOLD_CLOSED', params: { closedBy: 'completed' }, zh: '该预授权已完成' },
  { code: 'RSW_TXN_COMPLETION_EXCEEDS', params: { amountMinor: 12_000, authorizedMinor: 10_000, maxMinor: 11_500 }, zh: '完成金额超过预授权金额允许范围，最多115.00元' },
  { code: 'RSW_TXN_CANCEL_AMOUNT', params: { originalMinor: 5, amountMinor: 1 }, zh: '预授权撤销须为全额0.05元' },
  { code: 'RSW_TXN_CARD_MISMATCH', params: {}, zh: '卡号与原交易不符，请使用原交易卡' },
  { code: 'RSW_TXN_TERMINAL_NOT_MERCHANTS', params: { terminalId: 'T0000009' }, zh: '终端T0000009未登记在该商户下' },
  { code: 'RSW_TXN_REVERSAL_OTHER_TERMINAL', params: { field: 'DE 42' }, zh: '冲正须由原交易终端和商户发起' },
  { code: 'RSW_TXN_REVERSAL_AMOUNT', params: { originalMinor: 3_456, amountMinor: 1 }, zh: '冲正金额须与原交易金额34.56元一致' },
  { code: 'RSW_TXN_REVERSAL_BATCH_SETTLED', params: {}, zh: '该批次已结算，不能冲正，请做退货' },
  { code: 'RSW_TXN_REVERSAL_TOO_LATE', params: { windowMinutes: 1440 }, zh: '已超过冲正时限，请做退货' },
];

test('each refusal code has its Chinese cashier text; English is the catalogue reason', () => {
  for (const row of rows) {
    const refusal = refuse(row.code, row.params);
    assert.equal(refusalText(refusal, 'zh'), row.zh, row.code);
    assert.equal(refusalCashierMessage(refusal, 'zh'), row.zh, `${row.code} fits DE 63 whole`);
    assert.equal(refusalCashierMessage(refusal, 'en'), refusal.reason.slice(0, 120), row.code);
  }
  assert.equal(new Set(rows.map((row) => row.code)).size, rows.length, 'one row per code');
});

test('DE 63 stays within 120 bytes in UTF-8 and GBK and is cut on a character boundary', () => {
  const longTerminal = refuse('RSW_TXN_VOID_OTHER_TERMINAL', { originalTerminalId: '终'.repeat(60) });
  const text = refusalCashierMessage(longTerminal, 'zh');
  assert.ok(Buffer.byteLength(text, 'utf8') <= 120, `${Buffer.byteLength(text, 'utf8')} UTF-8 bytes`);
  assert.ok(iconv.encode(text, 'gbk').length <= 120, 'GBK is never longer than UTF-8 for this text');
  assert.equal(text.length, 40, '120 bytes of UTF-8 hold exactly 40 Chinese characters, none split');
  assert.ok(refusalText(longTerminal, 'zh').startsWith(text));
  const longEnglish = refuse('RSW_TXN_VOID_OTHER_TERMINAL', { originalTerminalId: 'x'.repeat(200) });
  assert.equal(Buffer.byteLength(refusalCashierMessage(longEnglish, 'en'), 'utf8'), 120);
  assert.equal(refusalCashierMessage(refuse('RSW_TXN_BATCH_SETTLED'), 'zh', 6), '该批', 'a smaller bound cuts between characters');
});
