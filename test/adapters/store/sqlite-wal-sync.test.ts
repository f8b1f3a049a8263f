// Goal: with synchronous=full the SQLite store answers a unit only after the WAL holding it was
// fdatasynced, keeps the event loop free during that sync, checkpoints safely, and refuses further
// writes after a failed sync. Method: a SqliteStore whose WAL sync is a gate the test opens by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../src/adapters/store/sqlite-store.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { merchant, payment } from './store-fixtures.ts';

/** A WAL sync that waits until the test releases it, and counts its calls. */
function gatedSync() {
  const waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  let calls = 0;
  return {
    sync: (fd: number): Promise<void> => {
      assert.ok(Number.isInteger(fd) && fd >= 0, 'syncs a real file descriptor');
      calls += 1;
      return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    get calls() {
      return calls;
    },
    get waiting() {
      return waiting.length;
    },
    releaseAll(): void {
      for (const gate of waiting.splice(0)) gate.resolve();
    },
    failAll(): void {
      for (const gate of waiting.splice(0)) gate.reject(new Error('EIO: simulated'));
    },
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let round = 0; round < 500; round++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function withStore(run: (store: SqliteStore, gate: ReturnType<typeof gatedSync>, path: string) => Promise<void>, options: { checkpointUnitsMin?: number } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-wal-sync-'));
  const gate = gatedSync();
  const path = join(dir, 'gw.db');
  const store = SqliteStore.open(path, { synchronous: 'full', syncWal: gate.sync, ...options });
  try {
    await store.migrate();
    const seeding = store.write((tx) => tx.upsertMerchant(merchant('m1')));
    await until(() => gate.waiting === 1, 'the seed batch sync');
    gate.releaseAll();
    await seeding;
    await run(store, gate, path);
  } finally {
    gate.releaseAll();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('sqlite wal sync: a unit is answered only after its WAL sync, and the event loop runs meanwhile', async () => {
  await withStore(async (store, gate) => {
    let answered = false;
    const writing = store.write((tx) => tx.insertPayment(payment('p1', 'm1'))).then(() => (answered = true));
    await until(() => gate.waiting === 1, 'the batch sync');
    // Committed (another connection sees it) but not yet durable: the caller must not have heard "done".
    let timersRan = 0;
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(() => resolve((timersRan += 1)), 1));
    assert.equal(timersRan, 5, 'timers keep running while the WAL is being synced');
    assert.equal(answered, false, 'not acknowledged before the WAL sync finished');
    gate.releaseAll();
    await writing;
    assert.equal(answered, true);
    assert.equal((await store.getPayment('p1'))?.id, 'p1');
  });
});

test('sqlite wal sync: units arriving during a sync form the next batch, which waits for its own sync', async () => {
  await withStore(async (store, gate) => {
    const first = store.write((tx) => tx.insertPayment(payment('p1', 'm1')));
    await until(() => gate.waiting === 1, 'the first sync');
    const more = Array.from({ length: 20 }, (_, n) => store.write((tx) => tx.insertPayment(payment(`q${n}`, 'm1'))));
    const settled: string[] = [];
    for (const [n, unit] of more.entries()) void unit.then(() => settled.push(`q${n}`));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(gate.calls, 2, 'one sync so far besides the seed: the second batch has not committed yet');
    gate.releaseAll();
    await first;
    await until(() => gate.waiting === 1, 'the second batch sync');
    assert.equal(gate.calls, 3, 'the 20 units arriving during the first sync share ONE commit and ONE sync');
    assert.deepEqual(settled, [], 'none of them answered before their own sync');
    gate.releaseAll();
    await Promise.all(more);
    assert.equal(settled.length, 20);
  });
});

test('sqlite wal sync: a failed sync fails its units and every later write (no retry after an fsync error)', async () => {
  await withStore(async (store, gate) => {
    const writing = store.write((tx) => tx.insertPayment(payment('p1', 'm1')));
    await until(() => gate.waiting === 1, 'the batch sync');
    gate.failAll();
    await assert.rejects(writing, (error: unknown) => isReswipeError(error, 'RSW_STORE_UNAVAILABLE'));
    await assert.rejects(
      store.write((tx) => tx.insertPayment(payment('p2', 'm1'))),
      (error: unknown) => isReswipeError(error, 'RSW_STORE_UNAVAILABLE'),
    );
  });
});

test('sqlite wal sync: the store checkpoints the WAL itself (autocheckpoint off) and the data stays whole', async () => {
  await withStore(
    async (store, gate, path) => {
      for (let n = 0; n < 12; n++) {
        const unit = store.write((tx) => tx.insertPayment(payment(`p${n}`, 'm1')));
        await until(() => gate.waiting === 1, `sync ${n}`);
        gate.releaseAll();
        await unit;
      }
      const other = new Database(path, { readonly: true });
      try {
        assert.equal((other.prepare('SELECT COUNT(*) AS n FROM payments').get() as { n: number }).n, 12);
        // After a checkpoint, a further checkpoint finds (almost) nothing left to copy.
        const [row] = other.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
        assert.ok(row !== undefined && row.log === row.checkpointed, 'everything in the WAL was already checkpointed');
        assert.equal(other.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        other.close();
      }
    },
    { checkpointUnitsMin: 4 },
  );
});
