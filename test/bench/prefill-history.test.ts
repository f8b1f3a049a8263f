// The bench's history generator (bench/prefill-history.ts) writes rows the store's readers accept: the
// payments read back as records, list in pages, the retry budget's card history finds the generated
// declines, and the file keeps every index the migrations made.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/adapters/store/open-store.ts';
import { prefillHistory } from '../../bench/prefill-history.ts';

const dayMs = 86_400_000;

function indexNames(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").all() as Array<{ name: string }>).map((row) => row.name);
  } finally {
    db.close();
  }
}

test('prefilled history is readable by the store and keeps the schema', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-prefill-'));
  try {
    const path = join(dir, 'gateway.db');
    const url = `sqlite:${path}`;
    await (await openStore(url)).close();
    const indexesBefore = indexNames(path);
    const nowMs = Date.UTC(2026, 11, 6, 12);
    const terminalIds = ['T0000001', 'T0000002', 'T0000003'];
    const report = prefillHistory(path, { payments: 5_000, merchantId: 'M00000000000001', terminalIds, nowMs, log: () => undefined });
    assert.equal(report.payments, 5_000);
    assert.equal(report.events, 5_000);
    assert.ok(report.attempts > 4_500 && report.attempts < 5_000, `attempts ${report.attempts}`);
    assert.ok(report.feeLines > 4_300 && report.feeLines < 4_900, `fee lines ${report.feeLines}`);
    assert.deepEqual(indexNames(path), indexesBefore);

    const store = await openStore(url);
    try {
      const first = await store.getPayment('pay_prefill_000000000');
      assert.ok(first !== null);
      assert.equal(first.merchantId, 'M00000000000001');
      assert.ok(terminalIds.includes(first.terminalId ?? ''));
      assert.match(first.panFingerprint, /^[0-9a-f]{64}$/);
      assert.ok(first.createdAtMs <= nowMs - dayMs && first.createdAtMs > nowMs - 92 * dayMs);

      const page = await store.listPayments({ limit: 50 });
      assert.equal(page.data.length, 50);
      assert.ok(page.nextCursor !== null);
      const next = await store.listPayments({ limit: 50, cursor: page.nextCursor });
      assert.equal(next.data.length, 50);
      assert.ok((next.data[0]?.createdAtMs ?? Infinity) <= (page.data.at(-1)?.createdAtMs ?? 0));

      const declined = (await store.listPayments({ limit: 200, status: 'declined' })).data.find((payment) => payment.responseCode === '51');
      assert.ok(declined !== undefined, 'a payment declined upstream');
      assert.equal(declined.decline?.code, '51');
      const declines = await store.listCardDeclines(declined.panFingerprint, nowMs - 100 * dayMs, 100);
      assert.ok(declines.some((attempt) => attempt.paymentId === declined.id));
      const attempts = await store.listAttempts(declined.id);
      assert.equal(attempts.length, 1);
      assert.equal(attempts[0]?.outcome, 'declined');

      const approved = (await store.listPayments({ limit: 10, status: 'approved' })).data[0];
      assert.ok(approved !== undefined);
      assert.equal((await store.listFeeLines({ paymentId: approved.id })).length, 1);
      const idempotency = await store.getIdempotency(`iso:${approved.terminalId}`, `${approved.terminalStan}:${approved.terminalTransmittedAt}`);
      assert.equal(idempotency?.paymentId, approved.id);
      assert.equal((await store.lastEventOf('payment.completed', approved.id))?.payload.status, 'approved');
      assert.equal((await store.paymentJournalHead()).seq, 5_000);
      assert.equal(await store.getProjectorCheckpoint('payments'), 5_000);
      assert.equal(await store.getProjectorCheckpoint('analytics'), 5_000);
      const fanOut = new Database(path, { readonly: true });
      try {
        assert.deepEqual(fanOut.prepare("SELECT seq FROM consumer_cursors WHERE name = 'webhooks'").get(), fanOut.prepare('SELECT MAX(seq) AS seq FROM events').get());
      } finally {
        fanOut.close();
      }
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
