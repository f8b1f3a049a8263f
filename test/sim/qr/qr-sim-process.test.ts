// Goal: the real `reswipe qr-sim` process starts, prints where it listens, answers a WeChat Pay v2
// micropay that the channel adapter sends, applies start-time faults, lists its magic codes, refuses
// bad flags, and stops on SIGTERM. Method: spawn the CLI on an ephemeral port (test/support/reswipe-process.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WechatPayV2Channel } from '../../../src/adapters/qr-channels/wechatpay-v2-channel.ts';
import { wechatSandboxDefaults } from '../../../src/sim/qr/wechatpay-sandbox.ts';
import { repoRoot, runReswipe, startReswipeJson, stopChild } from '../../support/reswipe-process.ts';

function sale(authCode: string) {
  return { outTradeNo: `pay_${randomBytes(16).toString('hex')}`, authCode, amountMinor: 888, currency: 'CNY', description: 'cli', merchantId: 'M1', terminalId: null };
}

test('qr-sim starts, answers the channel, reports its book, and stops on SIGTERM', async () => {
  const { child, info } = await startReswipeJson(['qr-sim', '--port', '0', '--json', '--seed', '42'], { cwd: repoRoot, startTimeoutMs: 20_000 });
  try {
    assert.match(String(info.url), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.seed, 42);
    assert.deepEqual(info.providers, ['wechatpay-v2', 'alipay']);
    const channel = new WechatPayV2Channel({ name: 'wx', baseUrl: String(info.url), appId: wechatSandboxDefaults.appId, mchId: wechatSandboxDefaults.mchId, key: wechatSandboxDefaults.key, timeoutMs: 5_000 });
    try {
      const request = sale('130000000000000777');
      const pay = await channel.pay(request, { timeoutMs: 5_000 });
      assert.ok(pay.kind === 'answer' && pay.state === 'paid', JSON.stringify(pay));
      const paying = sale('131002000000000777');
      const first = await channel.pay(paying, { timeoutMs: 5_000 });
      assert.ok(first.kind === 'answer' && first.state === 'paying');
    } finally {
      await channel.close();
    }
    const book = (await (await fetch(`${String(info.url)}/sandbox/book`)).json()) as { 'wechatpay-v2': { totals: { paidFee: number } } };
    assert.equal(book['wechatpay-v2'].totals.paidFee, 888);
  } finally {
    await stopChild(child);
  }
  assert.equal(child.exitCode, 0);
});

test('qr-sim with a start-time fault and another key: the channel with the same key sees a bad signature', async () => {
  const key = 'k'.repeat(32);
  const { child, info } = await startReswipeJson(['qr-sim', '--port', '0', '--json', '--wechat-key', key, '--fault-bad-signature', '1', '--fault-paths', '/pay/micropay'], { cwd: repoRoot, startTimeoutMs: 20_000 });
  const channel = new WechatPayV2Channel({ name: 'wx', baseUrl: String(info.url), appId: wechatSandboxDefaults.appId, mchId: wechatSandboxDefaults.mchId, key, timeoutMs: 5_000 });
  try {
    const request = sale('130000000000000778');
    const pay = await channel.pay(request, { timeoutMs: 5_000 });
    assert.ok(pay.kind === 'no_answer' && pay.reason === 'bad_signature', JSON.stringify(pay));
    // The query path is not faulted: the trade is found paid.
    const query = await channel.query(request.outTradeNo, { timeoutMs: 5_000 });
    assert.ok(query.kind === 'answer' && query.state === 'paid', JSON.stringify(query));
  } finally {
    await channel.close();
    await stopChild(child);
  }
});

test('qr-sim --list prints the magic codes; bad flags are refused with the flag named', () => {
  const listed = runReswipe(['qr-sim', '--list']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /134001xxxxxxxxxxxx\s+no answer/);
  assert.match(listed.stdout, /133001xxxxxxxxxxxx\s+SYSTEMERROR, but the trade IS paid/);
  const json = runReswipe(['qr-sim', '--list', '--json']);
  assert.ok(Array.isArray((JSON.parse(json.stdout) as Record<string, unknown>)['wechatpay-v2']));
  const badRate = runReswipe(['qr-sim', '--fault-drop-answer', '2']);
  assert.notEqual(badRate.status, 0);
  assert.match(badRate.stderr, /dropAnswer/);
  const badKey = runReswipe(['qr-sim', '--wechat-key', 'short']);
  assert.notEqual(badKey.status, 0);
  assert.match(badKey.stderr, /wechat-key/);
});
