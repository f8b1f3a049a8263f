// Goal: a QR channel built with an injected transport (QrHttpTransport, what the deterministic
// simulation passes) sends every request through it, believes only answers whose signature verifies,
// and turns the transport's not_sent and no_answer into the port's. Method: the production factory
// (buildQrChannel) for a WeChat Pay v2 and an Alipay channel, with a transport that hands the bytes
// to the QR sandbox's providers in process and can corrupt or drop the answer.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQrChannel } from '../../../src/app/channels/qr-channel-factories.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import type { QrHttpRequest, QrHttpResult, QrHttpTransport } from '../../../src/core/ports/qr-channel.ts';
import { alipayMagicAuthCode, alipaySandboxPath, createAlipaySandboxFromPem, generateAlipaySandboxKeys } from '../../../src/sim/qr/alipay-sandbox.ts';
import { wechatMagicCode } from '../../../src/sim/qr/wechatpay-magic-codes.ts';
import { WechatPaySandbox, wechatSandboxDefaults } from '../../../src/sim/qr/wechatpay-sandbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-qr-transport-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const keys = generateAlipaySandboxKeys();
writeFileSync(join(dir, 'app.pem'), keys.merchantPrivateKeyPem);
writeFileSync(join(dir, 'alipay.pem'), keys.sandboxPublicKeyPem);
const appId = '2021000000000003';
const wechat = new WechatPaySandbox();
const alipay = createAlipaySandboxFromPem({ appId, sandboxPrivateKeyPem: keys.sandboxPrivateKeyPem, merchantPublicKeyPem: keys.merchantPublicKeyPem });
const config = validateConfig({
  security: { panKey: 'qr-transport-test-pan-key-0123456789-abcdef', developmentMode: true },
  channels: [
    { name: 'wx', protocol: 'wechatpay-v2', baseUrl: 'http://wechat.invalid', ...wechatSandboxDefaults, timeoutMs: 1_000 },
    { name: 'ali', protocol: 'alipay', baseUrl: `http://alipay.invalid${alipaySandboxPath}`, appId, privateKeyFile: join(dir, 'app.pem'), alipayPublicKeyFile: join(dir, 'alipay.pem'), timeoutMs: 1_000 },
  ],
});

/** What the transport does with the next request: deliver it, break the answer's signature, or say it never left. */
let mode: 'deliver' | 'bad_signature' | 'not_sent' = 'deliver';
const seen: string[] = [];
const transport: QrHttpTransport = async (request: QrHttpRequest): Promise<QrHttpResult> => {
  seen.push(request.url.pathname);
  if (mode === 'not_sent') return { kind: 'not_sent', reason: 'no_connection', detail: 'test: refused' };
  const provider = wechat.handles(request.url.pathname) ? wechat : alipay;
  const answer = await provider.handle({ method: 'POST', path: request.url.pathname, query: request.url.searchParams, contentType: request.contentType, body: request.body, clientCertificate: 'not_checked' });
  return { kind: 'answer', status: answer.status, body: mode === 'bad_signature' ? (answer.bodyWithBadSignature ?? answer.body) : answer.body };
};
const logger = { info() {}, debug() {}, warn() {}, error() {} };
const [wxConfig, aliConfig] = config.qrChannels;
const channels = { wechat: buildQrChannel(wxConfig!, { logger, transport }), alipay: buildQrChannel(aliConfig!, { logger, transport }) };
const payOf = (outTradeNo: string, authCode: string) => ({ outTradeNo, authCode, amountMinor: 1234, currency: 'CNY', description: 'test', merchantId: 'M1', terminalId: null });

test('each channel pays through the injected transport and the provider books the trade', async () => {
  mode = 'deliver';
  const wx = await channels.wechat.pay(payOf('pay_transport0000000000000001', wechatMagicCode('130000', 1)), { timeoutMs: 1_000 });
  const ali = await channels.alipay.pay(payOf('pay_transport0000000000000002', alipayMagicAuthCode('paid', 1)), { timeoutMs: 1_000 });
  assert.equal(wx.kind === 'answer' && wx.state, 'paid');
  assert.equal(ali.kind === 'answer' && ali.state, 'paid');
  assert.deepEqual(seen.slice(-2), ['/pay/micropay', alipaySandboxPath]);
  assert.equal(wechat.book.trades.get('pay_transport0000000000000001')?.paidFee, 1234);
  assert.equal(alipay.trade('pay_transport0000000000000002')?.wasPaid, true);
});

test('an answer whose signature does not verify is no answer, and a refused connection is not sent', async () => {
  mode = 'bad_signature';
  for (const channel of [channels.wechat, channels.alipay]) {
    const queried = await channel.query(channel === channels.wechat ? 'pay_transport0000000000000001' : 'pay_transport0000000000000002', { timeoutMs: 1_000 });
    assert.deepEqual([queried.kind, queried.kind === 'no_answer' && queried.reason], ['no_answer', 'bad_signature']);
  }
  mode = 'not_sent';
  for (const channel of [channels.wechat, channels.alipay]) assert.equal((await channel.cancel('pay_transport0000000000000009', { timeoutMs: 1_000 })).kind, 'not_sent');
});
