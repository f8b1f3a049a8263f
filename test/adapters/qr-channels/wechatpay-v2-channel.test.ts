// Goal: the WeChat Pay v2 channel gives the engine the right answer for every magic auth code and every
// fault of the QR sandbox, over real HTTP: paid, paying then paid or cancelled, refusals, system and
// bank errors, no answer (timeout), a bad signature (never trusted), a dropped or HTTP 500 answer, and
// a refused connection (not sent); refunds partial, repeated and over the limit; reverse with recall;
// and the sandbox's book agrees with the money. Method: one sandbox in process on an ephemeral port,
// channels built from configuration, each test with its own payment ids and codes.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { encodeFlatXml } from '../../../src/core/qr/flat-xml.ts';
import { wechatSign } from '../../../src/core/qr/wechatpay-sign.ts';
import { WechatPayV2Channel, wechatOutTradeNo, type WechatPayV2ChannelConfig } from '../../../src/adapters/qr-channels/wechatpay-v2-channel.ts';
import type { QrCallResult, QrPayRequest } from '../../../src/core/ports/qr-channel.ts';
import { startQrSandbox, type RunningQrSandbox } from '../../../src/sim/qr/qr-sandbox-server.ts';
import { noQrFaults, mergeQrFaultSettings } from '../../../src/sim/qr/qr-fault-plan.ts';
import { WechatPaySandbox, wechatSandboxDefaults } from '../../../src/sim/qr/wechatpay-sandbox.ts';
import { wechatMagicCode } from '../../../src/sim/qr/wechatpay-magic-codes.ts';

let sandbox: RunningQrSandbox;
let wechat: WechatPaySandbox;
let channel: WechatPayV2Channel;
let hmacChannel: WechatPayV2Channel;
let serial = 0;
const timeout = { timeoutMs: 5_000 };

function config(overrides: Partial<WechatPayV2ChannelConfig> = {}): WechatPayV2ChannelConfig {
  return { name: 'wx', baseUrl: sandbox.url, appId: wechatSandboxDefaults.appId, mchId: wechatSandboxDefaults.mchId, key: wechatSandboxDefaults.key, timeoutMs: 5_000, ...overrides };
}

function paymentId(): string {
  return `pay_${randomBytes(16).toString('hex')}`;
}

function code(prefix: string): string {
  serial += 1;
  return wechatMagicCode(prefix, serial);
}

function sale(authCode: string, amountMinor = 1_000): QrPayRequest {
  return { outTradeNo: paymentId(), authCode, amountMinor, currency: 'CNY', description: '测试商品 test', merchantId: 'M1', terminalId: 'T0001', clientIp: '10.0.0.8' };
}

function bookTrade(payment: string): Record<string, unknown> | undefined {
  const view = wechat.view() as { trades: Array<Record<string, unknown>> };
  return view.trades.find((trade) => trade.outTradeNo === wechatOutTradeNo(payment));
}

function answerOf(result: QrCallResult): Extract<QrCallResult, { kind: 'answer' }> {
  assert.equal(result.kind, 'answer', JSON.stringify(result));
  return result as Extract<QrCallResult, { kind: 'answer' }>;
}

before(async () => {
  wechat = new WechatPaySandbox();
  sandbox = await startQrSandbox({ host: '127.0.0.1', port: 0, seed: 7, providers: [wechat] });
  channel = new WechatPayV2Channel(config());
  hmacChannel = new WechatPayV2Channel(config({ name: 'wx-hmac', signType: 'HMAC-SHA256' }));
});

after(async () => {
  await channel.close();
  await hmacChannel.close();
  await sandbox.close();
});

beforeEach(() => {
  sandbox.setFaults(noQrFaults);
});

test('paid at once: the facts come back and the book holds the money (MD5 and HMAC-SHA256)', async () => {
  for (const which of [channel, hmacChannel]) {
    const request = sale(code('130000'), 1_234);
    const answer = answerOf(await which.pay(request, timeout));
    assert.equal(answer.state, 'paid');
    assert.equal(answer.facts.paidAmountMinor, 1_234);
    assert.match(answer.facts.providerTradeNo ?? '', /^\d{28}$/);
    assert.equal(answer.facts.fundSource, 'CMC');
    assert.ok(answer.facts.paidAtMs !== null && Math.abs(answer.facts.paidAtMs - Date.now()) < 120_000);
    const trade = bookTrade(request.outTradeNo);
    assert.equal(trade?.state, 'SUCCESS');
    assert.equal(trade?.paidFee, 1_234);
    assert.equal(trade?.authCode, `${request.authCode.slice(0, 4)}**********${request.authCode.slice(-4)}`, 'the book keeps only a masked code');
  }
});

test('USERPAYING, then paid at the third query', async () => {
  const request = sale(code('131003'));
  assert.equal(answerOf(await channel.pay(request, timeout)).state, 'paying');
  assert.equal(answerOf(await channel.query(request.outTradeNo, timeout)).state, 'paying');
  assert.equal(answerOf(await channel.query(request.outTradeNo, timeout)).state, 'paying');
  const third = answerOf(await channel.query(request.outTradeNo, timeout));
  assert.equal(third.state, 'paid');
  assert.equal(third.facts.paidAmountMinor, 1_000);
  assert.equal(bookTrade(request.outTradeNo)?.paidFee, 1_000);
});

test('USERPAYING, then the customer cancels: PAYERROR is failed, nothing charged', async () => {
  const request = sale(code('131102'));
  const pay = answerOf(await channel.pay(request, timeout));
  assert.equal(pay.state, 'paying');
  assert.equal(pay.providerCode, 'USERPAYING');
  assert.equal(answerOf(await channel.query(request.outTradeNo, timeout)).state, 'paying');
  const second = answerOf(await channel.query(request.outTradeNo, timeout));
  assert.equal(second.state, 'failed');
  assert.equal(second.providerCode, 'PAYERROR');
  assert.equal(bookTrade(request.outTradeNo)?.paidFee, 0);
});

test('definite refusals: NOTENOUGH, AUTHCODEEXPIRE, NOTSUPORTCARD, AUTH_CODE_INVALID, BUYER_MISMATCH and a malformed code', async () => {
  const cases: Array<[string, string]> = [
    [code('132001'), 'NOTENOUGH'],
    [code('132002'), 'AUTHCODEEXPIRE'],
    [code('132003'), 'NOTSUPORTCARD'],
    [code('132004'), 'AUTH_CODE_INVALID'],
    [code('132005'), 'BUYER_MISMATCH'],
    ['1900000000000000000', 'AUTH_CODE_INVALID'],
  ];
  for (const [authCode, expected] of cases) {
    const request = sale(authCode);
    const answer = answerOf(await channel.pay(request, timeout));
    assert.equal(answer.state, 'failed', expected);
    assert.equal(answer.providerCode, expected);
    assert.notEqual(bookTrade(request.outTradeNo)?.state, 'SUCCESS');
    assert.equal(bookTrade(request.outTradeNo)?.paidFee ?? 0, 0);
  }
});

test('SYSTEMERROR with the trade paid (the dangerous case): unknown, the query finds it paid', async () => {
  const request = sale(code('133001'));
  const pay = answerOf(await channel.pay(request, timeout));
  assert.equal(pay.state, 'unknown');
  assert.equal(pay.providerCode, 'SYSTEMERROR');
  assert.equal(answerOf(await channel.query(request.outTradeNo, timeout)).state, 'paid');
  // A resend of the same order is ORDERPAID: still unknown, never a second payment.
  const resend = answerOf(await channel.pay(request, timeout));
  assert.equal(resend.state, 'unknown');
  assert.equal(resend.providerCode, 'ORDERPAID');
  assert.equal(bookTrade(request.outTradeNo)?.paidFee, 1_000);
});

test('SYSTEMERROR and BANKERROR with nothing done: unknown, the query finds no order, the reverse succeeds', async () => {
  for (const [prefix, expected] of [['133002', 'SYSTEMERROR'], ['133003', 'BANKERROR']]) {
    const request = sale(code(prefix as string));
    const pay = answerOf(await channel.pay(request, timeout));
    assert.equal(pay.state, 'unknown');
    assert.equal(pay.providerCode, expected);
    assert.equal(answerOf(await channel.query(request.outTradeNo, timeout)).state, 'not_found');
    const cancel = await channel.cancel(request.outTradeNo, timeout);
    assert.ok(cancel.kind === 'answer' && cancel.cancelled && !cancel.callAgain);
    // The reversed order number cannot be paid later.
    const late = answerOf(await channel.pay(request, timeout));
    assert.equal(late.state, 'closed');
    assert.equal(late.providerCode, 'ORDERREVERSED');
  }
});

test('no answer: the sandbox takes the money and stays silent; the call times out as no_answer and the query finds it paid', async () => {
  const request = sale(code('134001'));
  const result = await channel.pay(request, { timeoutMs: 300 });
  assert.equal(result.kind, 'no_answer');
  assert.ok(result.kind === 'no_answer' && result.reason === 'timeout');
  assert.equal(answerOf(await channel.query(request.outTradeNo, timeout)).state, 'paid');
  const cancel = await channel.cancel(request.outTradeNo, timeout);
  assert.ok(cancel.kind === 'answer' && cancel.cancelled);
  const trade = bookTrade(request.outTradeNo);
  assert.equal(trade?.state, 'REVOKED');
  assert.equal(trade?.reversedFee, 1_000, 'the reverse gave the money back');
});

test('reverse with recall: SYSTEMERROR recall=Y first, then cancelled', async () => {
  const request = sale(code('133004'));
  assert.equal(answerOf(await channel.pay(request, timeout)).state, 'unknown');
  const first = await channel.cancel(request.outTradeNo, timeout);
  assert.ok(first.kind === 'answer');
  assert.equal(first.cancelled, false);
  assert.equal(first.callAgain, true);
  assert.equal(first.providerCode, 'SYSTEMERROR');
  assert.equal(bookTrade(request.outTradeNo)?.reversedFee, 0);
  const second = await channel.cancel(request.outTradeNo, timeout);
  assert.ok(second.kind === 'answer' && second.cancelled && !second.callAgain);
  assert.equal(bookTrade(request.outTradeNo)?.reversedFee, 1_000);
  assert.equal(answerOf(await channel.query(request.outTradeNo, timeout)).state, 'closed');
});

test('reverse of a trade still paying closes it: nothing charged, the query says closed', async () => {
  const request = sale(code('131009'));
  assert.equal(answerOf(await channel.pay(request, timeout)).state, 'paying');
  const cancel = await channel.cancel(request.outTradeNo, timeout);
  assert.ok(cancel.kind === 'answer' && cancel.cancelled);
  const query = answerOf(await channel.query(request.outTradeNo, timeout));
  assert.equal(query.state, 'closed');
  assert.equal(query.providerCode, 'REVOKED');
  assert.equal(bookTrade(request.outTradeNo)?.paidFee, 0);
});

test('refunds: partial, repeated with the same id (once), over the paid amount refused; refundquery', async () => {
  const request = sale(code('130000'), 1_000);
  assert.equal(answerOf(await channel.pay(request, timeout)).state, 'paid');
  const refundOf = (outRefundNo: string, refundMinor: number) => ({ outTradeNo: request.outTradeNo, outRefundNo, refundMinor, totalMinor: 1_000, currency: 'CNY', reason: '顾客退货' });
  const first = await channel.refund(refundOf('pay_r1', 400), timeout);
  assert.ok(first.kind === 'answer', JSON.stringify(first));
  assert.equal(first.state, 'processing');
  assert.equal(first.refundedMinor, 400);
  assert.match(first.providerRefundNo ?? '', /^\d{29}$/);
  const repeat = await channel.refund(refundOf('pay_r1', 400), timeout);
  assert.ok(repeat.kind === 'answer' && repeat.state === 'processing' && repeat.providerRefundNo === first.providerRefundNo);
  assert.equal(bookTrade(request.outTradeNo)?.refundedFee, 400, 'the repeat refunded nothing more');
  const over = await channel.refund(refundOf('pay_r2', 700), timeout);
  assert.ok(over.kind === 'answer');
  assert.equal(over.state, 'failed');
  assert.equal(over.providerCode, 'ERROR');
  const rest = await channel.refund(refundOf('pay_r3', 600), timeout);
  assert.ok(rest.kind === 'answer' && rest.state === 'processing');
  assert.equal(bookTrade(request.outTradeNo)?.refundedFee, 1_000);
  const query = await channel.refundQuery(request.outTradeNo, 'pay_r3', timeout);
  assert.ok(query.kind === 'answer');
  assert.equal(query.state, 'refunded');
  assert.equal(query.refundedMinor, 600);
  const unknownRefund = await channel.refundQuery(request.outTradeNo, 'pay_r9', timeout);
  assert.ok(unknownRefund.kind === 'answer' && unknownRefund.state === 'not_found');
  assert.equal(answerOf(await channel.query(request.outTradeNo, timeout)).state, 'refunded');
  // A refunded trade can no longer be reversed.
  const cancel = await channel.cancel(request.outTradeNo, timeout);
  assert.ok(cancel.kind === 'answer' && !cancel.cancelled && !cancel.callAgain);
  // The same refund id with another amount is refused, never a second refund.
  const changed = await channel.refund(refundOf('pay_r1', 100), timeout);
  assert.ok(changed.kind === 'answer' && changed.state === 'failed');
  assert.equal(bookTrade(request.outTradeNo)?.refundedFee, 1_000);
});

test('refund of an order WeChat does not know is refused', async () => {
  const result = await channel.refund({ outTradeNo: paymentId(), outRefundNo: 'pay_rx', refundMinor: 1, totalMinor: 1, currency: 'CNY', reason: null }, timeout);
  assert.ok(result.kind === 'answer' && result.state === 'failed' && result.providerCode === 'ORDERNOTEXIST');
});

test('fault badSignature: the sandbox pays, the answer is never trusted (no_answer/bad_signature)', async () => {
  sandbox.setFaults(mergeQrFaultSettings(noQrFaults, { badSignature: 1 }));
  const request = sale(code('130000'));
  const result = await channel.pay(request, timeout);
  assert.ok(result.kind === 'no_answer' && result.reason === 'bad_signature', JSON.stringify(result));
  sandbox.setFaults(noQrFaults);
  assert.equal(answerOf(await channel.query(request.outTradeNo, timeout)).state, 'paid');
});

test('fault dropAnswer: processed, then the connection closes: no_answer/connection_lost', async () => {
  sandbox.setFaults(mergeQrFaultSettings(noQrFaults, { dropAnswer: 1 }));
  const request = sale(code('130000'));
  const result = await channel.pay(request, timeout);
  assert.ok(result.kind === 'no_answer' && result.reason === 'connection_lost', JSON.stringify(result));
  sandbox.setFaults(noQrFaults);
  assert.equal(bookTrade(request.outTradeNo)?.paidFee, 1_000);
});

test('fault dropRequest: closed on receipt, nothing processed, still no_answer (the client cannot know)', async () => {
  sandbox.setFaults(mergeQrFaultSettings(noQrFaults, { dropRequest: 1 }));
  const request = sale(code('130000'));
  const result = await channel.pay(request, timeout);
  assert.ok(result.kind === 'no_answer' && result.reason === 'connection_lost', JSON.stringify(result));
  sandbox.setFaults(noQrFaults);
  assert.equal(bookTrade(request.outTradeNo), undefined);
  assert.equal(answerOf(await channel.query(request.outTradeNo, timeout)).state, 'not_found');
});

test('fault delayAnswer past the deadline: no_answer/timeout, money moved', async () => {
  sandbox.setFaults(mergeQrFaultSettings(noQrFaults, { delayAnswer: 1, delayMs: 5_000 }));
  const request = sale(code('130000'));
  const result = await channel.pay(request, { timeoutMs: 300 });
  assert.ok(result.kind === 'no_answer' && result.reason === 'timeout', JSON.stringify(result));
  sandbox.setFaults(noQrFaults);
  assert.equal(bookTrade(request.outTradeNo)?.paidFee, 1_000);
});

test('fault delayAnswer within the deadline, longer than the idle-connection timeout: answered', async () => {
  sandbox.setFaults(mergeQrFaultSettings(noQrFaults, { delayAnswer: 1, delayMs: 4_500 }));
  const request = sale(code('130000'));
  const answer = answerOf(await channel.pay(request, { timeoutMs: 9_000 }));
  assert.equal(answer.state, 'paid');
});

test('fault http500 and faults limited to one path: the reverse meets the 500, the pay does not', async () => {
  sandbox.setFaults(mergeQrFaultSettings(noQrFaults, { http500: 1, paths: ['/secapi/pay/reverse'] }));
  const request = sale(code('130000'));
  assert.equal(answerOf(await channel.pay(request, timeout)).state, 'paid');
  const cancel = await channel.cancel(request.outTradeNo, timeout);
  assert.ok(cancel.kind === 'no_answer' && cancel.reason === 'malformed_answer' && /HTTP 500/.test(cancel.detail), JSON.stringify(cancel));
  assert.equal(bookTrade(request.outTradeNo)?.state, 'SUCCESS');
});

test('a wrong key: the sandbox refuses with return_code FAIL (SIGNERROR), the pay is failed and nothing moved', async () => {
  const wrong = new WechatPayV2Channel(config({ name: 'wrong', key: 'x'.repeat(32) }));
  try {
    const request = sale(code('130000'));
    const answer = answerOf(await wrong.pay(request, timeout));
    assert.equal(answer.state, 'failed');
    assert.equal(answer.providerCode, 'SIGNERROR');
    assert.equal(bookTrade(request.outTradeNo), undefined);
  } finally {
    await wrong.close();
  }
});

test('a SUCCESS answer signed with another key is bad_signature, whatever it says', async () => {
  // A stand-in that answers every request "paid", signed with a key that is not ours.
  const impostor = createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const fields: Record<string, string> = { return_code: 'SUCCESS', return_msg: 'OK', appid: wechatSandboxDefaults.appId, mch_id: wechatSandboxDefaults.mchId, nonce_str: 'n', result_code: 'SUCCESS', trade_state: 'SUCCESS' };
      response.end(encodeFlatXml({ ...fields, sign: wechatSign(fields, 'y'.repeat(32), 'MD5') }));
    });
  });
  await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
  const address = impostor.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const fooled = new WechatPayV2Channel(config({ name: 'fooled', baseUrl: `http://127.0.0.1:${port}` }));
  try {
    const pay = await fooled.pay(sale(code('130000')), timeout);
    assert.ok(pay.kind === 'no_answer' && pay.reason === 'bad_signature', JSON.stringify(pay));
    const query = await fooled.query(paymentId(), timeout);
    assert.ok(query.kind === 'no_answer' && query.reason === 'bad_signature');
  } finally {
    await fooled.close();
    impostor.closeAllConnections();
    await new Promise<void>((resolve) => impostor.close(() => resolve()));
  }
});

test('hostile or broken answers are never answers: too large, a DOCTYPE, a redirect, not XML, cut off', async () => {
  let mode = '';
  const hostile = createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (mode === 'large') return void response.end(`<xml><return_code>SUCCESS</return_code><pad>${'x'.repeat(70_000)}</pad></xml>`);
      if (mode === 'doctype') return void response.end('<!DOCTYPE xml [<!ENTITY a "SUCCESS">]><xml><return_code>&a;</return_code></xml>');
      if (mode === 'redirect') return void response.writeHead(302, { location: 'http://127.0.0.1:1/' }).end();
      if (mode === 'html') return void response.end('<html><body>gateway error</body></html>');
      // Cut off: a length promised and never delivered.
      response.writeHead(200, { 'content-length': '1000' });
      response.write('<xml><return_code>');
      setImmediate(() => response.socket?.destroy());
    });
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  const address = hostile.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const target = new WechatPayV2Channel(config({ name: 'hostile', baseUrl: `http://127.0.0.1:${port}` }));
  try {
    const expected: Record<string, RegExp> = { large: /larger than 65536/, doctype: /DOCTYPE/, redirect: /HTTP 302 \(redirects are not followed\)/, html: /does not start with <xml>/, cut: /./ };
    for (const [name, detail] of Object.entries(expected)) {
      mode = name;
      const result = await target.pay(sale(code('130000')), timeout);
      assert.equal(result.kind, 'no_answer', `${name}: ${JSON.stringify(result)}`);
      assert.ok(result.kind === 'no_answer' && (name === 'cut' ? result.reason === 'connection_lost' : result.reason === 'malformed_answer'), `${name}: ${JSON.stringify(result)}`);
      assert.match(result.detail, detail, name);
    }
  } finally {
    await target.close();
    hostile.closeAllConnections();
    await new Promise<void>((resolve) => hostile.close(() => resolve()));
  }
});

test('connection refused: not_sent/no_connection (safe to try again)', async () => {
  const closedPort = await new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
  const nowhere = new WechatPayV2Channel(config({ name: 'nowhere', baseUrl: `http://127.0.0.1:${closedPort}` }));
  try {
    const result = await nowhere.pay(sale(code('130000')), timeout);
    assert.ok(result.kind === 'not_sent' && result.reason === 'no_connection', JSON.stringify(result));
    const cancel = await nowhere.cancel(paymentId(), timeout);
    assert.equal(cancel.kind, 'not_sent');
  } finally {
    await nowhere.close();
  }
});

test('what is refused before sending: a foreign currency, a bad amount, a bad code, an id too long, a closed channel', async () => {
  const base = sale(code('130000'));
  const cases: QrPayRequest[] = [
    { ...base, currency: 'USD' },
    { ...base, amountMinor: 0 },
    { ...base, amountMinor: 1.5 },
    { ...base, authCode: 'abc' },
    { ...base, outTradeNo: 'x'.repeat(33) },
  ];
  for (const request of cases) {
    const result = await channel.pay(request, timeout);
    assert.ok(result.kind === 'not_sent' && result.reason === 'encode_failed', JSON.stringify(result));
    assert.ok(!result.detail.includes(base.authCode), 'the detail never holds the code');
  }
  const closing = new WechatPayV2Channel(config({ name: 'closing' }));
  await closing.close();
  const result = await closing.pay(base, timeout);
  assert.ok(result.kind === 'not_sent' && result.reason === 'closed');
  assert.equal(bookTrade(base.outTradeNo), undefined);
});

test('bounded connections: 20 pays at once over 2 sockets all answer, and the book has each once', async () => {
  const narrow = new WechatPayV2Channel(config({ name: 'narrow', socketsMax: 2 }));
  try {
    const requests = Array.from({ length: 20 }, () => sale(code('130000'), 10));
    const results = await Promise.all(requests.map((request) => narrow.pay(request, timeout)));
    assert.deepEqual(results.map((result) => (result.kind === 'answer' ? result.state : result.kind)), requests.map(() => 'paid'));
    for (const request of requests) assert.equal(bookTrade(request.outTradeNo)?.paidFee, 10);
  } finally {
    await narrow.close();
  }
});

test('a kept-alive connection does not collect listeners: 30 calls in a row on one socket raise no leak warning', async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning.name);
  };
  process.on('warning', onWarning);
  const single = new WechatPayV2Channel(config({ name: 'one-socket', socketsMax: 1 }));
  try {
    for (let call = 0; call < 30; call++) assert.equal(answerOf(await single.pay(sale(code('130000'), 1), timeout)).state, 'paid');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.filter((name) => name === 'MaxListenersExceededWarning'), []);
  } finally {
    process.off('warning', onWarning);
    await single.close();
  }
});

test('a request still waiting for a connection when its deadline passes never left: not_sent', async () => {
  const single = new WechatPayV2Channel(config({ name: 'single', socketsMax: 1 }));
  try {
    // The silent code holds the only connection past the second request's deadline.
    const holding = single.pay(sale(code('134001')), { timeoutMs: 1_500 });
    const waiting = sale(code('130000'));
    const queued = await single.pay(waiting, { timeoutMs: 300 });
    assert.ok(queued.kind === 'not_sent' && queued.reason === 'no_connection', JSON.stringify(queued));
    const held = await holding;
    assert.ok(held.kind === 'no_answer' && held.reason === 'timeout');
    // Queued behind it on the same single connection, a query would follow a late send of the abandoned pay: there is none.
    assert.equal(answerOf(await single.query(waiting.outTradeNo, timeout)).state, 'not_found');
    assert.equal(bookTrade(waiting.outTradeNo), undefined);
  } finally {
    await single.close();
  }
});

test('out_trade_no: our pay_ ids lose their prefix (32 hex digits), other fitting ids pass, others are refused', () => {
  assert.equal(wechatOutTradeNo('pay_0123456789abcdef0123456789abcdef'), '0123456789abcdef0123456789abcdef');
  assert.equal(wechatOutTradeNo('ORDER-1|a*b_c'), 'ORDER-1|a*b_c');
  assert.equal(wechatOutTradeNo('pay_0123456789abcdef0123456789abcdef0'), null);
  assert.equal(wechatOutTradeNo('订单1'), null);
  assert.equal(wechatOutTradeNo(''), null);
});

test('configuration is checked with the field named', () => {
  const cases: Array<[Partial<WechatPayV2ChannelConfig>, string]> = [
    [{ baseUrl: 'ftp://x' }, 'baseUrl'],
    [{ baseUrl: 'https://user:pw@x' }, 'baseUrl'],
    [{ appId: 'wx 1' }, 'appId'],
    [{ mchId: 'a-1' }, 'mchId'],
    [{ key: 'short' }, 'key'],
    [{ signType: 'SHA1' as never }, 'signType'],
    [{ timeoutMs: 10 }, 'timeoutMs'],
    [{ socketsMax: 0 }, 'socketsMax'],
    [{ certFile: '/nonexistent.p12' }, 'certFile'],
  ];
  for (const [overrides, field] of cases) {
    assert.throws(() => new WechatPayV2Channel(config(overrides)), (error: Error & { code?: string; field?: string }) => error.code === 'RSW_CHANNEL_OPTIONS_INVALID' && error.field === field, field);
  }
});
