// Goal: the Alipay channel gives the port's answers for every outcome the sandbox can play, over real
// HTTP with real RSA2 signatures both ways, and never mistakes an unverifiable answer for a refusal.
// Method: the QR sandbox server in process with the Alipay provider (its own key pair, the merchant's
// public key), keys made by openssl at test time; each magic code, each server fault, a closed port,
// wrong keys; cancel of paid and unpaid trades; partial, repeated and excessive refunds and refund query.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlipayChannel, readAlipayKeyFiles } from '../../../src/adapters/qr-channels/alipay-channel.ts';
import { parseAlipayPrivateKey, parseAlipayPublicKey } from '../../../src/core/qr/alipay-signature.ts';
import type { QrCallResult, QrChannelPort, QrPayRequest } from '../../../src/core/ports/qr-channel.ts';
import { alipayMagicAuthCode, alipayPayingQueries, alipaySandboxPath, createAlipaySandbox, type AlipayMagicOutcome } from '../../../src/sim/qr/alipay-sandbox.ts';
import { startQrSandbox } from '../../../src/sim/qr/qr-sandbox-server.ts';
import { noQrFaults } from '../../../src/sim/qr/qr-fault-plan.ts';
import { makeRsaKeyFiles } from '../../support/alipay-test-keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-alipay-channel-'));
const merchantKeys = makeRsaKeyFiles(dir, 'merchant');
const sandboxKeys = makeRsaKeyFiles(dir, 'sandbox');
const strangerKeys = makeRsaKeyFiles(dir, 'stranger');
const appId = '2021000000000001';

const alipay = createAlipaySandbox({
  appId,
  sandboxPrivateKey: parseAlipayPrivateKey(readFileSync(sandboxKeys.privatePkcs1File, 'utf8')),
  merchantPublicKey: parseAlipayPublicKey(readFileSync(merchantKeys.publicBareFile, 'utf8')),
});
const sandbox = await startQrSandbox({ host: '127.0.0.1', port: 0, providers: [alipay], seed: 7 });
const logs: string[] = [];
const logger = {
  info: (object: object) => logs.push(JSON.stringify(object)),
  warn: (object: object) => logs.push(JSON.stringify(object)),
  error: (object: object) => logs.push(JSON.stringify(object)),
  debug: (object: object) => logs.push(JSON.stringify(object)),
};
const keys = readAlipayKeyFiles({ privateKeyFile: merchantKeys.privatePkcs8File, alipayPublicKeyFile: sandboxKeys.publicFile });
const baseUrl = `${sandbox.url}${alipaySandboxPath}`;
const channel = createAlipayChannel({ name: 'ali', baseUrl, appId, ...keys, logger });
const opened: QrChannelPort[] = [channel];
after(async () => {
  for (const each of opened) await each.close();
  await sandbox.close();
});

const timeout = { timeoutMs: 3_000 };
let serial = 0;
function payRequest(outcome: AlipayMagicOutcome, amountMinor = 1234): QrPayRequest {
  serial += 1;
  return { outTradeNo: `pay_${serial}_${outcome}`, authCode: alipayMagicAuthCode(outcome, serial), amountMinor, currency: 'CNY', description: '测试 coffee/茶', merchantId: 'm1', terminalId: 'T0001' };
}

function answered(result: QrCallResult): Extract<QrCallResult, { kind: 'answer' }> {
  assert.equal(result.kind, 'answer', JSON.stringify(result));
  return result as Extract<QrCallResult, { kind: 'answer' }>;
}

test('a good code is paid at once, with the facts of the trade', async () => {
  const request = payRequest('paid', 29);
  const result = answered(await channel.pay(request, timeout));
  assert.equal(result.state, 'paid');
  assert.equal(result.providerCode, null);
  assert.equal(result.facts.paidAmountMinor, 29);
  assert.equal(result.facts.providerTradeNo, alipay.trade(request.outTradeNo)?.tradeNo);
  assert.equal(result.facts.fundSource, 'ALIPAYACCOUNT');
  assert.ok(result.facts.paidAtMs !== null);
  assert.equal(answered(await channel.query(request.outTradeNo, timeout)).state, 'paid');
  // The same out_trade_no paid again is refused as already paid, never a second payment.
  const again = answered(await channel.pay(request, timeout));
  assert.deepEqual([again.state, again.providerCode], ['paid', 'ACQ.TRADE_HAS_SUCCESS']);
  assert.equal(alipay.trades().filter((trade) => trade.outTradeNo === request.outTradeNo).length, 1);
});

test('paying then paid, and paying then closed by the customer, as the queries see them', async () => {
  for (const [outcome, final] of [['payingThenPaid', 'paid'], ['payingThenClosed', 'closed']] as const) {
    const request = payRequest(outcome);
    const first = answered(await channel.pay(request, timeout));
    assert.deepEqual([first.state, first.providerCode], ['paying', '10003']);
    for (let query = 0; query < alipayPayingQueries; query += 1) assert.equal(answered(await channel.query(request.outTradeNo, timeout)).state, 'paying');
    assert.equal(answered(await channel.query(request.outTradeNo, timeout)).state, final, outcome);
  }
});

test('balance too low and an invalid code are refusals, nothing charged', async () => {
  for (const [outcome, code] of [['balanceTooLow', 'ACQ.BUYER_BALANCE_NOT_ENOUGH'], ['codeInvalid', 'ACQ.PAYMENT_AUTH_CODE_INVALID']] as const) {
    const request = payRequest(outcome);
    const result = answered(await channel.pay(request, timeout));
    assert.deepEqual([result.state, result.providerCode], ['failed', code]);
    assert.ok((result.providerMessage ?? '').length > 0);
    assert.equal(answered(await channel.query(request.outTradeNo, timeout)).state, 'not_found');
  }
});

test('a system error is unknown, and the query finds the money taken; cancel then refunds it', async () => {
  const request = payRequest('systemErrorMoneyTaken');
  const result = answered(await channel.pay(request, timeout));
  assert.deepEqual([result.state, result.providerCode], ['unknown', 'ACQ.SYSTEM_ERROR']);
  assert.equal(answered(await channel.query(request.outTradeNo, timeout)).state, 'paid');
  const cancel = await channel.cancel(request.outTradeNo, timeout);
  assert.equal(cancel.kind, 'answer');
  if (cancel.kind === 'answer') assert.deepEqual([cancel.cancelled, cancel.callAgain, cancel.action], [true, false, 'refund']);
  assert.equal(answered(await channel.query(request.outTradeNo, timeout)).state, 'refunded');
});

test('no answer with money taken is no_answer/timeout; the query finds it paid', async () => {
  const request = payRequest('noAnswerMoneyTaken');
  const result = await channel.pay(request, { timeoutMs: 300 });
  assert.equal(result.kind, 'no_answer');
  if (result.kind === 'no_answer') assert.equal(result.reason, 'timeout');
  assert.equal(answered(await channel.query(request.outTradeNo, timeout)).state, 'paid');
});

test('no answer with nothing taken: not found, cancel closes the trade and a late pay is refused', async () => {
  const request = payRequest('noAnswerNothingTaken');
  assert.equal((await channel.pay(request, { timeoutMs: 300 })).kind, 'no_answer');
  assert.equal(answered(await channel.query(request.outTradeNo, timeout)).state, 'not_found');
  const cancel = await channel.cancel(request.outTradeNo, timeout);
  assert.ok(cancel.kind === 'answer' && cancel.cancelled && cancel.action === 'close');
  const late = answered(await channel.pay({ ...request, authCode: alipayMagicAuthCode('paid', 999) }, timeout));
  assert.deepEqual([late.state, late.providerCode], ['closed', 'ACQ.TRADE_HAS_CLOSE']);
});

test('cancel of a trade still paying closes it', async () => {
  const request = payRequest('payingThenPaid');
  assert.equal(answered(await channel.pay(request, timeout)).state, 'paying');
  const cancel = await channel.cancel(request.outTradeNo, timeout);
  assert.ok(cancel.kind === 'answer' && cancel.cancelled && cancel.action === 'close', JSON.stringify(cancel));
  for (let query = 0; query <= alipayPayingQueries; query += 1) assert.equal(answered(await channel.query(request.outTradeNo, timeout)).state, 'closed');
});

test('partial, repeated, excessive and discordant refunds, and refund query', async () => {
  const request = payRequest('paid', 1000);
  assert.equal(answered(await channel.pay(request, timeout)).state, 'paid');
  const refund = (outRefundNo: string, refundMinor: number) => channel.refund({ outTradeNo: request.outTradeNo, outRefundNo, refundMinor, totalMinor: 1000, currency: 'CNY', reason: '退货' }, timeout);
  const first = await refund('rf_1', 300);
  assert.ok(first.kind === 'answer' && first.state === 'refunded' && first.refundedMinor === 300, JSON.stringify(first));
  const repeated = await refund('rf_1', 300);
  assert.ok(repeated.kind === 'answer' && repeated.state === 'refunded');
  assert.equal(alipay.trade(request.outTradeNo)?.refundedFen, 300, 'a repeated refund moves no money');
  const discordant = await refund('rf_1', 200);
  assert.ok(discordant.kind === 'answer' && discordant.state === 'failed' && discordant.providerCode === 'ACQ.DISCORDANT_REPEAT_REQUEST');
  const excessive = await refund('rf_2', 701);
  assert.ok(excessive.kind === 'answer' && excessive.state === 'failed' && excessive.providerCode === 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL');
  const rest = await refund('rf_2', 700);
  assert.ok(rest.kind === 'answer' && rest.state === 'refunded');
  assert.equal(alipay.trade(request.outTradeNo)?.refundedFen, 1000);
  assert.equal(answered(await channel.query(request.outTradeNo, timeout)).state, 'refunded');

  const found = await channel.refundQuery(request.outTradeNo, 'rf_1', timeout);
  assert.ok(found.kind === 'answer' && found.state === 'refunded' && found.refundedMinor === 300, JSON.stringify(found));
  const missing = await channel.refundQuery(request.outTradeNo, 'rf_9', timeout);
  assert.ok(missing.kind === 'answer' && missing.state === 'not_found');
  const noTrade = await channel.refundQuery('pay_never', 'rf_1', timeout);
  assert.ok(noTrade.kind === 'answer' && noTrade.state === 'not_found');
  const refundOfNothing = await channel.refund({ outTradeNo: 'pay_never', outRefundNo: 'rf_x', refundMinor: 1, totalMinor: 1, currency: 'CNY', reason: null }, timeout);
  assert.ok(refundOfNothing.kind === 'answer' && refundOfNothing.state === 'not_found');
});

test('server faults: bad signature, HTTP 500, dropped request or answer, late answer are never answers', async () => {
  const cases: Array<[Record<string, number>, string]> = [
    [{ badSignature: 1 }, 'bad_signature'],
    [{ http500: 1 }, 'malformed_answer'],
    [{ dropAnswer: 1 }, 'connection_lost'],
    [{ dropRequest: 1 }, 'connection_lost'],
    [{ delayAnswer: 1, delayMs: 5_000 }, 'timeout'],
  ];
  try {
    for (const [faults, reason] of cases) {
      sandbox.setFaults({ ...noQrFaults, ...faults });
      const result = await channel.pay(payRequest('paid'), { timeoutMs: 500 });
      assert.equal(result.kind, 'no_answer', JSON.stringify(faults));
      if (result.kind === 'no_answer') assert.equal(result.reason, reason, JSON.stringify(faults));
    }
  } finally {
    sandbox.setFaults(noQrFaults);
  }
  // After the faults, the same channel still works.
  assert.equal(answered(await channel.pay(payRequest('paid'), timeout)).state, 'paid');
});

test('an answer signed by a key other than the configured Alipay key is no_answer/bad_signature', async () => {
  const trustsStranger = createAlipayChannel({ name: 'ali2', baseUrl, appId, privateKey: keys.privateKey, alipayPublicKey: parseAlipayPublicKey(readFileSync(strangerKeys.publicFile, 'utf8')) });
  opened.push(trustsStranger);
  const result = await trustsStranger.pay(payRequest('paid'), timeout);
  assert.ok(result.kind === 'no_answer' && result.reason === 'bad_signature', JSON.stringify(result));
});

test('a request signed with a key the sandbox does not know is refused (isv.invalid-signature), nothing paid', async () => {
  const wrongKey = createAlipayChannel({ name: 'ali3', baseUrl, appId, privateKey: parseAlipayPrivateKey(readFileSync(strangerKeys.privatePkcs8File, 'utf8')), alipayPublicKey: keys.alipayPublicKey });
  opened.push(wrongKey);
  const request = payRequest('paid');
  const result = answered(await wrongKey.pay(request, timeout));
  assert.deepEqual([result.state, result.providerCode], ['failed', 'isv.invalid-signature']);
  assert.equal(alipay.trade(request.outTradeNo), undefined);
});

test('a port nobody listens on is not_sent/no_connection; a closed channel is not_sent/closed', async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
  const nowhere = createAlipayChannel({ name: 'ali4', baseUrl: `http://127.0.0.1:${port}/gateway.do`, appId, ...keys });
  const result = await nowhere.pay(payRequest('paid'), timeout);
  assert.ok(result.kind === 'not_sent' && result.reason === 'no_connection', JSON.stringify(result));
  await nowhere.close();
  const closed = await nowhere.query('pay_1', timeout);
  assert.ok(closed.kind === 'not_sent' && closed.reason === 'closed');
});

test('bad input is not_sent/encode_failed, and the logs never hold a full auth code', async () => {
  const result = await channel.pay({ ...payRequest('paid'), currency: 'USD' }, timeout);
  assert.ok(result.kind === 'not_sent' && result.reason === 'encode_failed');
  const request = payRequest('balanceTooLow');
  await channel.pay(request, timeout);
  await channel.pay(payRequest('noAnswerNothingTaken'), { timeoutMs: 200 });
  assert.ok(logs.length > 0);
  for (const line of logs) assert.doesNotMatch(line, /28[0-9]{16}/, line);
  assert.ok(logs.some((line) => line.includes(request.outTradeNo)));
});

test('an unsigned answer, a body that is not JSON, a redirect and an answer too large are never answers', async () => {
  const { createServer: createHttpServer } = await import('node:http');
  const bodies: Array<[number, string, string]> = [
    [200, '{"alipay_trade_pay_response":{"code":"40004","msg":"Business Failed","sub_code":"ACQ.BUYER_BALANCE_NOT_ENOUGH"}}', 'bad_signature'],
    [200, '<html>gateway maintenance</html>', 'malformed_answer'],
    [302, '', 'malformed_answer'],
    [200, `{"alipay_trade_pay_response":{"code":"10000","pad":"${'x'.repeat(70_000)}"},"sign":"AAAA"}`, 'malformed_answer'],
  ];
  let next = 0;
  const raw = createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const [status, body] = bodies[next++] as [number, string, string];
      response.writeHead(status, status === 302 ? { location: 'http://127.0.0.1:1/' } : { 'content-type': 'application/json' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  const address = raw.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const rawChannel = createAlipayChannel({ name: 'ali5', baseUrl: `http://127.0.0.1:${port}/gateway.do`, appId, ...keys });
  try {
    for (const [, , reason] of bodies) {
      const result = await rawChannel.pay(payRequest('paid'), timeout);
      assert.ok(result.kind === 'no_answer' && result.reason === reason, `${reason}: ${JSON.stringify(result)}`);
    }
  } finally {
    await rawChannel.close();
    raw.closeAllConnections();
    await new Promise<void>((resolve) => raw.close(() => resolve()));
  }
});
