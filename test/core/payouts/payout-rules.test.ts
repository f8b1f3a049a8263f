// Goal: the pure payout rules do what docs/payouts.md says: the state machine moves only sent → paid | failed, re-answers are no-ops and contradictions refusals; expected arrival follows T+1 / D0 and the holiday calendar, also when a transfer is sent late; account data is validated without echoing the number and masked to the last four digits. Method: table tests on hand-made records and the built-in 2026 calendar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinHolidayCalendar } from '../../../src/core/fees/builtin-fee-plans.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import {
  decidePayoutAnswer,
  expectedArrivalDate,
  markPayoutSent,
  maskAccountNumber,
  payoutIdOf,
  payoutReasonOf,
  payoutReasonCodes,
  payoutReasons,
  toPayoutView,
  validatePayoutAccount,
  type PayoutAnswer,
} from '../../../src/core/payouts/index.ts';
import type { PayoutRecord } from '../../../src/core/ports/store.ts';

function payout(overrides: Partial<PayoutRecord> = {}): PayoutRecord {
  return {
    id: payoutIdOf('stl_M1_2026-06-18', 1),
    batchId: 'stl_M1_2026-06-18',
    merchantId: 'M1',
    businessDate: '2026-06-18',
    attempt: 1,
    amountMinor: 1_020_643,
    currency: 'CNY',
    settleMode: 't1',
    bankCode: '102100099996',
    accountName: '上海测试商贸有限公司',
    accountNumberSealed: 'v1.sealed',
    accountNumberMasked: '****3445',
    state: 'sent',
    fileId: 'pf_1',
    expectedArrivalDate: '2026-06-22',
    bankReference: null,
    reasonCode: null,
    reasonText: null,
    createdAtMs: 1,
    sentAtMs: 2,
    answeredAtMs: null,
    version: 2,
    ...overrides,
  };
}

const paidAnswer: PayoutAnswer = { payoutId: 'po_stl_M1_2026-06-18_1', status: 'paid', amountMinor: 1_020_643, bankReference: 'B001', reasonCode: null, reasonText: null };
const failedAnswer: PayoutAnswer = { ...paidAnswer, status: 'failed', bankReference: null, reasonCode: 'ACCOUNT_NAME_MISMATCH', reasonText: '账户名不符' };

test('a sent payout becomes paid, with the bank reference and a new version', () => {
  const decision = decidePayoutAnswer(payout(), paidAnswer, 'pf_1', 1000);
  assert.equal(decision.kind, 'apply');
  if (decision.kind !== 'apply') return;
  assert.equal(decision.next.state, 'paid');
  assert.equal(decision.next.bankReference, 'B001');
  assert.equal(decision.next.answeredAtMs, 1000);
  assert.equal(decision.next.version, 3);
});

test('a failed answer carries the reason code (any case) and the bank text', () => {
  const decision = decidePayoutAnswer(payout(), failedAnswer, 'pf_1', 1000);
  assert.equal(decision.kind, 'apply');
  if (decision.kind !== 'apply') return;
  assert.equal(decision.next.state, 'failed');
  assert.equal(decision.next.reasonCode, 'account_name_mismatch');
  assert.equal(decision.next.reasonText, '账户名不符');
});

test('an unknown reason code is kept as other with the bank text; no text gives the catalogue text', () => {
  const unknown = decidePayoutAnswer(payout(), { ...failedAnswer, reasonCode: 'E9999', reasonText: '柜面退回' }, 'pf_1', 1);
  assert.ok(unknown.kind === 'apply' && unknown.next.reasonCode === 'other' && unknown.next.reasonText === '柜面退回');
  const bare = decidePayoutAnswer(payout(), { ...failedAnswer, reasonCode: 'account_closed', reasonText: null }, 'pf_1', 1);
  assert.ok(bare.kind === 'apply' && bare.next.reasonText === '账户已销户');
});

test('re-answers and contradictions: the same answer again is a no-op, anything else is refused', () => {
  const rows: Array<{ name: string; record: PayoutRecord; answer: PayoutAnswer; fileId: string; kind: string; problem?: string }> = [
    { name: 'paid, answered paid again', record: payout({ state: 'paid' }), answer: paidAnswer, fileId: 'pf_1', kind: 'already' },
    { name: 'failed, answered failed again', record: payout({ state: 'failed' }), answer: failedAnswer, fileId: 'pf_1', kind: 'already' },
    { name: 'paid, answered failed', record: payout({ state: 'paid' }), answer: failedAnswer, fileId: 'pf_1', kind: 'refused', problem: 'conflicting_answer' },
    { name: 'failed, answered paid', record: payout({ state: 'failed' }), answer: paidAnswer, fileId: 'pf_1', kind: 'refused', problem: 'conflicting_answer' },
    { name: 'never sent', record: payout({ state: 'pending', fileId: null }), answer: paidAnswer, fileId: 'pf_1', kind: 'refused', problem: 'not_sent' },
    { name: 'amount differs by one fen', record: payout(), answer: { ...paidAnswer, amountMinor: 1_020_642 }, fileId: 'pf_1', kind: 'refused', problem: 'amount_mismatch' },
    { name: 'answer of another file', record: payout(), answer: paidAnswer, fileId: 'pf_2', kind: 'refused', problem: 'other_file' },
  ];
  for (const row of rows) {
    const decision = decidePayoutAnswer(row.record, row.answer, row.fileId, 1);
    assert.equal(decision.kind, row.kind, row.name);
    if (decision.kind === 'refused') assert.equal(decision.problem, row.problem, row.name);
  }
});

test('only a pending payout is marked sent', () => {
  const sent = markPayoutSent(payout({ state: 'pending', fileId: null, sentAtMs: null, version: 1 }), 'pf_9', 50, '2026-06-22');
  assert.deepEqual([sent.state, sent.fileId, sent.sentAtMs, sent.version], ['sent', 'pf_9', 50, 2]);
  assert.throws(() => markPayoutSent(payout(), 'pf_9', 50, '2026-06-22'), /only a pending payout/);
});

test('expected arrival: T+1 over holidays and make-up days, D0 the same day, later when sent later', () => {
  const rows: Array<[string, 't1' | 'd0', string | undefined, string]> = [
    ['2026-03-13', 't1', undefined, '2026-03-16'], // Friday → Monday
    ['2026-06-18', 't1', undefined, '2026-06-22'], // Dragon Boat Festival 19-21 June
    ['2026-02-13', 't1', undefined, '2026-02-14'], // a Saturday make-up working day
    ['2026-06-18', 'd0', undefined, '2026-06-18'],
    ['2026-06-20', 'd0', undefined, '2026-06-20'], // D0 pays on holidays too
    ['2026-06-18', 't1', '2026-06-19', '2026-06-22'], // sent on the holiday: still the promised Monday
    ['2026-06-18', 't1', '2026-06-23', '2026-06-23'], // sent late on a working day: arrives that day
    ['2026-06-18', 't1', '2026-06-27', '2026-06-29'], // sent late on a Saturday: next working day
    ['2026-06-18', 'd0', '2026-06-20', '2026-06-20'], // D0 sent two days late, on a holiday
  ];
  for (const [businessDate, mode, sentDate, expected] of rows) {
    assert.equal(expectedArrivalDate(businessDate, mode, builtinHolidayCalendar, sentDate), expected, `${businessDate} ${mode} sent ${sentDate}`);
  }
});

test('account data: validated, spaces in the number dropped, the number never in the message, masked to the last four', () => {
  const ok = validatePayoutAccount({ bankCode: ' 102100099996 ', accountName: ' 上海测试商贸有限公司 ', accountNumber: '6222 0202 0011 2233 445' });
  assert.deepEqual(ok, { bankCode: '102100099996', accountName: '上海测试商贸有限公司', accountNumber: '6222020200112233445' });
  assert.equal(maskAccountNumber(ok.accountNumber), '****3445');
  const bad: Array<[Partial<Record<'bankCode' | 'accountName' | 'accountNumber', string>>, string]> = [
    [{ bankCode: '10210009999' }, 'bankCode'],
    [{ accountName: '' }, 'accountName'],
    [{ accountName: 'A|B' }, 'accountName'],
    [{ accountName: 'x'.repeat(61) }, 'accountName'],
    [{ accountNumber: '6222abc20200112' }, 'accountNumber'],
    [{ accountNumber: '1234567' }, 'accountNumber'],
  ];
  for (const [change, field] of bad) {
    const input = { bankCode: '102100099996', accountName: 'Shop', accountNumber: '6222020200112233445', ...change };
    assert.throws(
      () => validatePayoutAccount(input),
      (error: unknown) => isReswipeError(error, 'RSW_PAYOUT_ACCOUNT_INVALID') && error.field === field && !error.message.includes(input.accountNumber),
      field,
    );
  }
});

test('every reason has zh-CN and en texts; lookups ignore case and fall back to other', () => {
  for (const code of payoutReasonCodes) {
    assert.ok(payoutReasons[code].zh.length > 0 && payoutReasons[code].en.length > 0, code);
  }
  assert.equal(payoutReasons.account_name_mismatch.zh, '账户名不符');
  assert.equal(payoutReasonOf('Account_Name_Mismatch').code, 'account_name_mismatch');
  assert.equal(payoutReasonOf('nonsense').code, 'other');
});

test('the view: masked account, no sealed field, actual arrival in local time and lateness', () => {
  // Paid at 2026-06-23 01:00 Shanghai (2026-06-22T17:00Z): arrived the 23rd, a day late.
  const view = toPayoutView(payout({ state: 'paid', answeredAtMs: Date.parse('2026-06-22T17:00:00Z') }), 'Asia/Shanghai');
  assert.equal(view.actualArrivalDate, '2026-06-23');
  assert.equal(view.late, true);
  assert.equal(view.amountYuan, '10206.43');
  assert.ok(!JSON.stringify(view).includes('sealed'));
  const failed = toPayoutView(payout({ state: 'failed', reasonCode: 'account_name_mismatch', reasonText: '账户名不符' }), 'Asia/Shanghai');
  assert.deepEqual(failed.reason, { code: 'account_name_mismatch', zh: '账户名不符', en: 'the account name does not match the account number', party: 'merchant', bankText: '账户名不符' });
  assert.equal(failed.actualArrivalDate, null);
});
