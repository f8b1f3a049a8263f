// Goal: the outbox delivers at least once and never loses a delivery: a failed try is retried on the
// schedule, a try whose worker died is sent again once its lease ends, a restarted worker neither
// re-queues events nor sends a delivered one again, a delivery past its bound is dead until replayed,
// and a deleted endpoint's deliveries are cancelled. Method: a real SQLite store, a manual clock,
// the real fan-out and worker, and a recording sender whose answers the test chooses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { TerminalKeyVault } from '../../../src/adapters/crypto/terminal-key-vault.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { OutboxWorker, type TryResult } from '../../../src/app/webhooks/outbox-worker.ts';
import { createWebhookEndpoint } from '../../../src/app/webhooks/create-webhook-endpoint.ts';
import { deleteWebhookEndpoint } from '../../../src/app/webhooks/delete-webhook-endpoint.ts';
import { replayWebhookDeliveries } from '../../../src/app/webhooks/replay-webhook-deliveries.ts';
import { fanOutEvents } from '../../../src/app/webhooks/fan-out-events.ts';
import { liveSigningSecrets } from '../../../src/app/webhooks/webhook-secrets.ts';
import { rotateWebhookSecret } from '../../../src/app/webhooks/rotate-webhook-secret.ts';
import { webhookDeliverySchedule } from '../../../src/core/webhooks/delivery-schedule.ts';
import type { OutboxRecord } from '../../../src/core/ports/notification-store.ts';
import type { Store } from '../../../src/core/ports/store.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const t0 = Date.UTC(2026, 10, 25, 12, 0, 0);

async function setup(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `reswipe-outbox-${name}-`));
  const store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  const clock = new ManualClock(t0);
  const vault = TerminalKeyVault.fromSettings({ developmentMode: true });
  const settings = validateConfig({ security: { developmentMode: true } }).webhooks;
  const deps = { store, clock, vault, settings, developmentMode: true };
  const sent: OutboxRecord[] = [];
  let answer: (delivery: OutboxRecord) => TryResult = () => ({ ok: true, status: 200, error: null, durationMs: 1 });
  const worker = (leaseMs = 60_000) =>
    new OutboxWorker({ store, clock, logger: silent, concurrency: 4, pollIntervalMs: 1000, leaseMs, fanOut: true, jitter: () => 0, retentionMs: 7 * 86_400_000, send: async (delivery) => {
      sent.push(delivery);
      return answer(delivery);
    } });
  return {
    store, clock, deps, sent, worker,
    answer: (next: typeof answer) => { answer = next; },
    append: (type: string, subjectId: string) => store.write((tx) => tx.appendEvent({ type, subjectId, payload: { n: subjectId }, atMs: clock.nowMs() })),
    close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

async function endpoint(deps: Parameters<typeof createWebhookEndpoint>[0], eventTypes = ['payment.completed']) {
  return createWebhookEndpoint(deps, { url: 'https://hooks.example.test/x', eventTypes, audit: async () => undefined });
}

async function outboxOf(store: Store, targetId: string) {
  return store.listOutboxOfTarget(targetId, { limit: 100 });
}

test('a failed try is retried on the schedule and delivered; the log holds both tries', async () => {
  const s = await setup('retry');
  try {
    const w = s.worker();
    await w.drain(); // the fan-out cursor starts at the stream's end
    const { endpoint: e } = await endpoint(s.deps);
    await s.append('payment.completed', 'p1');
    await s.append('channel.opened', 'bank-a'); // not subscribed
    s.answer(() => ({ ok: false, status: 500, error: 'HTTP 500', durationMs: 2 }));
    await w.drain();
    let [delivery] = await outboxOf(s.store, e.id);
    assert.equal(delivery?.state, 'pending');
    assert.equal(delivery?.nextAtMs, t0 + webhookDeliverySchedule.firstRetryMs);
    s.answer(() => ({ ok: true, status: 200, error: null, durationMs: 2 }));
    await w.drain();
    assert.equal(s.sent.length, 1, 'nothing is sent before its retry is due');
    s.clock.advance(webhookDeliverySchedule.firstRetryMs);
    await w.drain();
    [delivery] = await outboxOf(s.store, e.id);
    assert.equal(delivery?.state, 'delivered');
    assert.deepEqual(s.sent.map((d) => d.eventId), ['evt_1', 'evt_1'], 'the same event id on the retry');
    assert.deepEqual((await s.store.listDeliveryAttempts(delivery?.id ?? '')).map((a) => a.status), [500, 200]);
    // After the retention the delivered row and its tries are purged (a fresh worker purges on its first tick).
    s.clock.advance(7 * 86_400_000 + 1);
    await s.worker().drain();
    assert.deepEqual(await outboxOf(s.store, e.id), []);
    assert.deepEqual(await s.store.listDeliveryAttempts(delivery?.id ?? ''), []);
  } finally {
    await s.close();
  }
});

test('a try whose worker died is sent again after its lease; a restart sends nothing twice', async () => {
  const s = await setup('lease');
  try {
    await s.worker().drain();
    const { endpoint: e } = await endpoint(s.deps);
    await s.append('payment.completed', 'p1');
    // A worker claims the delivery and dies before recording its outcome.
    await fanOutEvents({ store: s.store, clock: s.clock });
    const [queued] = await outboxOf(s.store, e.id);
    assert.ok(queued !== undefined);
    assert.equal(await s.store.write((tx) => tx.claimOutbox(queued.id, queued.nextAtMs, s.clock.nowMs() + 30_000, s.clock.nowMs())), true);
    const restarted = s.worker(30_000);
    await restarted.drain();
    assert.equal(s.sent.length, 0, 'not sent while the dead worker\'s lease runs');
    s.clock.advance(30_000);
    await restarted.drain();
    assert.equal(s.sent.length, 1, 'sent again after the lease: at least once');
    await s.worker().drain();
    await s.worker().drain();
    assert.equal(s.sent.length, 1, 'restarted workers neither re-queue the event nor resend a delivered delivery');
    assert.equal((await outboxOf(s.store, e.id)).length, 1);
  } finally {
    await s.close();
  }
});

test('after its bound a delivery is dead; a replay sends it again with a fresh budget and the same id', async () => {
  const s = await setup('dead');
  try {
    const w = s.worker();
    await w.drain();
    const { endpoint: e } = await endpoint(s.deps);
    await s.append('payment.completed', 'p1');
    s.answer(() => ({ ok: false, status: null, error: 'ECONNREFUSED', durationMs: 1 }));
    for (let n = 0; n < 100; n += 1) {
      await w.drain();
      const [delivery] = await outboxOf(s.store, e.id);
      if (delivery?.state === 'dead') break;
      s.clock.set(Math.max(s.clock.nowMs(), delivery?.nextAtMs ?? s.clock.nowMs()));
    }
    const [dead] = await outboxOf(s.store, e.id);
    assert.equal(dead?.state, 'dead');
    assert.equal(s.clock.nowMs() - t0, webhookDeliverySchedule.giveUpAfterMs, 'the last try was 3 days after the first');
    const { replayed } = await replayWebhookDeliveries(s.deps, { id: e.id, audit: async () => undefined });
    assert.deepEqual(replayed, [dead?.id]);
    s.answer(() => ({ ok: true, status: 204, error: null, durationMs: 1 }));
    await w.drain();
    const [after] = await outboxOf(s.store, e.id);
    assert.equal(after?.state, 'delivered');
    assert.equal(s.sent.at(-1)?.eventId, dead?.eventId);
  } finally {
    await s.close();
  }
});

test('deleting an endpoint cancels its pending deliveries; rotating a secret signs with both for the overlap', async () => {
  const s = await setup('delete');
  try {
    const w = s.worker();
    await w.drain();
    const { endpoint: e, secret } = await endpoint(s.deps);
    const rotated = await rotateWebhookSecret(s.deps, { id: e.id, audit: async () => undefined });
    const live = liveSigningSecrets(s.deps.vault, (await s.store.getWebhookEndpoint(e.id))!, s.clock.nowMs());
    assert.deepEqual(live, [rotated.secret, secret]);
    s.clock.advance(s.deps.settings.secretOverlapMs + 1);
    assert.deepEqual(liveSigningSecrets(s.deps.vault, (await s.store.getWebhookEndpoint(e.id))!, s.clock.nowMs()), [rotated.secret]);
    s.answer(() => ({ ok: false, status: 503, error: 'HTTP 503', durationMs: 1 }));
    await s.append('payment.completed', 'p1');
    await w.drain();
    assert.deepEqual(await deleteWebhookEndpoint(s.deps, { id: e.id, audit: async () => undefined }), { cancelled: 1 });
    assert.equal((await outboxOf(s.store, e.id))[0]?.state, 'cancelled');
    await s.append('payment.completed', 'p2');
    await w.drain();
    assert.equal((await outboxOf(s.store, e.id)).length, 1, 'a deleted endpoint gets no new deliveries');
  } finally {
    await s.close();
  }
});
