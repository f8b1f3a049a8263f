// Goal: over HTTPS the channel verifies the sandbox's certificate and shows the merchant certificate
// (PEM, or PKCS#12 with the mchId as password as WeChat issues it), and the sandbox in HTTPS mode lets
// no secapi call (reverse, refund) through without a trusted client certificate. Method: throwaway
// certificates from test/support/test-certificates.ts, the sandbox with a client CA, real HTTPS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WechatPayV2Channel, type WechatPayV2ChannelConfig } from '../../../src/adapters/qr-channels/wechatpay-v2-channel.ts';
import { readServerTlsOptions } from '../../../src/adapters/tls/read-tls-material.ts';
import { startQrSandbox, type RunningQrSandbox } from '../../../src/sim/qr/qr-sandbox-server.ts';
import { WechatPaySandbox, wechatSandboxDefaults } from '../../../src/sim/qr/wechatpay-sandbox.ts';
import { wechatMagicCode } from '../../../src/sim/qr/wechatpay-magic-codes.ts';
import { issueTestCertificate, makeTestCa, type CertificateFiles } from '../../support/test-certificates.ts';

let dir: string;
let ca: CertificateFiles;
let client: CertificateFiles;
let p12File: string;
let sandbox: RunningQrSandbox;
let serial = 0;
const timeout = { timeoutMs: 5_000 };

function config(overrides: Partial<WechatPayV2ChannelConfig>): WechatPayV2ChannelConfig {
  return { name: 'wx', baseUrl: sandbox.url, appId: wechatSandboxDefaults.appId, mchId: wechatSandboxDefaults.mchId, key: wechatSandboxDefaults.key, timeoutMs: 5_000, caFile: ca.certFile, ...overrides };
}

function sale() {
  serial += 1;
  return { outTradeNo: `pay_${randomBytes(16).toString('hex')}`, authCode: wechatMagicCode('130000', serial), amountMinor: 500, currency: 'CNY', description: 'tls', merchantId: 'M1', terminalId: null };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsw-wx-tls-'));
  ca = makeTestCa(dir, 'test-ca');
  const server = issueTestCertificate(ca, dir, 'sandbox', 'server');
  client = issueTestCertificate(ca, dir, 'merchant', 'client');
  p12File = join(dir, 'apiclient_cert.p12');
  execFileSync('openssl', ['pkcs12', '-export', '-in', client.certFile, '-inkey', client.keyFile, '-out', p12File, '-passout', `pass:${wechatSandboxDefaults.mchId}`], { stdio: 'ignore', timeout: 30_000 });
  return startQrSandbox({
    host: '127.0.0.1',
    port: 0,
    seed: 3,
    providers: [new WechatPaySandbox()],
    tls: readServerTlsOptions({ certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.certFile }, 'test'),
  }).then((started) => {
    sandbox = started;
  });
});

after(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('with the PEM merchant certificate: pay, reverse and refund all go through', async () => {
  assert.match(sandbox.url, /^https:/);
  const channel = new WechatPayV2Channel(config({ certFile: client.certFile, keyFile: client.keyFile }));
  try {
    const request = sale();
    const pay = await channel.pay(request, timeout);
    assert.ok(pay.kind === 'answer' && pay.state === 'paid', JSON.stringify(pay));
    const refund = await channel.refund({ outTradeNo: request.outTradeNo, outRefundNo: 'pay_tls_r1', refundMinor: 100, totalMinor: 500, currency: 'CNY', reason: null }, timeout);
    assert.ok(refund.kind === 'answer' && refund.state === 'processing', JSON.stringify(refund));
  } finally {
    await channel.close();
  }
});

test('with the PKCS#12 certificate (password = mchId by default): the secapi reverse goes through', async () => {
  const channel = new WechatPayV2Channel(config({ certFile: p12File }));
  try {
    const request = sale();
    assert.equal((await channel.pay(request, timeout)).kind, 'answer');
    const cancel = await channel.cancel(request.outTradeNo, timeout);
    assert.ok(cancel.kind === 'answer' && cancel.cancelled, JSON.stringify(cancel));
  } finally {
    await channel.close();
  }
});

test('a PKCS#12 file with a wrong password stops the channel at start, naming the channel', () => {
  assert.throws(() => new WechatPayV2Channel(config({ certFile: p12File, certPassword: 'wrong' })), (error: Error & { code?: string }) => error.code === 'RSW_TLS_MATERIAL_INVALID');
});

test('without a client certificate: micropay works, the secapi reverse is refused and nothing is reversed', async () => {
  const channel = new WechatPayV2Channel(config({}));
  try {
    const request = sale();
    const pay = await channel.pay(request, timeout);
    assert.ok(pay.kind === 'answer' && pay.state === 'paid');
    const cancel = await channel.cancel(request.outTradeNo, timeout);
    assert.ok(cancel.kind === 'answer' && !cancel.cancelled && !cancel.callAgain, JSON.stringify(cancel));
    const trade = (sandbox.providers[0]?.view() as { trades: Array<{ outTradeNo: string; state: string }> }).trades.find((candidate) => candidate.outTradeNo === request.outTradeNo.slice(4));
    assert.equal(trade?.state, 'SUCCESS');
  } finally {
    await channel.close();
  }
});

test('a sandbox certificate the channel does not trust: not_sent (the handshake failed, nothing left)', async () => {
  const channel = new WechatPayV2Channel(config({ caFile: undefined }));
  try {
    const result = await channel.pay(sale(), timeout);
    assert.ok(result.kind === 'not_sent' && result.reason === 'no_connection', JSON.stringify(result));
  } finally {
    await channel.close();
  }
});
