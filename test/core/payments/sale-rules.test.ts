// Goal: the small pure rules of a sale decide what the old engine class decided inline: a late reply's
// consequence, the payment after a settled reversal, the event and retry a channel answer leads to, the
// records a sale starts with, its answer fields, and the local day and month windows. Method: table rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CardNumber } from '../../../src/core/cards/pan.ts';
import { classifyOutcome, classifyResponseCode } from '../../../src/core/declines/index.ts';
import { classifyReply } from '../../../src/core/payments/classify-reply.ts';
import { decideLateReply, isAdviceMti, isLateReplyToLookUp } from '../../../src/core/payments/late-reply-rules.ts';
import { recoveryPolicy } from '../../../src/core/payments/recovery-policy.ts';
import { diagnosisOfView, feeViewOf, lastDiagnosisOf, parseStoredView, withAnswer } from '../../../src/core/payments/sale-answer.ts';
import { saleEventOf, type SaleRecoveryInputs } from '../../../src/core/payments/sale-event.ts';
import { buildSaleAttempt, buildSalePayment, checkedTerminal } from '../../../src/core/payments/sale-record.ts';
import { paymentAfterReversalSettled } from '../../../src/core/payments/settled-reversal.ts';
import { toPaymentView } from '../../../src/core/payments/payment-view.ts';
import type { SaleRequest } from '../../../src/core/ports/payments.ts';
import type { AttemptState } from '../../../src/core/ports/store.ts';
import { localWindows } from '../../../src/core/time/local-windows.ts';
import { saleAttempt, salePayment } from './sale-records.ts';

test('late reply: only an approval to a sale or pre-authorization attempt leads to a reversal', () => {
  const rows: Array<[string | null, string, AttemptState, ReturnType<typeof decideLateReply>]> = [
    ['00', '0200', 'unknown', 'queue_reversal'],
    ['00', '0100', 'pending', 'queue_reversal'],
    ['00', '0200', 'reversed', 'reopen_reversal'],
    ['00', '0200', 'approved', 'record_only'],
    ['00', '0200', 'declined', 'record_only'],
    ['00', '0220', 'unknown', 'record_only'],
    ['51', '0200', 'unknown', 'record_only'],
    [null, '0200', 'unknown', 'record_only'],
  ];
  for (const [responseCode, mti, outcome, expected] of rows) {
    assert.equal(decideLateReply({ responseCode, attempt: { mti, outcome } }), expected, `${responseCode} ${mti} ${outcome}`);
  }
  assert.equal(isAdviceMti('0221'), true);
  assert.equal(isAdviceMti('0230'), true);
  assert.equal(isAdviceMti('0210'), false);
});

test('late reply: looked up only when late, with STAN and DE 7, for a 01xx or 02xx reply', () => {
  const reply = { mti: '0210', stan: '000001', transmittedAt: '1206010000', late: true };
  assert.equal(isLateReplyToLookUp(reply), true);
  assert.equal(isLateReplyToLookUp({ ...reply, mti: '0110' }), true);
  assert.equal(isLateReplyToLookUp({ ...reply, late: false }), false);
  assert.equal(isLateReplyToLookUp({ ...reply, stan: undefined }), false);
  assert.equal(isLateReplyToLookUp({ ...reply, transmittedAt: undefined }), false);
  assert.equal(isLateReplyToLookUp({ ...reply, mti: '0410' }), false);
});

test('settled reversal: the status follows the attempts, except while driven and after a void; the fee goes with the approval', () => {
  const reversedOnly = [saleAttempt(1, { outcome: 'reversed' })];
  const after = paymentAfterReversalSettled({ payment: salePayment({ status: 'approved' }), attempts: reversedOnly, isDriven: false, nowMs: 7 });
  assert.equal(after.payment.status, 'reversed');
  assert.equal(after.payment.decline?.code, classifyOutcome('reversed').code);
  assert.equal(after.payment.updatedAtMs, 7);
  assert.equal(after.removesFee, true);
  const driven = paymentAfterReversalSettled({ payment: salePayment(), attempts: reversedOnly, isDriven: true, nowMs: 7 });
  assert.equal(driven.payment.status, 'pending');
  assert.equal(driven.payment.decline, null);
  assert.equal(driven.removesFee, false);
  const voided = paymentAfterReversalSettled({ payment: salePayment({ status: 'voided' }), attempts: reversedOnly, isDriven: false, nowMs: 7 });
  assert.equal(voided.payment.status, 'voided');
  const stillApproved = paymentAfterReversalSettled({ payment: salePayment({ status: 'approved' }), attempts: [saleAttempt(1, { outcome: 'reversed' }), saleAttempt(2, { outcome: 'approved' })], isDriven: false, nowMs: 7 });
  assert.equal(stillApproved.payment.status, 'approved');
  assert.equal(stillApproved.removesFee, false);
});

const sale: SaleRecoveryInputs = { policy: recoveryPolicy, route: ['a', 'b'], schemeBudgetAllowed: true, replyByMs: 50_000, autoRetriesMax: 2, attemptMinMs: 1_000, isOneTimeCode: false };
const at = { seq: 1, channel: 'a', attemptsSoFar: 1, nowMs: 10_000 };
const answer = (fields: Record<number, string>) => classifyReply({ kind: 'reply', message: { mti: '0210', fields }, sentAtMs: 9_000, latencyMs: 5 }, at.nowMs);

test('sale event: an approval stops, a channel-side decline and a not-sent fail over, a card-side decline stops', () => {
  const approved = saleEventOf(sale, answer({ 39: '00' }), at);
  assert.equal(approved.type, 'replied');
  assert.deepEqual('retry' in approved ? approved.retry : null, { action: 'stop', reason: 'approved' });
  const channelSide = saleEventOf(sale, answer({ 39: '91' }), at);
  assert.equal(channelSide.type, 'replied');
  assert.deepEqual('retry' in channelSide ? channelSide.retry : null, { action: 'retry_now', channel: 'b' });
  const cardSide = saleEventOf(sale, answer({ 39: '51' }), at);
  assert.equal('retry' in cardSide && cardSide.retry?.action, 'stop');
  const notSent = saleEventOf(sale, classifyReply({ kind: 'not_sent', reason: 'no_connection', detail: '' }, at.nowMs), at);
  assert.equal(notSent.type, 'not_sent');
  assert.deepEqual('retry' in notSent ? notSent.retry : null, { action: 'retry_now', channel: 'b' });
});

test('sale event: an unknown outcome is a no_reply event whose retry holds for after its reversal', () => {
  const unknown = saleEventOf(sale, classifyReply({ kind: 'no_reply', reason: 'timeout', sentAtMs: 9_000 }, at.nowMs), at);
  assert.equal(unknown.type, 'no_reply');
  assert.equal('diagnosis' in unknown && unknown.diagnosis.outcome, 'unknown');
  const noBudget = saleEventOf({ ...sale, schemeBudgetAllowed: false }, classifyReply({ kind: 'no_reply', reason: 'timeout', sentAtMs: 9_000 }, at.nowMs), at);
  assert.equal('retry' in noBudget && noBudget.retry?.action, 'stop');
});

test('sale event: a one-time code (UnionPay QR) stops after an unknown outcome, yet fails over after a channel-side decline', () => {
  const oneTime = { ...sale, isOneTimeCode: true };
  const unknown = saleEventOf(oneTime, classifyReply({ kind: 'no_reply', reason: 'timeout', sentAtMs: 9_000 }, at.nowMs), at);
  assert.equal(unknown.type, 'no_reply');
  assert.equal('retry' in unknown && unknown.retry?.action, 'stop');
  const asCard = saleEventOf(sale, classifyReply({ kind: 'no_reply', reason: 'timeout', sentAtMs: 9_000 }, at.nowMs), at);
  assert.notEqual('retry' in asCard && asCard.retry?.action, 'stop', 'a card may try again once its reversal is confirmed');
  const channelSide = saleEventOf(oneTime, answer({ 39: '91' }), at);
  assert.deepEqual('retry' in channelSide ? channelSide.retry : null, { action: 'retry_now', channel: 'b' });
});

const request: SaleRequest = {
  intake: 'iso',
  merchantId: 'M1',
  terminalId: 'T1',
  amountMinor: 10_000,
  currency: 'CNY',
  card: { number: new CardNumber('6222020000000000018'), entryMode: 'chip' },
  capture: true,
  reference: 'r1',
  idempotency: { scope: 'iso:T1', key: 'k', requestHash: 'h' },
  terminalStan: '000001',
};

test('sale records: the payment is pending or declined with its decline; the attempt names sale or pre-authorization', () => {
  const card = { brand: 'unionpay' as const, type: 'debit' as const, issuer: null };
  const pending = buildSalePayment({ id: 'pay_1', request, decline: null, panFingerprint: 'fp', panKeyId: 'k1', card, nowMs: 5 });
  assert.equal(pending.status, 'pending');
  assert.equal(pending.kind, 'sale');
  assert.equal(pending.panMasked.includes('0000000000'), false, 'never the whole PAN');
  const declined = buildSalePayment({ id: 'pay_1', request: { ...request, capture: false }, decline: classifyResponseCode('51'), panFingerprint: 'fp', panKeyId: 'k1', card, nowMs: 5 });
  assert.deepEqual([declined.kind, declined.status, declined.responseCode, declined.decline?.code], ['preauth', 'declined', '51', '51']);
  const attempt = buildSaleAttempt({ id: 'att_1', paymentId: 'pay_1', request, seq: 1, channel: 'a', stan: '000042', httpTerminalId: 'RSWHTTP0', startedAtMs: Date.UTC(2026, 11, 6, 1, 2, 3) });
  assert.deepEqual([attempt.mti, attempt.processingCode, attempt.upstreamTerminalId, attempt.transmittedAt, attempt.outcome], ['0200', '000000', 'T1      ', '1206010203', 'pending']);
  const preauth = buildSaleAttempt({ id: 'att_1', paymentId: 'pay_1', request: { capture: false, terminalId: null }, seq: 1, channel: 'a', stan: '000042', httpTerminalId: 'RSWHTTP0', startedAtMs: 0 });
  assert.deepEqual([preauth.mti, preauth.processingCode, preauth.upstreamTerminalId], ['0100', '030000', 'RSWHTTP0']);
});

test('checked terminal: an HTTP sale without a terminal is its merchant\'s stand-in; an unknown terminal is none; HTTP skips sign-on', () => {
  assert.deepEqual(checkedTerminal({ terminalId: null, intake: 'http' }, null, true), { id: 'http', state: 'active', signedOn: true, limits: {} });
  assert.equal(checkedTerminal({ terminalId: 'T1', intake: 'iso' }, null, false), null);
  const terminal = { id: 'T1', merchantId: 'M1', state: 'active' as const, signedOn: false, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: 0, updatedAtMs: 0 };
  assert.equal(checkedTerminal({ terminalId: 'T1', intake: 'iso' }, terminal, true)?.signedOn, false);
  assert.equal(checkedTerminal({ terminalId: 'T1', intake: 'http' }, terminal, true)?.signedOn, true);
});

test('sale answer: the approval carries its codes, a decline the last RRN seen; a stored answer gives its diagnosis back', () => {
  const attempts = [saleAttempt(1, { outcome: 'declined', responseCode: '91', rrn: 'R1' }), saleAttempt(2, { outcome: 'approved', responseCode: '00', authCode: 'A2', rrn: 'R2' })];
  const approved = withAnswer(salePayment(), { kind: 'approved', seq: 2 }, attempts);
  assert.deepEqual([approved.responseCode, approved.authCode, approved.rrn, approved.decline], ['00', 'A2', 'R2', null]);
  const declined = withAnswer(salePayment(), { kind: 'declined', diagnosis: classifyResponseCode('51') }, [saleAttempt(1, { outcome: 'declined', responseCode: '51', rrn: 'R9' }), saleAttempt(2, { outcome: 'not_sent' })]);
  assert.deepEqual([declined.responseCode, declined.rrn, declined.decline?.code], ['51', 'R9', '51']);
  const waitView = toPaymentView(withAnswer(salePayment(), { kind: 'wait', diagnosis: classifyOutcome('no_reply') }, []), []);
  const rebuilt = diagnosisOfView(waitView);
  assert.deepEqual([rebuilt.code, rebuilt.outcome, rebuilt.verdict], ['98', 'unknown', 'wait']);
  assert.deepEqual(parseStoredView(JSON.stringify(waitView)), waitView);
  assert.equal(parseStoredView('{not json'), null);
  assert.equal(lastDiagnosisOf([]).code, classifyOutcome('not_sent').code);
  assert.equal(lastDiagnosisOf([saleAttempt(1, { outcome: 'unknown' })]).code, '98');
  const fee = { id: 'f', paymentId: 'pay_1', kind: 'fee' as const, feeMinor: 60, rateBps: 60, plan: 'p' };
  assert.deepEqual(feeViewOf([fee] as never), { feeMinor: 60, rateBps: 60, plan: 'p' });
  assert.equal(feeViewOf([fee, { ...fee, kind: 'fee_removed' }] as never), null);
});

test('local windows: the day and month start in local time, across the UTC date line', () => {
  // 2026-12-01 01:00 China time is 2026-11-30 17:00 UTC: the local day and month are December's.
  const nowMs = Date.UTC(2026, 10, 30, 17, 0, 0);
  const { dayStartMs, monthStartMs } = localWindows(nowMs, 480);
  assert.equal(dayStartMs, Date.UTC(2026, 10, 30, 16, 0, 0));
  assert.equal(monthStartMs, Date.UTC(2026, 10, 30, 16, 0, 0));
  assert.equal(localWindows(nowMs, 0).monthStartMs, Date.UTC(2026, 10, 1));
});

test('sale records: a UnionPay QR sale is method unionpay-qr with the code masked first 4 and last 4', () => {
  const card = { brand: 'unionpay' as const, type: 'unknown' as const, issuer: null };
  const qr = buildSalePayment({ id: 'pay_2', request: { ...request, card: { number: new CardNumber('6212345678901234567'), entryMode: 'qr' } }, decline: null, panFingerprint: 'fp', panKeyId: 'k1', card, nowMs: 5 });
  assert.deepEqual([qr.method, qr.entryMode, qr.panMasked], ['unionpay-qr', 'qr', '6212***********4567']);
  const cardSale = buildSalePayment({ id: 'pay_3', request, decline: null, panFingerprint: 'fp', panKeyId: 'k1', card, nowMs: 5 });
  assert.equal(cardSale.method, undefined, 'a card sale is method card (the column default)');
});
