// Goal: the Alipay channel works over HTTPS against a sandbox whose certificate it trusts through
// `tlsCa`, and refuses one it does not trust without ever calling it sent. Method: a test CA and server
// certificate made by openssl, the QR sandbox on HTTPS with the Alipay provider built from freshly
// generated PEM key pairs (the helper the demo uses), one pay each way.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlipayChannel } from '../../../src/adapters/qr-channels/alipay-channel.ts';
import { readServerTlsOptions } from '../../../src/adapters/tls/read-tls-material.ts';
import { parseAlipayPrivateKey, parseAlipayPublicKey } from '../../../src/core/qr/alipay-signature.ts';
import { alipayMagicAuthCode, alipaySandboxPath, createAlipaySandboxFromPem, generateAlipaySandboxKeys } from '../../../src/sim/qr/alipay-sandbox.ts';
import { startQrSandbox } from '../../../src/sim/qr/qr-sandbox-server.ts';
import { issueTestCertificate, makeTestCa } from '../../support/test-certificates.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-alipay-tls-'));
const ca = makeTestCa(dir, 'test-ca');
const otherCa = makeTestCa(dir, 'other-ca');
const serverCertificate = issueTestCertificate(ca, dir, 'sandbox', 'server');
const keys = generateAlipaySandboxKeys();
const appId = '2021000000000002';
const sandbox = await startQrSandbox({
  host: '127.0.0.1',
  port: 0,
  seed: 1,
  providers: [createAlipaySandboxFromPem({ appId, sandboxPrivateKeyPem: keys.sandboxPrivateKeyPem, merchantPublicKeyPem: keys.merchantPublicKeyPem })],
  tls: readServerTlsOptions({ certFile: serverCertificate.certFile, keyFile: serverCertificate.keyFile }, 'test'),
});
const channelKeys = { privateKey: parseAlipayPrivateKey(keys.merchantPrivateKeyPem), alipayPublicKey: parseAlipayPublicKey(keys.sandboxPublicKeyPem) };
after(() => sandbox.close());

const request = (serial: number) => ({ outTradeNo: `pay_tls_${serial}`, authCode: alipayMagicAuthCode('paid', serial), amountMinor: 100, currency: 'CNY', description: 'tls', merchantId: 'M1', terminalId: null });

test('a pay over HTTPS with the sandbox CA trusted is paid', async () => {
  assert.ok(sandbox.url.startsWith('https://'));
  const channel = createAlipayChannel({ name: 'ali-tls', baseUrl: `${sandbox.url}${alipaySandboxPath}`, appId, ...channelKeys, tlsCa: readFileSync(ca.certFile) });
  try {
    const result = await channel.pay(request(1), { timeoutMs: 5_000 });
    assert.ok(result.kind === 'answer' && result.state === 'paid', JSON.stringify(result));
  } finally {
    await channel.close();
  }
});

test('a sandbox certificate from another CA is refused before anything is sent', async () => {
  const channel = createAlipayChannel({ name: 'ali-tls-2', baseUrl: `${sandbox.url}${alipaySandboxPath}`, appId, ...channelKeys, tlsCa: readFileSync(otherCa.certFile) });
  try {
    const result = await channel.pay(request(2), { timeoutMs: 5_000 });
    assert.ok(result.kind === 'not_sent' && result.reason === 'no_connection', JSON.stringify(result));
  } finally {
    await channel.close();
  }
});
