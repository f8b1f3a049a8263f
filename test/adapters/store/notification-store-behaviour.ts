// The alerts-and-webhooks part of the store behaviour suite (migration 0017): endpoints, the outbox
// (one delivery per target and event id, claims that two workers cannot both win, the due list and
// the delivery log), consumer cursors, alerts, silences and rule overrides. sqlite-store.test.ts and
// postgres-store.test.ts run it unchanged against both adapters.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../../src/core/ports/store.ts';
import type { OutboxRecord, WebhookEndpointRecord } from '../../../src/core/ports/notification-store.ts';
import type { AlertRecord, SilenceRecord } from '../../../src/core/alerts/alert-model.ts';

const t0 = 1_764_000_000_000;

function endpoint(id: string, overrides: Partial<WebhookEndpointRecord> = {}): WebhookEndpointRecord {
  return { id, url: `https://hooks.example.test/${id}`, eventTypes: ['payment.completed'], description: 'ops', secrets: [{ sealed: 'v1.k.iv.tag.body', createdAtMs: t0, expiresAtMs: null }], createdAtMs: t0, updatedAtMs: t0, deletedAtMs: null, ...overrides };
}

function delivery(id: string, overrides: Partial<OutboxRecord> = {}): OutboxRecord {
  return { id, channel: 'webhook', targetId: 'we_1', eventId: `evt_${id}`, eventType: 'payment.completed', body: '{"id":"evt_1"}', state: 'pending', tries: 0, nextAtMs: t0, createdAtMs: t0, updatedAtMs: t0, deliveredAtMs: null, lastStatus: null, lastError: null, ...overrides };
}

function alert(id: string, overrides: Partial<AlertRecord> = {}): AlertRecord {
  return { id, ruleId: 'circuit-open', kind: 'circuit_open', severity: 'critical', fingerprint: 'circuit-open|channel=bank-a', labels: { channel: 'bank-a' }, state: 'firing', members: 1, detail: { members: [{ channel: 'bank-a' }] }, startedAtMs: t0, updatedAtMs: t0, resolvedAtMs: null, notifiedAtMs: t0, clearSinceMs: null, silenced: false, ...overrides };
}

export function defineNotificationStoreBehaviour(name: string, openFresh: () => Promise<Store>, cleanup: () => Promise<void>): void {
  describe(`store behaviour, alerts and webhooks: ${name}`, () => {
    after(cleanup);
    function withStore(title: string, body: (store: Store) => Promise<void>): void {
      test(title, async () => {
        const store = await openFresh();
        try {
          await body(store);
        } finally {
          await store.close();
        }
      });
    }

    withStore('endpoints, deliveries, attempts, cursors, alerts, silences and overrides round-trip unchanged', async (store) => {
      const e = endpoint('we_1', { eventTypes: ['*'], secrets: [{ sealed: 'v1.a', createdAtMs: t0 + 5, expiresAtMs: null }, { sealed: 'v1.b', createdAtMs: t0, expiresAtMs: t0 + 86_400_000 }] });
      const d = delivery('d1', { lastStatus: 500, lastError: 'HTTP 500', tries: 1 });
      const a = alert('alr_1', { silenced: true, clearSinceMs: t0 + 1 });
      const s: SilenceRecord = { id: 'sil_1', matchers: { kind: 'circuit_open', labels: { channel: 'bank-a' } }, reason: 'bank maintenance', createdBy: 'key:abc', startsAtMs: t0, endsAtMs: t0 + 3_600_000, createdAtMs: t0 };
      await store.write(async (tx) => {
        await tx.upsertWebhookEndpoint(e);
        assert.equal(await tx.insertOutbox(d), true);
        await tx.insertDeliveryAttempt({ outboxId: 'd1', tryNo: 1, targetId: 'we_1', atMs: t0, status: 500, error: 'HTTP 500', durationMs: 12 });
        await tx.setConsumerCursor({ name: 'alerts', seq: 42, state: { cursor: 42, nested: { ok: true } }, updatedAtMs: t0 });
        await tx.upsertAlert(a);
        await tx.insertSilence(s);
        await tx.upsertAlertRuleOverride({ id: 'circuit-open', rule: { id: 'circuit-open', kind: 'circuit_open', severity: 'warning' }, updatedAtMs: t0, updatedBy: 'key:abc' });
      });
      assert.deepEqual(await store.getWebhookEndpoint('we_1'), e);
      assert.deepEqual(await store.listWebhookEndpoints(), [e]);
      assert.deepEqual(await store.getOutbox('d1'), d);
      assert.deepEqual(await store.listDeliveryAttempts('d1'), [{ outboxId: 'd1', tryNo: 1, targetId: 'we_1', atMs: t0, status: 500, error: 'HTTP 500', durationMs: 12 }]);
      assert.deepEqual(await store.getConsumerCursor('alerts'), { name: 'alerts', seq: 42, state: { cursor: 42, nested: { ok: true } }, updatedAtMs: t0 });
      assert.equal(await store.getConsumerCursor('webhooks'), null);
      assert.deepEqual(await store.getAlert('alr_1'), a);
      assert.deepEqual(await store.getSilence('sil_1'), s);
      assert.deepEqual((await store.listAlertRuleOverrides()).map((o) => o.rule.severity), ['warning']);
    });

    withStore('one delivery per target and event id: a replayed fan-out adds nothing', async (store) => {
      await store.write(async (tx) => {
        assert.equal(await tx.insertOutbox(delivery('d1', { eventId: 'evt_7' })), true);
        assert.equal(await tx.insertOutbox(delivery('d2', { eventId: 'evt_7' })), false, 'same target, same event');
        assert.equal(await tx.insertOutbox(delivery('d3', { eventId: 'evt_7', targetId: 'we_2' })), true, 'another target takes the same event');
      });
      assert.equal(await store.getOutbox('d2'), null);
      assert.equal((await store.listOutboxOfTarget('we_1', { limit: 10 })).length, 1);
    });

    withStore('a due delivery is claimed by one worker only, and the due list follows nextAtMs', async (store) => {
      await store.write(async (tx) => {
        await tx.insertOutbox(delivery('d1', { eventId: 'e1', nextAtMs: t0 + 10 }));
        await tx.insertOutbox(delivery('d2', { eventId: 'e2', nextAtMs: t0 }));
        await tx.insertOutbox(delivery('d3', { eventId: 'e3', nextAtMs: t0 + 1000 }));
        await tx.insertOutbox(delivery('d4', { eventId: 'e4', nextAtMs: t0, state: 'dead' }));
      });
      assert.deepEqual((await store.listDueOutbox(t0 + 10, 10)).map((d) => d.id), ['d2', 'd1']);
      const claims = await Promise.all([store.write((tx) => tx.claimOutbox('d2', t0, t0 + 30_000, t0)), store.write((tx) => tx.claimOutbox('d2', t0, t0 + 30_000, t0))]);
      assert.deepEqual(claims.sort(), [false, true]);
      assert.deepEqual((await store.listDueOutbox(t0 + 10, 10)).map((d) => d.id), ['d1'], 'a claimed delivery is not due until its lease ends');
      const claimed = await store.getOutbox('d2');
      assert.ok(claimed !== null);
      await store.write((tx) => tx.updateOutbox({ ...claimed, state: 'delivered', tries: 1, deliveredAtMs: t0 + 5, lastStatus: 200, updatedAtMs: t0 + 5 }));
      assert.deepEqual(await store.outboxStats(), { pending: 2, dead: 1, oldestPendingCreatedAtMs: t0 });
      assert.equal(await store.write((tx) => tx.cancelPendingOutbox('we_1', t0 + 6)), 2);
      assert.deepEqual((await store.listOutboxOfTarget('we_1', { limit: 10, state: 'cancelled' })).map((d) => d.id).sort(), ['d1', 'd3']);
    });

    withStore('finished deliveries are deleted with their tries after the retention; pending and dead ones stay', async (store) => {
      await store.write(async (tx) => {
        await tx.insertOutbox(delivery('old-done', { eventId: 'e1', state: 'delivered', updatedAtMs: t0 }));
        await tx.insertDeliveryAttempt({ outboxId: 'old-done', tryNo: 1, targetId: 'we_1', atMs: t0, status: 200, error: null, durationMs: 3 });
        await tx.insertOutbox(delivery('old-cancelled', { eventId: 'e2', state: 'cancelled', updatedAtMs: t0 + 1 }));
        await tx.insertOutbox(delivery('old-dead', { eventId: 'e3', state: 'dead', updatedAtMs: t0 }));
        await tx.insertOutbox(delivery('old-pending', { eventId: 'e4', state: 'pending', updatedAtMs: t0 }));
        await tx.insertOutbox(delivery('new-done', { eventId: 'e5', state: 'delivered', updatedAtMs: t0 + 100 }));
      });
      assert.equal(await store.write((tx) => tx.deleteFinishedOutbox(t0 + 50, 1)), 1, 'bounded per pass');
      assert.equal(await store.write((tx) => tx.deleteFinishedOutbox(t0 + 50, 10)), 1);
      assert.deepEqual((await store.listOutboxOfTarget('we_1', { limit: 10 })).map((d) => d.id).sort(), ['new-done', 'old-dead', 'old-pending']);
      assert.deepEqual(await store.listDeliveryAttempts('old-done'), []);
    });

    withStore('a consumer cursor is compare-and-set: of two writers that read the same version, one wins', async (store) => {
      const cursor = (updatedAtMs: number, seq: number) => ({ name: 'alerts', seq, state: { seq }, updatedAtMs });
      const created = await Promise.all([store.write((tx) => tx.compareAndSetConsumerCursor(cursor(t0, 1), null)), store.write((tx) => tx.compareAndSetConsumerCursor(cursor(t0 + 1, 2), null))]);
      assert.deepEqual([...created].sort(), [false, true], 'one creates it');
      const first = await store.getConsumerCursor('alerts');
      assert.ok(first !== null);
      const raced = await Promise.all([store.write((tx) => tx.compareAndSetConsumerCursor(cursor(t0 + 10, 10), first.updatedAtMs)), store.write((tx) => tx.compareAndSetConsumerCursor(cursor(t0 + 11, 11), first.updatedAtMs))]);
      assert.deepEqual([...raced].sort(), [false, true], 'one moves it on');
      const after = await store.getConsumerCursor('alerts');
      assert.ok(after?.seq === 10 || after?.seq === 11);
      assert.deepEqual(after?.state, { seq: after?.seq });
    });

    withStore('alerts list by state, newest first; silences end but stay', async (store) => {
      await store.write(async (tx) => {
        await tx.upsertAlert(alert('alr_1', { startedAtMs: t0 }));
        await tx.upsertAlert(alert('alr_2', { startedAtMs: t0 + 1, fingerprint: 'x' }));
        await tx.upsertAlert(alert('alr_1', { startedAtMs: t0, state: 'resolved', resolvedAtMs: t0 + 2, members: 0 }));
        await tx.insertSilence({ id: 'sil_1', matchers: { ruleId: 'circuit-open' }, reason: 'r', createdBy: 'cli', startsAtMs: t0, endsAtMs: t0 + 100, createdAtMs: t0 });
      });
      assert.deepEqual((await store.listAlerts({ limit: 10 })).map((a) => a.id), ['alr_2', 'alr_1']);
      assert.deepEqual((await store.listAlerts({ limit: 10, state: 'firing' })).map((a) => a.id), ['alr_2']);
      assert.equal((await store.getAlert('alr_1'))?.state, 'resolved');
      assert.deepEqual((await store.listSilences(t0 + 50)).map((s) => s.id), ['sil_1']);
      assert.equal(await store.write((tx) => tx.endSilence('sil_1', t0 + 60)), true);
      assert.equal(await store.write((tx) => tx.endSilence('sil_1', t0 + 61)), false, 'already over');
      assert.deepEqual(await store.listSilences(t0 + 60), []);
      assert.equal((await store.getSilence('sil_1'))?.endsAtMs, t0 + 60);
    });
  });
}
