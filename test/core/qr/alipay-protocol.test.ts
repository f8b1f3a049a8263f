// Goal: each verified Alipay answer means the right thing for the money: paid, paying, refused,
// closed, refunded, not found, or unknown (a system error is never a refusal). Method: table tests of
// the meaning functions over answers shaped like the gateway's; the signed form's fields and timestamp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import {
  alipayResponseKey,
  alipayTimestamp,
  chinaTimeToMs,
  meaningOfCancelAnswer,
  meaningOfPayAnswer,
  meaningOfQueryAnswer,
  meaningOfRefundAnswer,
  meaningOfRefundQueryAnswer,
  payBizContent,
  refundBizContent,
  signedAlipayForm,
} from '../../../src/core/qr/alipay-protocol.ts';
import { alipaySignContent, verifyAlipaySignature } from '../../../src/core/qr/alipay-signature.ts';

const fail = (subCode: string, code = '40004') => ({ code, msg: 'Business Failed', sub_code: subCode, sub_msg: '失败' });

test('pay answers', () => {
  const cases: Array<[Record<string, unknown>, string, string | null]> = [
    [{ code: '10000', msg: 'Success', trade_no: '2026', total_amount: '12.34' }, 'paid', null],
    [{ code: '10003', msg: ' order success pay inprocess' }, 'paying', '10003'],
    [fail('ACQ.SYSTEM_ERROR'), 'unknown', 'ACQ.SYSTEM_ERROR'],
    [fail('isp.unknow-error', '20000'), 'unknown', 'isp.unknow-error'],
    [{ code: '20000', msg: 'Service Currently Unavailable' }, 'unknown', '20000'],
    [fail('ACQ.BUYER_BALANCE_NOT_ENOUGH'), 'failed', 'ACQ.BUYER_BALANCE_NOT_ENOUGH'],
    [fail('ACQ.PAYMENT_AUTH_CODE_INVALID'), 'failed', 'ACQ.PAYMENT_AUTH_CODE_INVALID'],
    [fail('ACQ.TRADE_HAS_SUCCESS'), 'paid', 'ACQ.TRADE_HAS_SUCCESS'],
    [fail('ACQ.TRADE_HAS_CLOSE'), 'closed', 'ACQ.TRADE_HAS_CLOSE'],
    [fail('isv.invalid-signature', '40002'), 'failed', 'isv.invalid-signature'],
    [{ code: '99999' }, 'unknown', '99999'],
  ];
  for (const [response, state, code] of cases) {
    const meaning = meaningOfPayAnswer(response);
    assert.equal(meaning.state, state, JSON.stringify(response));
    assert.equal(meaning.providerCode, code, JSON.stringify(response));
  }
});

test('pay facts are read exactly, the pay time as China time', () => {
  const meaning = meaningOfPayAnswer({
    code: '10000',
    trade_no: '2026120622001',
    total_amount: '0.29',
    gmt_payment: '2026-12-06 08:00:00',
    buyer_logon_id: 'san***@example.com',
    fund_bill_list: [{ fund_channel: 'ALIPAYACCOUNT', amount: '0.29' }],
  });
  assert.deepEqual(meaning.facts, {
    providerTradeNo: '2026120622001',
    paidAmountMinor: 29,
    paidAtMs: Date.UTC(2026, 11, 6, 0, 0, 0),
    buyerLabel: 'san***@example.com',
    fundSource: 'ALIPAYACCOUNT',
  });
  assert.equal(chinaTimeToMs('2026-12-06T08:00:00'), null);
});

test('query answers', () => {
  const ok = (status: string, extra: Record<string, unknown> = {}) => ({ code: '10000', msg: 'Success', trade_status: status, ...extra });
  const cases: Array<[Record<string, unknown>, string]> = [
    [ok('WAIT_BUYER_PAY'), 'paying'],
    [ok('TRADE_SUCCESS'), 'paid'],
    [ok('TRADE_FINISHED'), 'paid'],
    [ok('TRADE_CLOSED'), 'closed'],
    [ok('TRADE_CLOSED', { send_pay_date: '2026-12-06 10:00:00' }), 'refunded'],
    [ok('SOMETHING_NEW'), 'unknown'],
    [fail('ACQ.TRADE_NOT_EXIST'), 'not_found'],
    [fail('ACQ.SYSTEM_ERROR'), 'unknown'],
    [fail('ACQ.INVALID_PARAMETER'), 'unknown'],
  ];
  for (const [response, state] of cases) assert.equal(meaningOfQueryAnswer(response).state, state, JSON.stringify(response));
});

test('cancel answers', () => {
  assert.deepEqual(meaningOfCancelAnswer({ code: '10000', retry_flag: 'N', action: 'refund' }), { providerCode: null, providerMessage: null, action: 'refund', cancelled: true, callAgain: false });
  assert.equal(meaningOfCancelAnswer({ code: '10000', retry_flag: 'N', action: 'close' }).action, 'close');
  const retry = meaningOfCancelAnswer({ ...fail('ACQ.SYSTEM_ERROR'), retry_flag: 'Y' });
  assert.equal(retry.cancelled, false);
  assert.equal(retry.callAgain, true);
  const unavailable = meaningOfCancelAnswer({ code: '20000', msg: 'Service Currently Unavailable' });
  assert.equal(unavailable.callAgain, true);
  const refused = meaningOfCancelAnswer({ ...fail('ACQ.TRADE_STATUS_ERROR'), retry_flag: 'N' });
  assert.deepEqual([refused.cancelled, refused.callAgain], [false, false]);
  assert.equal(meaningOfCancelAnswer(fail('ACQ.TRADE_NOT_EXIST')).cancelled, true);
});

test('refund and refund query answers', () => {
  assert.equal(meaningOfRefundAnswer({ code: '10000', fund_change: 'Y', refund_fee: '3.00' }, 100).refundedMinor, 100);
  assert.equal(meaningOfRefundAnswer({ code: '10000', fund_change: 'N' }, 100).state, 'refunded');
  assert.equal(meaningOfRefundAnswer(fail('ACQ.SYSTEM_ERROR'), 100).state, 'unknown');
  assert.equal(meaningOfRefundAnswer(fail('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL'), 100).state, 'failed');
  assert.equal(meaningOfRefundAnswer(fail('ACQ.TRADE_NOT_EXIST'), 100).state, 'not_found');
  assert.deepEqual(
    [meaningOfRefundQueryAnswer({ code: '10000', refund_amount: '1.00', refund_status: 'REFUND_SUCCESS' }).state, meaningOfRefundQueryAnswer({ code: '10000', refund_amount: '1.00', refund_status: 'REFUND_SUCCESS' }).refundedMinor],
    ['refunded', 100],
  );
  assert.equal(meaningOfRefundQueryAnswer({ code: '10000', msg: 'Success' }).state, 'not_found');
  assert.equal(meaningOfRefundQueryAnswer({ code: '10000', refund_amount: '1.00' }).state, 'refunded');
  assert.equal(meaningOfRefundQueryAnswer(fail('ACQ.SYSTEM_ERROR')).state, 'unknown');
});

test('the signed form carries the common parameters, China-time timestamp and a verifying sign', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const nowMs = Date.UTC(2026, 11, 31, 16, 30, 5);
  assert.equal(alipayTimestamp(nowMs), '2027-01-01 00:30:05');
  const content = payBizContent({ outTradeNo: 'pay_1', authCode: '280000000000000000', amountMinor: 1234, currency: 'CNY', description: '咖啡', merchantId: 'm1', terminalId: 'T1' });
  assert.deepEqual(content, { out_trade_no: 'pay_1', scene: 'bar_code', auth_code: '280000000000000000', subject: '咖啡', total_amount: '12.34', terminal_id: 'T1' });
  const form = signedAlipayForm('alipay.trade.pay', content, { appId: '2021', privateKey }, nowMs);
  assert.deepEqual(Object.keys(form).sort(), ['app_id', 'biz_content', 'charset', 'format', 'method', 'sign', 'sign_type', 'timestamp', 'version']);
  assert.equal(form['timestamp'], '2027-01-01 00:30:05');
  assert.equal(verifyAlipaySignature(alipaySignContent(form), form['sign'] as string, publicKey), true);
  assert.equal(alipayResponseKey('alipay.trade.fastpay.refund.query'), 'alipay_trade_fastpay_refund_query_response');
  assert.throws(() => payBizContent({ outTradeNo: 'pay_1', authCode: '28abc', amountMinor: 1, currency: 'CNY', description: '', merchantId: 'm', terminalId: null }));
  assert.throws(() => payBizContent({ outTradeNo: 'pay_1', authCode: '280000000000000000', amountMinor: 1, currency: 'USD', description: '', merchantId: 'm', terminalId: null }));
  assert.deepEqual(refundBizContent({ outTradeNo: 'pay_1', outRefundNo: 'rf_1', refundMinor: 5, totalMinor: 10, currency: 'CNY', reason: null }), { out_trade_no: 'pay_1', refund_amount: '0.05', out_request_no: 'rf_1' });
});
