// Goal: every WeChat Pay v2 answer maps to the port state that keeps the money safe: a system error,
// ORDERPAID, an unknown err_code or NOTPAY never reads as a definite failure; USERPAYING is `paying`;
// an answer about another order is no answer. Method: verified field sets as WeChat sends them, per call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  codeOfReturnMessage,
  epochOfChinaTime,
  readMicropayAnswer,
  readOrderQueryAnswer,
  readRefundAnswer,
  readRefundQueryAnswer,
  readReverseAnswer,
} from '../../../src/core/qr/wechatpay-v2-answers.ts';

const ok = { return_code: 'SUCCESS', return_msg: 'OK' };

function stateOfMicropay(fields: Record<string, string>): string {
  const reading = readMicropayAnswer(fields, 'T1');
  assert.ok(reading.ok);
  return reading.value.state;
}

test('micropay: SUCCESS is paid with the facts; time_end is China time', () => {
  const reading = readMicropayAnswer({ ...ok, result_code: 'SUCCESS', out_trade_no: 'T1', transaction_id: '4200', total_fee: '1234', time_end: '20261206120000', bank_type: 'CMC' }, 'T1');
  assert.ok(reading.ok);
  assert.equal(reading.value.state, 'paid');
  assert.deepEqual(reading.value.facts, { providerTradeNo: '4200', paidAmountMinor: 1234, paidAtMs: Date.UTC(2026, 11, 6, 4, 0, 0), buyerLabel: null, fundSource: 'CMC' });
});

test('micropay err_codes: paying, unknown (money in doubt), closed, failed', () => {
  const fail = (code: string) => stateOfMicropay({ ...ok, result_code: 'FAIL', err_code: code });
  assert.equal(fail('USERPAYING'), 'paying');
  assert.equal(fail('SYSTEMERROR'), 'unknown');
  assert.equal(fail('BANKERROR'), 'unknown');
  assert.equal(fail('ORDERPAID'), 'unknown', 'already paid: the engine queries and finds SUCCESS with the facts');
  assert.equal(fail('OUT_TRADE_NO_USED'), 'unknown');
  assert.equal(fail('SOMETHING_NEW'), 'unknown', 'an unknown code may hide a payment');
  assert.equal(fail('ORDERREVERSED'), 'closed');
  assert.equal(fail('ORDERCLOSED'), 'closed');
  for (const code of ['NOTENOUGH', 'AUTHCODEEXPIRE', 'AUTH_CODE_INVALID', 'NOTSUPORTCARD', 'BUYER_MISMATCH', 'PARAM_ERROR']) assert.equal(fail(code), 'failed', code);
  assert.equal(stateOfMicropay({ ...ok, result_code: 'FAIL' }), 'unknown');
});

test('micropay return_code FAIL: refused before the business, failed, with the code read from return_msg', () => {
  const reading = readMicropayAnswer({ return_code: 'FAIL', return_msg: '签名错误' }, 'T1');
  assert.ok(reading.ok);
  assert.equal(reading.value.state, 'failed');
  assert.equal(reading.value.providerCode, 'SIGNERROR');
  assert.equal(codeOfReturnMessage('XML格式错误'), 'XML_FORMAT_ERROR');
  assert.equal(codeOfReturnMessage('LACK_PARAMS: 缺少参数 body'), 'LACK_PARAMS');
  assert.equal(codeOfReturnMessage('随便'), null);
});

test('an answer about another out_trade_no, or with an unknown return_code, is not an answer', () => {
  assert.equal(readMicropayAnswer({ ...ok, result_code: 'SUCCESS', out_trade_no: 'OTHER' }, 'T1').ok, false);
  assert.equal(readOrderQueryAnswer({ ...ok, result_code: 'SUCCESS', trade_state: 'SUCCESS', out_trade_no: 'OTHER' }, 'T1').ok, false);
  assert.equal(readMicropayAnswer({ return_code: 'MAYBE' }, 'T1').ok, false);
  assert.equal(readMicropayAnswer({ ...ok, result_code: 'MAYBE' }, 'T1').ok, false);
});

test('orderquery: every trade_state, ORDERNOTEXIST, and errors that say nothing about the trade', () => {
  const expected: Record<string, string> = { SUCCESS: 'paid', REFUND: 'refunded', NOTPAY: 'paying', USERPAYING: 'paying', CLOSED: 'closed', REVOKED: 'closed', PAYERROR: 'failed' };
  for (const [tradeState, state] of Object.entries(expected)) {
    const reading = readOrderQueryAnswer({ ...ok, result_code: 'SUCCESS', trade_state: tradeState, out_trade_no: 'T1' }, 'T1');
    assert.ok(reading.ok);
    assert.equal(reading.value.state, state, tradeState);
    assert.equal(reading.value.providerCode, tradeState);
  }
  assert.equal(readOrderQueryAnswer({ ...ok, result_code: 'SUCCESS', trade_state: 'WEIRD' }, 'T1').ok, false);
  const notFound = readOrderQueryAnswer({ ...ok, result_code: 'FAIL', err_code: 'ORDERNOTEXIST' }, 'T1');
  assert.ok(notFound.ok && notFound.value.state === 'not_found');
  const system = readOrderQueryAnswer({ ...ok, result_code: 'FAIL', err_code: 'SYSTEMERROR' }, 'T1');
  assert.ok(system.ok && system.value.state === 'unknown');
  const refused = readOrderQueryAnswer({ return_code: 'FAIL', return_msg: '签名错误' }, 'T1');
  assert.ok(refused.ok && refused.value.state === 'unknown');
});

test('reverse: SUCCESS cancels, recall=Y asks again, FAIL does not cancel', () => {
  assert.deepEqual(readReverseAnswer({ ...ok, result_code: 'SUCCESS', recall: 'N' }), { ok: true, value: { cancelled: true, callAgain: false, providerCode: null, providerMessage: null } });
  const again = readReverseAnswer({ ...ok, result_code: 'FAIL', err_code: 'SYSTEMERROR', err_code_des: 'x', recall: 'Y' });
  assert.ok(again.ok);
  assert.equal(again.value.cancelled, false);
  assert.equal(again.value.callAgain, true);
  const transport = readReverseAnswer({ return_code: 'FAIL', return_msg: '证书错误' });
  assert.ok(transport.ok && !transport.value.cancelled && !transport.value.callAgain);
});

test('refund: accepted is processing (not yet final); system errors unknown; refusals failed', () => {
  const accepted = readRefundAnswer({ ...ok, result_code: 'SUCCESS', out_trade_no: 'T1', refund_id: 'R9', refund_fee: '50' }, 'T1');
  assert.ok(accepted.ok);
  assert.deepEqual(accepted.value, { state: 'processing', providerCode: null, providerMessage: null, providerRefundNo: 'R9', refundedMinor: 50 });
  const system = readRefundAnswer({ ...ok, result_code: 'FAIL', err_code: 'SYSTEMERROR' }, 'T1');
  assert.ok(system.ok && system.value.state === 'unknown');
  const over = readRefundAnswer({ ...ok, result_code: 'FAIL', err_code: 'ERROR' }, 'T1');
  assert.ok(over.ok && over.value.state === 'failed');
});

test('refundquery: picks our refund among the listed ones and reads its status', () => {
  const fields = { ...ok, result_code: 'SUCCESS', refund_count: '2', out_refund_no_0: 'A', refund_status_0: 'PROCESSING', refund_fee_0: '1', refund_id_0: 'RA', out_refund_no_1: 'B', refund_status_1: 'SUCCESS', refund_fee_1: '2', refund_id_1: 'RB' };
  assert.deepEqual(readRefundQueryAnswer(fields, 'B'), { ok: true, value: { state: 'refunded', providerCode: 'SUCCESS', providerMessage: null, providerRefundNo: 'RB', refundedMinor: 2 } });
  const first = readRefundQueryAnswer(fields, 'A');
  assert.ok(first.ok && first.value.state === 'processing');
  const missing = readRefundQueryAnswer(fields, 'C');
  assert.ok(missing.ok && missing.value.state === 'not_found');
  const change = readRefundQueryAnswer({ ...fields, refund_status_1: 'CHANGE' }, 'B');
  assert.ok(change.ok && change.value.state === 'unknown');
  const notExist = readRefundQueryAnswer({ ...ok, result_code: 'FAIL', err_code: 'REFUNDNOTEXIST' }, 'B');
  assert.ok(notExist.ok && notExist.value.state === 'not_found');
  assert.equal(readRefundQueryAnswer({ ...ok, result_code: 'SUCCESS' }, 'B').ok, false);
});

test('time_end that is not a time is null', () => {
  assert.equal(epochOfChinaTime('20261306120000'), null);
  assert.equal(epochOfChinaTime('2026'), null);
  assert.equal(epochOfChinaTime(undefined), null);
});
