// Goal: the real `reswipe qr-sim` process plays Alipay too: it writes fresh keys for the gateway, the
// Alipay channel configured with those files pays, a restart with the written sandbox keys keeps
// them, and bad key flags are refused naming the flag. Method: spawn the CLI on an ephemeral port
// (test/support/reswipe-process.ts) and drive it with the Alipay channel adapter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlipayChannel, readAlipayKeyFiles } from '../../../src/adapters/qr-channels/alipay-channel.ts';
import { alipayMagicAuthCode } from '../../../src/sim/qr/alipay-sandbox.ts';
import { repoRoot, runReswipe, startReswipeJson, stopChild } from '../../support/reswipe-process.ts';

interface AlipayStart {
  baseUrl: string;
  appId: string;
  privateKeyFile: string;
  alipayPublicKeyFile: string;
}

async function payOnce(alipay: AlipayStart, serial: number): Promise<string> {
  const channel = createAlipayChannel({ name: 'ali', baseUrl: alipay.baseUrl, appId: alipay.appId, ...readAlipayKeyFiles(alipay) });
  try {
    const result = await channel.pay({ outTradeNo: `pay_cli_${serial}_${process.pid}`, authCode: alipayMagicAuthCode('paid', serial), amountMinor: 666, currency: 'CNY', description: 'cli', merchantId: 'M1', terminalId: null }, { timeoutMs: 5_000 });
    return result.kind === 'answer' ? result.state : `${result.kind}/${result.reason}`;
  } finally {
    await channel.close();
  }
}

test('qr-sim writes Alipay keys for the gateway, pays with them, and restarts with the same keys', async () => {
  const keysDir = join(mkdtempSync(join(tmpdir(), 'reswipe-qr-sim-alipay-')), 'keys');
  const first = await startReswipeJson(['qr-sim', '--port', '0', '--json', '--alipay-keys-dir', keysDir], { cwd: repoRoot, startTimeoutMs: 20_000 });
  const alipay = first.info.alipay as AlipayStart;
  try {
    assert.match(alipay.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/gateway\.do$/);
    assert.equal(alipay.privateKeyFile, join(keysDir, 'app-private-key.pem'));
    assert.equal(statSync(alipay.privateKeyFile).mode & 0o077, 0, 'the private key is readable by its owner only');
    assert.equal(await payOnce(alipay, 1), 'paid');
  } finally {
    await stopChild(first.child);
  }
  const second = await startReswipeJson(
    ['qr-sim', '--port', '0', '--json', '--alipay-private-key-file', join(keysDir, 'sandbox-private-key.pem'), '--alipay-merchant-public-key-file', join(keysDir, 'merchant-public-key.pem')],
    { cwd: repoRoot, startTimeoutMs: 20_000 },
  );
  try {
    const restarted = second.info.alipay as Partial<AlipayStart>;
    assert.equal(restarted.privateKeyFile, undefined, 'no new keys are written when they are given');
    assert.equal(await payOnce({ ...alipay, baseUrl: String(restarted.baseUrl) }, 2), 'paid');
  } finally {
    await stopChild(second.child);
  }
});

test('qr-sim refuses half a key pair and an unreadable key, naming the flag; --list shows the Alipay codes', () => {
  const half = runReswipe(['qr-sim', '--alipay-private-key-file', '/nonexistent.pem']);
  assert.notEqual(half.status, 0);
  assert.match(half.stderr, /alipay-private-key-file/);
  const unreadable = runReswipe(['qr-sim', '--alipay-private-key-file', '/nonexistent.pem', '--alipay-merchant-public-key-file', '/nonexistent2.pem']);
  assert.notEqual(unreadable.status, 0);
  assert.match(unreadable.stderr, /alipay-private-key-file.*cannot read/);
  const listed = runReswipe(['qr-sim', '--list']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /alipay magic auth codes:/);
  assert.match(listed.stdout, /280000000000000201\s+40004 ACQ.BUYER_BALANCE_NOT_ENOUGH/);
});
