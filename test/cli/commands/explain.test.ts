// Goal: `reswipe explain` prints the catalogue's answer for codes, outcomes and symptoms in both languages and as JSON, and refuses bad input with a coded one-line error. Method: run `node bin/reswipe.mjs explain` as a child process and read stdout, stderr and the exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runReswipe, type ReswipeRun } from '../../support/reswipe-process.ts';

function run(args: string[]): ReswipeRun {
  return runReswipe(['explain', ...args]);
}

test('explain 51 --json prints the shared shape', () => {
  const r = run(['51', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const x = JSON.parse(r.stdout) as Record<string, unknown> & { advice: { cashier: { zh: string; en: string }; customer: { zh: string; en: string } } };
  for (const key of ['code', 'meaning', 'category', 'party', 'verdict', 'waitSeconds', 'advice']) assert.ok(key in x, key);
  assert.equal(x.code, '51');
  assert.equal(x.category, 'insufficient_funds');
  assert.equal(x.verdict, 'fix');
  assert.equal(x.waitSeconds, null);
  assert.ok(x.advice.cashier.zh.length > 0 && x.advice.customer.en.length > 0);
});

test('explain prints human text, Chinese by default and English with --lang en', () => {
  const zh = run(['91']);
  assert.equal(zh.status, 0, zh.stderr);
  assert.match(zh.stdout, /应答码 91/);
  assert.match(zh.stdout, /LATER:180/);
  const en = run(['a0', '--lang', 'en']);
  assert.equal(en.status, 0, en.stderr);
  assert.match(en.stdout, /Code A0/);
  assert.match(en.stdout, /gateway retries itself: yes/);
});

test('an unknown but well-formed code is explained as fix, never automatic', () => {
  const r = run(['C1', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const x = JSON.parse(r.stdout) as { verdict: string; automaticRetry: boolean; known: boolean };
  assert.deepEqual([x.verdict, x.automaticRetry, x.known], ['fix', false, false]);
});

test('symptoms, outcomes and lists', () => {
  const symptom = run(['--symptom', 'in-progress-after-timeout', '--lang', 'en']);
  assert.equal(symptom.status, 0, symptom.stderr);
  assert.match(symptom.stdout, /Do not swipe again/);
  const ids = run(['--symptoms']);
  assert.match(ids.stdout, /no-paper/);
  const outcome = run(['--outcome', 'no_reply', '--json']);
  assert.equal((JSON.parse(outcome.stdout) as { verdict: string }).verdict, 'wait');
  const list = run(['--list', '--json']);
  assert.equal((JSON.parse(list.stdout) as unknown[]).length, 115);
});

test('bad input exits 2 with one coded line and no stack trace', () => {
  const rows: Array<[string[], RegExp]> = [
    [['123'], /^error RSW_DECLINE_BAD_CODE: .*\(field code\)\n$/],
    [['--symptom', 'smoke'], /^error RSW_DECLINE_UNKNOWN_SYMPTOM: /],
    [['51', '--lang', 'fr'], /^error RSW_BAD_ARGUMENT: .*\(field lang\)/],
    [['--outcome', 'lost'], /^error RSW_BAD_ARGUMENT: .*\(field outcome\)/],
    [[], /^error RSW_BAD_ARGUMENT: /],
  ];
  for (const [args, pattern] of rows) {
    const r = run(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, pattern, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('explain takes QR provider codes: USERPAYING and ACQ.SYSTEM_ERROR (any case), with provider and trade state', () => {
  const wechat = run(['USERPAYING', '--json']);
  assert.equal(wechat.status, 0, wechat.stderr);
  const x = JSON.parse(wechat.stdout) as { provider: string; tradeState: string; verdict: string; advice: { cashier: { zh: string } } };
  assert.equal(x.provider, 'wechatpay-v2');
  assert.equal(x.tradeState, 'paying');
  assert.equal(x.verdict, 'wait');
  assert.ok(x.advice.cashier.zh.length > 0);
  const alipay = run(['acq.system_error', '--lang', 'en']);
  assert.equal(alipay.status, 0, alipay.stderr);
  assert.match(alipay.stdout, /^Alipay · Code ACQ\.SYSTEM_ERROR/);
  const unknown = run(['NO_SUCH_QR_CODE']);
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /RSW_DECLINE_BAD_CODE/);
});
