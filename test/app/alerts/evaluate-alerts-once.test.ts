// Goal: one evaluator run writes its cursor, the alert, an alert.* event and one outbox row per target
// that takes the severity, all together; a repeated run adds nothing; a resolved alert queues its
// resolved notice; a rule changed through the store overrides the configured one. Method: a real
// SQLite store, a manual clock, events appended as the engine and monitors append them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { defaultAlertRules } from '../../../src/core/alerts/default-alert-rules.ts';
import { evaluateAlertsOnce, eventsPerRunMax, type AlertRunDeps } from '../../../src/app/alerts/evaluate-alerts-once.ts';
import type { NotifyTarget } from '../../../src/app/webhooks/send-delivery.ts';
import { merchant, payment } from '../../adapters/store/store-fixtures.ts';

const t0 = Date.UTC(2026, 10, 25, 12, 0, 0);

test('a run stores cursor, alert, event and per-target notices together; repeats add nothing; resolve follows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-alerts-once-'));
  const store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  try {
    const clock = new ManualClock(t0);
    const targets = new Map<string, NotifyTarget>([
      ['pager', { name: 'pager', kind: 'dingtalk', url: 'https://oapi.example.test/robot/send', to: [], language: 'zh-CN', minSeverity: 'critical' }],
      ['mail', { name: 'mail', kind: 'email', to: ['ops@example.test'], language: 'en', minSeverity: 'info' }],
    ]);
    const deps: AlertRunDeps = { store, clock, configuredRules: defaultAlertRules, targets, runbookBaseUrl: 'docs/runbooks/', channelWindows: () => [] };
    assert.deepEqual((await evaluateAlertsOnce(deps)).notifications, [], 'the first run starts at the (empty) stream\'s end');
    await store.write((tx) => tx.appendEvent({ type: 'terminal.quiet', subjectId: 'T1', payload: { merchantId: 'M1', quietForMs: 1_800_000 }, atMs: t0 }));
    const first = await evaluateAlertsOnce(deps);
    assert.deepEqual(first.notifications.map((n) => [n.kind, n.severity, n.status]), [['terminal_unhealthy', 'warning', 'firing']]);
    assert.deepEqual((await store.listOutboxOfTarget('pager', { limit: 10 })).length, 0, 'a warning does not page a critical-only target');
    const [mail] = await store.listOutboxOfTarget('mail', { limit: 10 });
    assert.equal(mail?.channel, 'email');
    assert.match(JSON.parse(mail?.body ?? '{}').subject, /Terminal quiet or unhealthy/);
    assert.match(JSON.parse(mail?.body ?? '{}').text, /docs\/runbooks\/terminal-unhealthy\.md/);
    assert.equal((await store.listEvents(0, 10, 'alert.firing')).length, 1);
    assert.equal((await store.getConsumerCursor('alerts'))?.seq, 1);

    clock.advance(15_000);
    const again = await evaluateAlertsOnce(deps);
    assert.equal(again.notifications.length, 0);
    assert.equal((await store.listOutboxOfTarget('mail', { limit: 10 })).length, 1, 'de-duplicated: nothing more queued');

    await store.write((tx) => tx.appendEvent({ type: 'terminal.recovered', subjectId: 'T1', payload: { cleared: ['quiet'] }, atMs: clock.nowMs() }));
    clock.advance(15_000);
    const resolved = await evaluateAlertsOnce(deps);
    assert.deepEqual(resolved.notifications.map((n) => n.status), ['resolved']);
    assert.equal((await store.listOutboxOfTarget('mail', { limit: 10 })).length, 2);
    assert.deepEqual((await store.listAlerts({ limit: 10 })).map((a) => a.state), ['resolved']);

    // A rule changed through the API (stored override) replaces the configured one: now critical, so it pages.
    await store.write((tx) => tx.upsertAlertRuleOverride({ id: 'terminal-unhealthy', rule: { id: 'terminal-unhealthy', kind: 'terminal_unhealthy', severity: 'critical', groupBy: ['terminalId'] }, updatedAtMs: clock.nowMs(), updatedBy: 'cli' }));
    await store.write((tx) => tx.appendEvent({ type: 'terminal.unhealthy', subjectId: 'T2', payload: { merchantId: 'M1', alarms: ['failure_rate'] }, atMs: clock.nowMs() }));
    clock.advance(15_000);
    const paged = await evaluateAlertsOnce(deps);
    assert.deepEqual(paged.notifications.map((n) => n.severity), ['critical']);
    const [page] = await store.listOutboxOfTarget('pager', { limit: 10 });
    assert.equal(JSON.parse(page?.body ?? '{}').msgtype, 'markdown');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a first run starts at the stream\'s end, but alerts on payments already in manual handling', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-alerts-first-'));
  const store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  try {
    const clock = new ManualClock(t0);
    await store.write(async (tx) => {
      await tx.upsertMerchant(merchant('m1'));
      await tx.insertPayment(payment('p1', 'm1', { status: 'pending', manualHandlingSinceMs: t0 - 86_400_000 }));
      // Old history: a terminal that went quiet last month and an old circuit; no stale alert may come of them.
      await tx.appendEvent({ type: 'terminal.quiet', subjectId: 'T1', payload: {}, atMs: t0 - 30 * 86_400_000 });
      await tx.appendEvent({ type: 'channel.opened', subjectId: 'bank-a', payload: {}, atMs: t0 - 30 * 86_400_000 });
    });
    const run = await evaluateAlertsOnce({ store, clock, configuredRules: defaultAlertRules, targets: new Map(), runbookBaseUrl: 'docs/runbooks/', channelWindows: () => [] });
    assert.deepEqual(run.notifications.map((n) => [n.kind, n.members]), [['manual_handling', 1]]);
    assert.equal((await store.getConsumerCursor('alerts'))?.seq, 2);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two nodes evaluating the same step queue its notices once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-alerts-nodes-'));
  const store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  try {
    const clock = new ManualClock(t0);
    const targets = new Map<string, NotifyTarget>([['mail', { name: 'mail', kind: 'email', to: ['ops@example.test'], language: 'en', minSeverity: 'info' }]]);
    const deps: AlertRunDeps = { store, clock, configuredRules: defaultAlertRules, targets, runbookBaseUrl: 'docs/runbooks/', channelWindows: () => [] };
    await evaluateAlertsOnce(deps);
    await store.write((tx) => tx.appendEvent({ type: 'channel.opened', subjectId: 'bank-a', payload: { reason: 'down' }, atMs: t0 }));
    clock.advance(15_000);
    const [a, b] = await Promise.all([evaluateAlertsOnce(deps), evaluateAlertsOnce(deps)]);
    assert.equal(a.notifications.length + b.notifications.length, 1, 'one node wins the step');
    assert.equal((await store.listOutboxOfTarget('mail', { limit: 10 })).length, 1);
    assert.equal((await store.listEvents(0, 10, 'alert.firing')).length, 1);
    assert.equal((await store.listAlerts({ limit: 10 })).length, 1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a run takes at most eventsPerRunMax events, reads them a page at a time with a turn of the event loop between pages, and the next run takes the rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-alerts-pages-'));
  const store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  try {
    const clock = new ManualClock(t0);
    const turns: boolean[] = [];
    let turned = false;
    // Notes, at each read of the stream, whether the event loop ran a waiting callback since the run began.
    const watched = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'listEvents') {
          return (afterSeq: number, limit: number) => {
            turns.push(turned);
            return target.listEvents(afterSeq, limit);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const deps: AlertRunDeps = { store: watched, clock, configuredRules: defaultAlertRules, targets: new Map(), runbookBaseUrl: 'docs/runbooks/', channelWindows: () => [] };
    await evaluateAlertsOnce(deps);
    const total = eventsPerRunMax + 1_500;
    await store.write(async (tx) => {
      for (let i = 0; i < total; i += 1) {
        await tx.appendEvent({ type: 'payment.completed', subjectId: `p${i}`, payload: { status: 'approved', code: '00', category: 'approved', merchantId: 'M1', terminalId: `T${i % 7}` }, atMs: t0 });
      }
    });
    turns.length = 0;
    setImmediate(() => (turned = true));
    const first = await evaluateAlertsOnce(deps);
    assert.equal(first.caughtUp, false);
    assert.equal((await store.getConsumerCursor('alerts'))?.seq, eventsPerRunMax, 'the first run stops at the bound');
    assert.equal(turns.length, eventsPerRunMax / 1_000, 'read 1 000 at a time');
    assert.deepEqual(turns.slice(0, 2), [false, true], 'the loop ran what waited before the second read');
    const second = await evaluateAlertsOnce(deps);
    assert.equal(second.caughtUp, true);
    assert.equal((await store.getConsumerCursor('alerts'))?.seq, total);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
