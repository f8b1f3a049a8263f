// Goal: when the store refuses writes (so nothing can be queued in the outbox), the alert worker still
// tells the chat and mail targets, directly and once. Method: a real SQLite store wrapped so that every
// write fails and writeFault() names the fault, the real AlertWorker, and a recording sender.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { ReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { defaultAlertRules } from '../../../src/core/alerts/default-alert-rules.ts';
import { AlertWorker } from '../../../src/app/alerts/alert-worker.ts';
import type { OutboxRecord } from '../../../src/core/ports/notification-store.ts';
import type { Store } from '../../../src/core/ports/store.ts';
import type { NotifyTarget } from '../../../src/app/webhooks/send-delivery.ts';

test('a store refusing writes is announced straight to the targets, once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-store-fault-'));
  const real = await openStore(`sqlite:${join(dir, 'store.db')}`);
  const broken = new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'write') return async () => { throw new ReswipeError('RSW_STORE_FAULT', { reason: 'WAL fsync failed' }); };
      if (property === 'writeFault') return () => 'WAL fsync failed';
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as Store;
  const sent: OutboxRecord[] = [];
  const targets = new Map<string, NotifyTarget>([
    ['wecom', { name: 'wecom', kind: 'wecom', url: 'https://qyapi.example.test/send?key=k', to: [], language: 'zh-CN', minSeverity: 'critical' }],
    ['mail', { name: 'mail', kind: 'email', to: ['ops@example.test'], language: 'en', minSeverity: 'warning' }],
  ]);
  const worker = new AlertWorker({
    store: broken,
    clock: { nowMs: () => Date.now() },
    configuredRules: defaultAlertRules,
    targets,
    runbookBaseUrl: 'docs/runbooks/',
    channelWindows: () => [],
    logger: { info() {}, warn() {}, error() {}, debug() {} },
    intervalMs: 20,
    onNotified: () => undefined,
    send: async (delivery) => {
      sent.push(delivery);
      return { ok: true, status: 200, error: null, durationMs: 1 };
    },
  });
  try {
    worker.start();
    const deadline = Date.now() + 10_000;
    while (sent.length < 2 && Date.now() < deadline) await delay(20);
    await delay(200); // several more runs fail the same way
    await worker.stop();
    assert.deepEqual(sent.map((d) => d.targetId).sort(), ['mail', 'wecom'], 'each target once');
    assert.match(sent.find((d) => d.targetId === 'wecom')?.body ?? '', /数据库拒绝写入/);
    assert.match(sent.find((d) => d.targetId === 'mail')?.body ?? '', /store-refusing-writes\.md/);
  } finally {
    await worker.stop();
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
