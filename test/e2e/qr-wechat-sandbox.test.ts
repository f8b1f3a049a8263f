// Goal: end to end, a QR sale over HTTP through the composed gateway and the real WeChat Pay v2 channel
// against the QR sandbox ends as the sandbox's book says for every magic outcome: paid, paying then
// paid, paying then cancelled, a refusal, a system error with the money moved, a system error with
// nothing, no answer with the money moved; and a refund. The auditor: what the client was told agrees
// with the book (approved = charged exactly the amount, anything else = nothing charged once settled).
// Method: the sandbox in process on an ephemeral port, the gateway composed with its default QR
// channel factory, requests with fetch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '../../src/adapters/http/auth.ts';
import { composeGateway } from '../../src/app/compose-gateway.ts';
import { validateConfig } from '../../src/core/config/config-schema.ts';
import { startQrSandbox } from '../../src/sim/qr/qr-sandbox-server.ts';
import { WechatPaySandbox, wechatSandboxDefaults } from '../../src/sim/qr/wechatpay-sandbox.ts';
import { wechatMagicCode } from '../../src/sim/qr/wechatpay-magic-codes.ts';

const merchantId = 'M00000000000001';
const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };

test('every WeChat magic outcome through the gateway agrees with the sandbox book', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-qr-e2e-'));
  const wechat = new WechatPaySandbox();
  const sandbox = await startQrSandbox({ host: '127.0.0.1', port: 0, seed: 7, providers: [wechat] });
  const config = validateConfig({
    database: { url: `sqlite:${join(dir, 'gw.db')}` },
    security: { panKey: 'qr-e2e-test-pan-key-0123456789-abcdefghij', developmentMode: true },
    log: { level: 'silent' },
    http: { port: 0 },
    listeners: [],
    engine: { terminalTimeoutMs: 20_000, qr: { budgetMs: 8_000, queryDelaysMs: [100, 200, 300] } },
    channels: [{ name: 'wx', protocol: 'wechatpay-v2', baseUrl: sandbox.url, ...wechatSandboxDefaults, timeoutMs: 1_500 }],
    merchants: [{ id: merchantId, name: 'QR shop', mcc: '5411', accepts: ['debit', 'wechat'] }],
  });
  const gateway = await composeGateway(config, { logger: silentLogger, qrFollowUpPollMs: 100 });
  try {
    await gateway.start();
    const apiKey = generateApiKey({ scopes: ['payments:write', 'payments:read', 'refunds:write'], merchantId }, 'till', Date.now());
    await gateway.store.write((tx) => tx.insertApiKey(apiKey.record));
    let counter = 0;
    const post = async (path: string, body: Record<string, unknown>) => {
      const response = await fetch(`http://127.0.0.1:${gateway.httpPort}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey.key}`, 'idempotency-key': `e2e-${++counter}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await response.json()) as { id: string; status: string; decline: { code: string; verdict: string } | null; amountMinor: number };
    };
    const cases: Array<[string, string, string]> = [
      ['paid at once', '130000', 'approved'],
      ['paying, paid at the second query', '131002', 'approved'],
      ['paying, cancelled by the customer', '131101', 'declined'],
      ['balance too low', '132001', 'declined'],
      ['system error, money moved', '133001', 'approved'],
      ['system error, nothing happened', '133002', 'reversed'],
      ['no answer, money moved', '134001', 'approved'],
    ];
    const told = new Map<string, { status: string; amountMinor: number }>();
    for (const [what, prefix, expected] of cases) {
      const answer = await post('/v1/payments', { amountMinor: 1000 + counter, currency: 'CNY', method: 'wechat', authCode: wechatMagicCode(prefix, counter + 1) });
      assert.equal(answer.status, expected, `${what}: ${JSON.stringify(answer)}`);
      told.set(answer.id, { status: answer.status, amountMinor: answer.amountMinor });
    }
    const refunded = [...told.entries()].find(([, t]) => t.status === 'approved')![0];
    const refund = await post(`/v1/payments/${refunded}/refunds`, { amountMinor: 300 });
    assert.equal(refund.status, 'approved', JSON.stringify(refund));

    // The auditor: money in the sandbox's book against what each client was told.
    for (const [paymentId, answer] of told) {
      const trade = wechat.book.trades.get(paymentId);
      const chargedMinor = trade === undefined ? 0 : trade.paidFee - trade.reversedFee;
      assert.equal(chargedMinor, answer.status === 'approved' ? answer.amountMinor : 0, `${paymentId} told ${answer.status}`);
    }
    assert.equal(wechat.book.trades.get(refunded)?.refundedFee, 300);
  } finally {
    await gateway.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
