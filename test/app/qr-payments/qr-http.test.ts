// Goal: POST /v1/payments takes a QR sale (method + authCode) through the composed gateway, checks the
// body's fields with clear errors, replays a duplicate, and a restart recovers what was left pending.
// Method: composeGateway over a SQLite file with the QR channel factory overridden by the scripted
// fake, the HTTP API on a real port, requests with fetch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '../../../src/adapters/http/auth.ts';
import { composeGateway, type Gateway } from '../../../src/app/compose-gateway.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { FakeQrChannel, noAnswer, tradeAnswer } from '../../support/fake-qr-channel.ts';
import { alipayCode, merchantId, silentLogger, wechatCode } from './qr-fixture.ts';

const wx = { name: 'wx', protocol: 'wechatpay-v2', baseUrl: 'http://127.0.0.1:9', appId: 'wx2421b1c4370ec43b', mchId: '10000100', key: '192006250b4c09247ec02edce69f6a2d', timeoutMs: 2000 };
const ali = { name: 'ali', protocol: 'alipay', baseUrl: 'http://127.0.0.1:9', appId: '2014072300007148', privateKeyFile: 'unused.pem', alipayPublicKeyFile: 'unused.pem', timeoutMs: 2000 };

async function start(dir: string, channels: Map<string, FakeQrChannel>): Promise<{ gateway: Gateway; post: (body: Record<string, unknown>, key?: string) => Promise<{ status: number; body: Record<string, unknown> }>; get: (path: string) => Promise<{ status: number; body: Record<string, unknown> }> }> {
  const config = validateConfig({
    database: { url: `sqlite:${join(dir, 'gw.db')}` },
    security: { panKey: 'qr-http-test-pan-key-0123456789-abcdefgh', developmentMode: true },
    log: { level: 'silent' },
    http: { port: 0 },
    listeners: [],
    engine: { terminalTimeoutMs: 20_000, qr: { budgetMs: 20_000, queryDelaysMs: [100, 100] } },
    channels: [wx, ali],
    merchants: [{ id: merchantId, name: 'QR shop', mcc: '5411', accepts: ['debit', 'wechat', 'alipay'], terminals: ['T0000001'] }],
  });
  const gateway = await composeGateway(config, {
    logger: silentLogger,
    qrChannel: (qrConfig) => {
      const fake = channels.get(qrConfig.name) ?? new FakeQrChannel({ name: qrConfig.name, method: qrConfig.protocol === 'alipay' ? 'alipay' : 'wechat' });
      channels.set(qrConfig.name, fake);
      return fake;
    },
    qrFollowUpPollMs: 50,
  });
  await gateway.start();
  const apiKey = generateApiKey({ scopes: ['payments:write', 'payments:read'], merchantId }, 'till', Date.now());
  await gateway.store.write((tx) => tx.insertApiKey(apiKey.record));
  let counter = 0;
  const post = async (body: Record<string, unknown>, key = `k-${++counter}`) => {
    const response = await fetch(`http://127.0.0.1:${gateway.httpPort}/v1/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey.key}`, 'idempotency-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${gateway.httpPort}${path}`, { headers: { authorization: `Bearer ${apiKey.key}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { gateway, post, get };
}

test('QR sales over HTTP: approved, declined with advice, paying then paid, field errors, replays', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-qr-http-'));
  const channels = new Map<string, FakeQrChannel>();
  const { gateway, post, get } = await start(dir, channels);
  try {
    const paid = await post({ amountMinor: 1200, currency: 'CNY', method: 'wechat', authCode: wechatCode }, 'same');
    assert.equal(paid.status, 201);
    assert.equal(paid.body.status, 'approved');
    assert.equal(paid.body.method, 'wechat');
    assert.equal((paid.body.card as { masked: string }).masked, '1345**********1234');
    assert.ok(!JSON.stringify(paid.body).includes(wechatCode));
    const replay = await post({ amountMinor: 1200, currency: 'CNY', method: 'wechat', authCode: wechatCode }, 'same');
    assert.equal(replay.status, 201);
    assert.equal(replay.body.id, paid.body.id);
    assert.equal(channels.get('wx')!.calls.filter((c) => c.kind === 'pay').length, 1);
    const mismatch = await post({ amountMinor: 1300, currency: 'CNY', method: 'wechat', authCode: wechatCode }, 'same');
    assert.equal(mismatch.status, 422);

    channels.get('ali')!.script('pay', tradeAnswer('failed', 'ACQ.BUYER_BALANCE_NOT_ENOUGH'));
    const declined = await post({ amountMinor: 500, currency: 'CNY', method: 'alipay', authCode: alipayCode });
    assert.equal(declined.body.status, 'declined');
    const decline = declined.body.decline as { code: string; category: string; advice: { cashier: { zh: string } } };
    assert.equal(decline.code, 'ACQ.BUYER_BALANCE_NOT_ENOUGH');
    assert.equal(decline.category, 'insufficient_funds');
    assert.ok(decline.advice.cashier.zh.length > 0);

    channels.get('wx')!.script('pay', tradeAnswer('paying', 'USERPAYING'));
    channels.get('wx')!.script('query', tradeAnswer('paying'), tradeAnswer('paid', null, '4200000001'));
    const paying = await post({ amountMinor: 800, currency: 'CNY', method: 'wechat', authCode: wechatCode });
    assert.equal(paying.body.status, 'approved');

    const field = async (body: Record<string, unknown>) => {
      const answer = await post(body);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      return (answer.body as { field?: string }).field;
    };
    assert.equal(await field({ amountMinor: 100, currency: 'CNY', method: 'wechat', authCode: alipayCode }), 'authCode');
    assert.equal(await field({ amountMinor: 100, currency: 'CNY', method: 'wechat' }), 'authCode');
    assert.equal(await field({ amountMinor: 100, currency: 'CNY', authCode: wechatCode }), 'method');
    assert.equal(await field({ amountMinor: 100, currency: 'CNY' }), 'card');
    assert.equal(await field({ amountMinor: 100, currency: 'CNY', method: 'wechat', authCode: wechatCode, card: { number: '6222021234567890123', entryMode: 'chip' } }), 'method');
    assert.equal(await field({ amountMinor: 100, currency: 'CNY', method: 'unionpay-qr', authCode: '6212345678901234' }), 'authCode');

    const explained = await fetch(`http://127.0.0.1:${gateway.httpPort}/v1/qr-codes/userpaying`);
    assert.equal(explained.status, 200);
    assert.deepEqual(((await explained.json()) as { data: Array<{ provider: string; tradeState: string }> }).data.map((x) => [x.provider, x.tradeState]), [['wechatpay-v2', 'paying']]);
    assert.equal((await fetch(`http://127.0.0.1:${gateway.httpPort}/v1/qr-codes/NO_SUCH_CODE`)).status, 404);
    const lookedUp = await get(`/v1/payments/${String(paid.body.id)}`);
    assert.equal(lookedUp.status, 200);
    assert.equal(lookedUp.body.method, 'wechat');
  } finally {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a trade left unknown by a stopped gateway is cancelled by the next one (the follow-up survives the restart)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-qr-http-'));
  const channels = new Map<string, FakeQrChannel>();
  const first = await start(dir, channels);
  let paymentId = '';
  try {
    const wxFake = channels.get('wx')!;
    wxFake.script('pay', noAnswer);
    wxFake.script('query', ...Array.from({ length: 40 }, () => noAnswer));
    wxFake.script('cancel', ...Array.from({ length: 3 }, () => noAnswer));
    // Follow-ups of this gateway get no answer either, so the trade is still unknown when it stops.
    wxFake.script('cancel', ...Array.from({ length: 50 }, () => noAnswer));
    const unknown = await first.post({ amountMinor: 700, currency: 'CNY', method: 'wechat', authCode: wechatCode });
    assert.equal(unknown.body.status, 'pending');
    assert.equal((unknown.body.decline as { verdict: string }).verdict, 'wait');
    paymentId = String(unknown.body.id);
  } finally {
    await first.gateway.close();
  }
  const wxFake = channels.get('wx')!;
  // The provider answers again: the next gateway's follow-up confirms the cancel.
  while (wxFake.scriptsView.cancel.length > 0) wxFake.scriptsView.cancel.shift();
  const second = await start(dir, channels);
  try {
    for (let i = 0; i < 200; i++) {
      const payment = await second.gateway.store.getPayment(paymentId);
      if (payment?.status === 'reversed') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal((await second.gateway.store.getPayment(paymentId))?.status, 'reversed');
    assert.equal(wxFake.chargedMinor(paymentId), 0);
    assert.equal(wxFake.calls.filter((c) => c.kind === 'pay').length, 1);
  } finally {
    await second.gateway.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
