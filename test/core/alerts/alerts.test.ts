// Goal: alert rules are validated data and the evaluator fires, groups, de-duplicates, repeats,
// silences and resolves as docs/alerts.md says; chat bodies have the robots' published shapes and
// DingTalk's signed URL is computed as its docs describe. Method: table tests over the pure functions
// with hand-made event streams and a manual time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { AlertRuleProblem, parseAlertRule } from '../../../src/core/alerts/alert-rule.ts';
import { defaultAlertRules } from '../../../src/core/alerts/default-alert-rules.ts';
import { evaluateAlerts, type AlertObservations, type StreamEvent } from '../../../src/core/alerts/evaluate-alerts.ts';
import { emptyAlertEvaluatorState, type AlertEvaluatorState } from '../../../src/core/alerts/alert-state.ts';
import type { AlertRecord, SilenceRecord } from '../../../src/core/alerts/alert-model.ts';
import { chatBodyOf, dingTalkSignedUrl, feishuSignedBody, mailOf, renderAlert } from '../../../src/core/alerts/alert-message.ts';

const t0 = 1_764_000_000_000;
const quiet: AlertObservations = { events: [], reversalQueue: { pending: 0, dead: 0, oldestPendingCreatedAtMs: null }, storeWriteFault: null, channelWindows: [] };

test('rules: defaults parse; bad fields are refused naming the field', () => {
  assert.ok(defaultAlertRules.length >= 9);
  const rows: Array<[unknown, string]> = [
    [{ id: 'X', kind: 'circuit_open' }, 'rule.id'],
    [{ id: 'a', kind: 'nope' }, 'rule.kind'],
    [{ id: 'a', kind: 'circuit_open', severity: 'loud' }, 'rule.severity'],
    [{ id: 'a', kind: 'circuit_open', groupBy: ['terminalId'] }, 'rule.groupBy'],
    [{ id: 'a', kind: 'reversal_queue', params: { depthMax: 0 } }, 'rule.params.depthMax'],
    [{ id: 'a', kind: 'reversal_queue', params: { other: 1 } }, 'rule.params.other'],
    [{ id: 'a', kind: 'failure_rate_spike', params: { windowMs: 3_600_000, baselineMs: 600_000 } }, 'rule.params.baselineMs'],
    [{ id: 'a', kind: 'circuit_open', extra: true }, 'rule.extra'],
  ];
  for (const [raw, field] of rows) {
    assert.throws(() => parseAlertRule(raw), (error: unknown) => error instanceof AlertRuleProblem && error.field === field, JSON.stringify(raw));
  }
});

function run(state: AlertEvaluatorState, firing: AlertRecord[], events: StreamEvent[], nowMs: number, rules = defaultAlertRules, silences: SilenceRecord[] = [], extra: Partial<AlertObservations> = {}) {
  const result = evaluateAlerts({ state, rules, firing, silences, observations: { ...quiet, ...extra, events }, nowMs });
  const byId = new Map(firing.map((alert) => [alert.id, alert]));
  for (const alert of result.changed) byId.set(alert.id, alert);
  return { ...result, firing: [...byId.values()].filter((alert) => alert.state === 'firing') };
}

let seq = 0;
const event = (type: string, subjectId: string, payload: Record<string, unknown>, atMs: number): StreamEvent => ({ seq: ++seq, type, subjectId, payload, atMs });

test('a circuit opens, is announced once, repeats after its interval, and resolves with one notice', () => {
  let r = run(emptyAlertEvaluatorState, [], [event('channel.opened', 'bank-a', { reason: '3 failures' }, t0)], t0);
  assert.deepEqual(r.notifications.map((n) => [n.kind, n.status, n.labels.channel]), [['circuit_open', 'firing', 'bank-a']]);
  assert.equal(r.notifications[0]?.runbook, 'circuit-open.md');
  r = run(r.state, r.firing, [event('channel.half_open', 'bank-a', {}, t0 + 1000)], t0 + 60_000);
  assert.equal(r.notifications.length, 0, 'de-duplicated while firing');
  r = run(r.state, r.firing, [], t0 + 3_600_000);
  assert.deepEqual(r.notifications.map((n) => [n.status, n.repeat]), [['firing', true]]);
  r = run(r.state, r.firing, [event('channel.closed', 'bank-a', {}, t0 + 3_700_000)], t0 + 3_700_000);
  assert.deepEqual(r.notifications.map((n) => n.status), ['resolved']);
  assert.equal(r.firing.length, 0);
});

test('manual handling groups every flagged payment into one alert; it resolves when the last is resolved', () => {
  let r = run(emptyAlertEvaluatorState, [], [event('payment.manual_handling', 'p1', { channel: 'a' }, t0), event('payment.manual_handling', 'p2', { channel: 'a' }, t0)], t0);
  assert.equal(r.notifications.length, 1);
  assert.equal(r.notifications[0]?.members, 2);
  r = run(r.state, r.firing, [event('payment.manual_resolved', 'p1', {}, t0 + 1)], t0 + 1000);
  assert.equal(r.notifications.length, 0);
  assert.equal(r.firing[0]?.members, 1);
  r = run(r.state, r.firing, [event('payment.manual_resolved', 'p2', {}, t0 + 2)], t0 + 2000);
  assert.deepEqual(r.notifications.map((n) => n.status), ['resolved']);
});

test('a silence mutes the notices but the alert still fires; no resolved notice for what nobody heard', () => {
  const silence: SilenceRecord = { id: 's', matchers: { kind: 'batch_unbalanced' }, reason: 'known', createdBy: 'cli', startsAtMs: t0, endsAtMs: t0 + 60_000, createdAtMs: t0 };
  let r = run(emptyAlertEvaluatorState, [], [event('batch.unbalanced', 'T1', { batchNo: '000001' }, t0)], t0, defaultAlertRules, [silence]);
  assert.equal(r.notifications.length, 0);
  assert.equal(r.firing[0]?.silenced, true);
  r = run(r.state, r.firing, [event('batch.settled', 'T1', {}, t0 + 1)], t0 + 1000, defaultAlertRules, [silence]);
  assert.equal(r.notifications.length, 0);
  assert.equal(r.firing.length, 0);
});

test('a failure-rate spike is measured against the subject\'s own baseline', () => {
  const rules = [parseAlertRule({ id: 'm', kind: 'failure_rate_spike', params: { dimension: 'merchant', attemptsMin: 10, baselineAttemptsMin: 20, factorPercent: 300, rateMinBps: 1000 } })];
  const completed = (atMs: number, failed: boolean) => event('payment.completed', `p${seq}`, { status: failed ? 'declined' : 'approved', category: failed ? 'network' : null, merchantId: 'M1', terminalId: 'T1' }, atMs);
  // An hour at 5 % failures: the baseline.
  const history: StreamEvent[] = [];
  for (let minute = 60; minute > 5; minute -= 1) for (let n = 0; n < 20; n += 1) history.push(completed(t0 - minute * 60_000, n === 0));
  let r = run(emptyAlertEvaluatorState, [], history, t0, rules);
  assert.equal(r.notifications.length, 0, '5 % is this merchant\'s normal');
  // Then 20 % in the window: four times the baseline.
  const spike: StreamEvent[] = [];
  for (let n = 0; n < 40; n += 1) spike.push(completed(t0 + 1000 + n, n % 5 === 0));
  r = run(r.state, r.firing, spike, t0 + 60_000, rules);
  assert.equal(r.notifications.length, 1);
  assert.equal(r.notifications[0]?.labels.subject, 'M1');
  // Cardholder declines (51) do not count as failures of the payment path.
  const declines = Array.from({ length: 40 }, () => event('payment.completed', 'x', { status: 'declined', category: 'insufficient_funds', merchantId: 'M2' }, t0 + 2000));
  r = run(r.state, r.firing, declines, t0 + 61_000, rules);
  assert.ok(!r.notifications.some((n) => n.labels.subject === 'M2'));
});

test('the reversal queue and a store refusing writes are read from the store\'s counts', () => {
  const r = run(emptyAlertEvaluatorState, [], [], t0, defaultAlertRules, [], { reversalQueue: { pending: 51, dead: 0, oldestPendingCreatedAtMs: t0 - 11 * 60_000 }, storeWriteFault: 'WAL fsync failed' });
  assert.deepEqual(r.notifications.map((n) => `${n.kind}:${n.labels.bound ?? n.labels.store}`).sort(), ['reversal_queue:age', 'reversal_queue:depth', 'store_refusing_writes:primary']);
});

test('merchant standing near and over fire the scheme-threshold alert once per merchant and measure; the next month replaces the earlier one', () => {
  const near = { merchantId: 'M1', month: '2026-12', measure: 'decline_ratio', state: 'near', value: 1250, unit: 'bps', threshold: 1500, shareBps: 8333 };
  let r = run(emptyAlertEvaluatorState, [], [event('merchant.standing_near', 'M1/decline_ratio/2026-12', near, t0)], t0);
  assert.deepEqual(r.notifications.map((n) => [n.kind, n.status, n.labels.merchantId, n.labels.measure]), [['scheme_threshold', 'firing', 'M1', 'decline_ratio']]);
  r = run(r.state, r.firing, [event('merchant.standing_over', 'M1/decline_ratio/2026-12', { ...near, state: 'over', value: 1600 }, t0 + 1)], t0 + 1000);
  assert.equal(r.firing.filter((alert) => alert.kind === 'scheme_threshold').length, 1, 'over does not open a second alert for the same measure');
  assert.deepEqual(Object.values(r.state.conditions).filter((condition) => condition.source === 'scheme').map((condition) => condition.labels.state), ['over']);
  r = run(r.state, r.firing, [event('merchant.standing_near', 'M1/decline_ratio/2027-01', { ...near, month: '2027-01' }, t0 + 2)], t0 + 2000);
  assert.deepEqual(Object.values(r.state.conditions).filter((condition) => condition.source === 'scheme').map((condition) => condition.labels.month), ['2027-01'], 'the next month replaces the earlier one');
  r = run(r.state, r.firing, [event('merchant.standing_near', 'M2/fallback_ratio/2027-01', { ...near, merchantId: 'M2', measure: 'fallback_ratio', month: '2027-01' }, t0 + 3)], t0 + 3000);
  assert.equal(r.firing.filter((alert) => alert.kind === 'scheme_threshold').length, 2, 'another merchant and measure is its own alert');
});

test('chat bodies have the robots\' published shapes, in both languages, linking the runbook', () => {
  const r = run(emptyAlertEvaluatorState, [], [event('channel.opened', 'bank-a', {}, t0)], t0);
  const notification = r.notifications[0];
  assert.ok(notification !== undefined);
  const zh = renderAlert(notification, 'zh-CN', 'https://wiki.example.test/runbooks/circuit-open.md');
  const en = renderAlert(notification, 'en', 'docs/runbooks/circuit-open.md');
  assert.match(zh.title, /严重.*上游通道熔断/);
  assert.match(en.title, /CRITICAL.*circuit open/);
  assert.ok(zh.lines.some((line) => line.includes('https://wiki.example.test/runbooks/circuit-open.md')));
  const wecom = chatBodyOf('wecom', zh) as { msgtype: string; markdown: { content: string } };
  assert.deepEqual(Object.keys(wecom).sort(), ['markdown', 'msgtype']);
  assert.equal(wecom.msgtype, 'markdown');
  assert.ok(Buffer.byteLength(wecom.markdown.content) <= 4096);
  const ding = chatBodyOf('dingtalk', zh) as { msgtype: string; markdown: { title: string; text: string } };
  assert.equal(ding.msgtype, 'markdown');
  assert.equal(typeof ding.markdown.title, 'string');
  assert.equal(typeof ding.markdown.text, 'string');
  const feishu = chatBodyOf('feishu', en) as { msg_type: string; content: { text: string } };
  assert.equal(feishu.msg_type, 'text');
  assert.equal(typeof feishu.content.text, 'string');
  assert.match(mailOf(en).subject, /^reswipe \[CRITICAL\]/);
});

test('DingTalk signed URL: timestamp (ms) and sign = urlencode(base64(HMAC-SHA256(secret, timestamp + "\\n" + secret)))', () => {
  const secret = 'SEC0123456789abcdef';
  const url = new URL(dingTalkSignedUrl('https://oapi.dingtalk.com/robot/send?access_token=abc', secret, 1_700_000_000_123));
  assert.equal(url.searchParams.get('access_token'), 'abc');
  assert.equal(url.searchParams.get('timestamp'), '1700000000123');
  const expected = createHmac('sha256', secret).update(`1700000000123\n${secret}`).digest('base64');
  assert.equal(url.searchParams.get('sign'), expected);
  assert.ok(!dingTalkSignedUrl('https://x.test/s?a=1', secret, 1).includes('+'), 'the sign is URL-encoded');
  const signed = feishuSignedBody({ msg_type: 'text', content: { text: 'x' } }, 'fs', 1_700_000_000);
  assert.equal(signed.timestamp, '1700000000');
  assert.equal(signed.sign, createHmac('sha256', '1700000000\nfs').update('').digest('base64'));
});

test('an overdue reconciliation discrepancy fires per channel, stays while investigated, and resolves when resolved or written off', () => {
  const overdue = (id: string) => event('recon.discrepancy_overdue', id, { channel: 'bank-a', category: 'amount', businessDate: '2026-06-18', differenceMinor: 100 }, t0);
  let r = run(emptyAlertEvaluatorState, [], [overdue('dsc_1'), overdue('dsc_2')], t0);
  assert.deepEqual(r.notifications.map((n) => [n.kind, n.labels.channel, n.members, n.runbook]), [['recon_discrepancy_overdue', 'bank-a', 2, 'recon-discrepancy-overdue.md']]);
  r = run(r.state, r.firing, [event('recon.discrepancy_changed', 'dsc_1', { from: 'open', to: 'investigating' }, t0 + 1)], t0 + 1000);
  assert.equal(r.firing[0]?.members, 2, 'being investigated is still open money');
  r = run(r.state, r.firing, [event('recon.discrepancy_changed', 'dsc_1', { from: 'investigating', to: 'resolved' }, t0 + 2), event('recon.discrepancy_changed', 'dsc_2', { from: 'open', to: 'written_off' }, t0 + 3)], t0 + 2000);
  assert.deepEqual(r.notifications.map((n) => n.status), ['resolved']);
});
