// Goal: the QR sandbox plays WeChat Pay v2's protocol strictly (it refuses what WeChat refuses, unsigned,
// and signs what it answers), keeps a book that adds up, and its admin routes read the book, set and
// validate faults, reset, and list the codes. Method: raw HTTP requests built with the shared signing
// and XML helpers against a sandbox in process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFlatXml, encodeFlatXml } from '../../../src/core/qr/flat-xml.ts';
import { verifyWechatSign, wechatSign, type WechatSignType } from '../../../src/core/qr/wechatpay-sign.ts';
import { decideQrFault, mergeQrFaultSettings, noQrFaults } from '../../../src/sim/qr/qr-fault-plan.ts';
import { startQrSandbox, type RunningQrSandbox } from '../../../src/sim/qr/qr-sandbox-server.ts';
import { WechatPaySandbox, wechatSandboxDefaults } from '../../../src/sim/qr/wechatpay-sandbox.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';

let sandbox: RunningQrSandbox;
const { appId, mchId, key } = wechatSandboxDefaults;
let serial = 0;

before(async () => {
  sandbox = await startQrSandbox({ host: '127.0.0.1', port: 0, seed: 11, providers: [new WechatPaySandbox()], bodyBytesMax: 8_192 });
});

after(() => sandbox.close());

async function post(path: string, body: string, method = 'POST'): Promise<{ status: number; fields: Record<string, string>; text: string }> {
  const response = await fetch(`${sandbox.url}${path}`, { method, ...(method === 'GET' ? {} : { body }), headers: { 'content-type': 'text/xml' } });
  const text = await response.text();
  const decoded = decodeFlatXml(text);
  return { status: response.status, fields: decoded.ok ? decoded.fields : {}, text };
}

function signed(fields: Record<string, string>, signType: WechatSignType = 'MD5', signKey: string = key): string {
  const all: Record<string, string> = { appid: appId, mch_id: mchId, nonce_str: `n${serial}`, ...(signType === 'MD5' ? {} : { sign_type: signType }), ...fields };
  return encodeFlatXml({ ...all, sign: wechatSign(all, signKey, signType) });
}

function micropay(authCode: string, totalFee = 100): { body: string; outTradeNo: string } {
  serial += 1;
  const outTradeNo = `SBX${Date.now()}${serial}`;
  return { outTradeNo, body: signed({ body: 'b', out_trade_no: outTradeNo, total_fee: String(totalFee), spbill_create_ip: '127.0.0.1', auth_code: authCode }) };
}

async function admin(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${sandbox.url}/sandbox/${path}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('protocol refusals are return_code FAIL, unsigned, and nothing is booked', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['POST', '<xml><a>1</a>', /XML_FORMAT_ERROR/],
    ['POST', '<!DOCTYPE x [<!ENTITY e "e">]><xml><a>&e;</a></xml>', /XML_FORMAT_ERROR/],
    ['POST', encodeFlatXml({ appid: appId, mch_id: mchId, nonce_str: 'n' }), /LACK_PARAMS/],
    ['POST', signed({ body: 'b' }, 'MD5', 'z'.repeat(32)), /SIGNERROR/],
    ['POST', encodeFlatXml({ ...decodeFlatXmlOk(signed({ body: 'b' })), appid: 'wxother' }), /APPID_NOT_EXIST/],
    ['GET', '', /REQUIRE_POST_METHOD/],
  ];
  for (const [method, body, pattern] of cases) {
    const answer = await post('/pay/micropay', body, method);
    assert.equal(answer.status, 200);
    assert.equal(answer.fields.return_code, 'FAIL', answer.text);
    assert.match(answer.fields.return_msg ?? '', pattern);
    assert.equal(answer.fields.sign, undefined);
  }
  const book = (sandbox.providers[0]?.view() as { trades: unknown[] }).trades;
  assert.equal(book.length, 0);
});

function decodeFlatXmlOk(text: string): Record<string, string> {
  const decoded = decodeFlatXml(text);
  assert.ok(decoded.ok);
  return decoded.fields;
}

test('business answers are signed with the request\'s sign type', async () => {
  for (const signType of ['MD5', 'HMAC-SHA256'] as const) {
    serial += 1;
    const body = signed({ body: 'b', out_trade_no: `ST${serial}`, total_fee: '1', spbill_create_ip: '127.0.0.1', auth_code: '130000000000000009' }, signType);
    const answer = await post('/pay/micropay', body);
    assert.equal(answer.fields.result_code, 'SUCCESS');
    assert.equal(verifyWechatSign(answer.fields, key, signType), true, signType);
    assert.equal(verifyWechatSign(answer.fields, key, signType === 'MD5' ? 'HMAC-SHA256' : 'MD5'), false);
  }
});

test('business refusals: a bad amount, a foreign currency, missing business fields', async () => {
  serial += 1;
  const zero = await post('/pay/micropay', signed({ body: 'b', out_trade_no: `Z${serial}`, total_fee: '0', spbill_create_ip: '1.1.1.1', auth_code: '130000000000000001' }));
  assert.equal(zero.fields.err_code, 'PARAM_ERROR');
  const usd = await post('/pay/micropay', signed({ body: 'b', out_trade_no: `U${serial}`, total_fee: '1', fee_type: 'USD', spbill_create_ip: '1.1.1.1', auth_code: '130000000000000001' }));
  assert.equal(usd.fields.err_code, 'PARAM_ERROR');
  const missing = await post('/pay/micropay', signed({ body: 'b' }));
  assert.equal(missing.fields.err_code, 'LACK_PARAMS');
});

test('a body over the limit is refused before it is read: 413 or a closed connection, and nothing is booked', async () => {
  serial += 1;
  const outTradeNo = `BIG${serial}`;
  const body = signed({ body: 'x'.repeat(20_000), out_trade_no: outTradeNo, total_fee: '1', spbill_create_ip: '127.0.0.1', auth_code: '130000000000000001' });
  const response = await fetch(`${sandbox.url}/pay/micropay`, { method: 'POST', body }).catch((error: unknown) => error as Error);
  if (!(response instanceof Error)) assert.equal(response.status, 413);
  const trades = (sandbox.providers[0]?.view() as { trades: Array<{ outTradeNo: string }> }).trades;
  assert.equal(trades.find((trade) => trade.outTradeNo === outTradeNo), undefined);
  // The same order under the limit is booked, so the check above can fail.
  const small = signed({ body: 'x', out_trade_no: outTradeNo, total_fee: '1', spbill_create_ip: '127.0.0.1', auth_code: '130000000000000001' });
  assert.equal((await post('/pay/micropay', small)).fields.result_code, 'SUCCESS');
});

test('an unknown path is 404; the admin routes answer', async () => {
  assert.equal((await fetch(`${sandbox.url}/pay/unknown`, { method: 'POST' })).status, 404);
  const health = await admin('healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(health.body.providers, ['wechatpay-v2']);
  const codes = await admin('codes');
  assert.ok(Array.isArray(codes.body['wechatpay-v2']));
  assert.equal((await admin('nothing')).status, 404);
  assert.equal((await admin('book?provider=alipay')).status, 404);
});

test('the book adds up: paid, refunded and reversed per trade and in total; reset empties it', async () => {
  await admin('reset', { method: 'POST' });
  const paid = micropay('130000000000000011', 500);
  assert.equal((await post('/pay/micropay', paid.body)).fields.result_code, 'SUCCESS');
  const reversed = micropay('130000000000000012', 300);
  assert.equal((await post('/pay/micropay', reversed.body)).fields.result_code, 'SUCCESS');
  assert.equal((await post('/secapi/pay/reverse', signed({ out_trade_no: reversed.outTradeNo }))).fields.result_code, 'SUCCESS');
  const refund = await post('/secapi/pay/refund', signed({ out_trade_no: paid.outTradeNo, out_refund_no: 'R1', total_fee: '500', refund_fee: '120' }));
  assert.equal(refund.fields.result_code, 'SUCCESS');
  const refundQuery = await post('/pay/refundquery', signed({ out_trade_no: paid.outTradeNo }));
  assert.equal(refundQuery.fields.refund_count, '1');
  assert.equal(refundQuery.fields.refund_status_0, 'SUCCESS');
  const book = await admin('book');
  const view = book.body['wechatpay-v2'] as { trades: Array<Record<string, unknown>>; totals: Record<string, number> };
  assert.deepEqual(view.totals, { paidFee: 800, refundedFee: 120, reversedFee: 300, heldFee: 380 });
  assert.equal(view.trades.find((trade) => trade.outTradeNo === reversed.outTradeNo)?.state, 'REVOKED');
  assert.equal(view.trades.find((trade) => trade.outTradeNo === paid.outTradeNo)?.state, 'REFUND');
  assert.equal((book.body.stats as { requests: number }).requests, 5);
  await admin('reset', { method: 'POST' });
  const empty = (await admin('book')).body['wechatpay-v2'] as { trades: unknown[] };
  assert.equal(empty.trades.length, 0);
});

test('faults are validated, set and read through the admin route', async () => {
  const set = await admin('faults', { method: 'PUT', body: JSON.stringify({ badSignature: 0.5, delayMs: 100, paths: ['/pay/orderquery'] }) });
  assert.equal(set.status, 200);
  assert.equal(set.body.badSignature, 0.5);
  assert.deepEqual(set.body.paths, ['/pay/orderquery']);
  for (const bad of [{ nonsense: 1 }, { dropAnswer: 2 }, { dropAnswer: 0.6, http500: 0.6 }, { delayMs: -1 }, { paths: ['nope'] }, [1]]) {
    const refused = await admin('faults', { method: 'PUT', body: JSON.stringify(bad) });
    assert.equal(refused.status, 400, JSON.stringify(bad));
    assert.equal((refused.body.error as { code: string }).code, 'RSW_SIM_FAULTS_INVALID');
  }
  assert.equal((await admin('faults', { method: 'PUT', body: '{' })).status, 400);
  await admin('reset', { method: 'POST' });
  assert.deepEqual((await admin('faults')).body, { ...noQrFaults, paths: [] });
});

test('the fault plan draws one number per request on the faulted paths and replays with the seed', () => {
  const settings = mergeQrFaultSettings(noQrFaults, { dropAnswer: 0.3, badSignature: 0.3 });
  const run = (seed: number) => {
    const random = new SeededRandom(seed);
    return Array.from({ length: 50 }, () => decideQrFault('/pay/micropay', settings, random));
  };
  assert.deepEqual(run(5), run(5));
  const faults = run(5);
  assert.ok(faults.includes('drop_answer') && faults.includes('bad_signature') && faults.includes(null));
  const onlyReverse = mergeQrFaultSettings(noQrFaults, { http500: 1, paths: ['/secapi/pay/reverse'] });
  assert.equal(decideQrFault('/pay/micropay', onlyReverse, new SeededRandom(1)), null);
  assert.equal(decideQrFault('/secapi/pay/reverse', onlyReverse, new SeededRandom(1)), 'http_500');
});
