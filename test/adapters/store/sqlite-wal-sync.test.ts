// Goal: with synchronous=full the SQLite store answers a unit only after the WAL holding it was
// fdatasynced, keeps the event loop free during that sync, checkpoints safely on its worker thread
// (never on the event loop), and refuses further writes after a failed sync. Method: a SqliteStore
// whose WAL sync is a gate the test opens by hand, and the checkpoint reports it hands back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteStore, type SqliteStoreOptions } from '../../../src/adapters/store/sqlite-store.ts';
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

type CheckpointReport = Parameters<NonNullable<SqliteStoreOptions['onCheckpoint']>>[0];

/** The WAL header's checkpoint sequence number: SQLite adds one each time a writer restarts the WAL from its start. */
function walRestarts(path: string): number {
  const fd = openSync(`${path}-wal`, 'r');
  try {
    const header = Buffer.alloc(32);
    readSync(fd, header, 0, 32, 0);
    return header.readUInt32BE(12);
  } finally {
    closeSync(fd);
  }
}

/** Writes one payment and lets its WAL sync through. */
async function writeThroughGate(store: SqliteStore, gate: ReturnType<typeof gatedSync>, id: string): Promise<void> {
  const unit = store.write((tx) => tx.insertPayment(payment(id, 'm1')));
  await until(() => gate.waiting === 1, `the sync of ${id}`);
  gate.releaseAll();
  await unit;
}

async function withStore(
  run: (store: SqliteStore, gate: ReturnType<typeof gatedSync>, path: string) => Promise<void>,
  options: Pick<SqliteStoreOptions, 'checkpointUnitsMin' | 'onCheckpoint'> = {},
): Promise<void> {
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

test('sqlite wal sync: the store checkpoints the WAL itself (autocheckpoint off), on its worker thread, and the data stays whole', async () => {
  const reports: CheckpointReport[] = [];
  await withStore(
    async (store, gate, path) => {
      const restartsBefore = walRestarts(path);
      for (let n = 0; n < 12; n++) await writeThroughGate(store, gate, `p${n}`);
      // The 4th unit after the seed started one; later ones start when it is over (one at a time).
      await until(() => reports.length >= 1, 'a checkpoint');
      for (const report of reports) {
        assert.notEqual(report.threadId, threadId, 'run by the worker thread, not the event loop');
        assert.equal(report.busy, 0);
      }
      assert.ok(reports.some((report) => report.checkpointed > 0), 'the worker copied frames into the database file');
      // A checkpoint that reached the WAL's end lets the next batch restart the WAL instead of letting it grow.
      await writeThroughGate(store, gate, 'after');
      assert.ok(walRestarts(path) > restartsBefore, 'the WAL was restarted by a batch after a checkpoint');
      const other = new Database(path, { readonly: true });
      try {
        assert.equal((other.prepare('SELECT COUNT(*) AS n FROM payments').get() as { n: number }).n, 13);
        assert.equal(other.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        other.close();
      }
    },
    { checkpointUnitsMin: 4, onCheckpoint: (report) => reports.push(report) },
  );
});

test('sqlite wal sync: a checkpoint that could not reach the WAL end is finished before the next batch begins, which restarts the WAL', async () => {
  const reports: CheckpointReport[] = [];
  await withStore(
    async (store, gate, path) => {
      await writeThroughGate(store, gate, 'p0');
      await writeThroughGate(store, gate, 'p1');
      // A reader of another connection keeps its snapshot: no checkpoint may copy the frames written after it,
      // as when batches append while the worker checkpoints.
      const pinned = new Database(path);
      pinned.pragma('wal_autocheckpoint = 0');
      pinned.exec('BEGIN');
      assert.equal((pinned.prepare('SELECT COUNT(*) AS n FROM payments').get() as { n: number }).n, 2);
      try {
        await writeThroughGate(store, gate, 'p2');
        await writeThroughGate(store, gate, 'p3');
        await until(() => reports.length === 1, 'the checkpoint started by the 4th unit');
        const [first] = reports;
        assert.ok(first !== undefined && !first.finishing && first.checkpointed < first.log, 'the checkpoint beside the batches stopped at the reader');
        assert.notEqual(first.threadId, threadId);
      } finally {
        pinned.exec('COMMIT');
        pinned.close();
      }
      const restartsBefore = walRestarts(path);
      await writeThroughGate(store, gate, 'p4');
      const finishing = reports[1];
      assert.ok(finishing !== undefined && finishing.finishing, 'the next batch waited for a finishing checkpoint');
      assert.equal(finishing.checkpointed, finishing.log, 'which reached the end of the WAL');
      assert.notEqual(finishing.threadId, threadId);
      assert.equal(walRestarts(path), restartsBefore + 1, 'so that batch restarted the WAL');
      assert.equal((await store.getPayment('p4'))?.id, 'p4');
    },
    { checkpointUnitsMin: 4, onCheckpoint: (report) => reports.push(report) },
  );
});

test('sqlite wal sync: close() while a checkpoint is in flight waits for it, stops the worker and leaves a whole database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-wal-sync-'));
  const path = join(dir, 'gw.db');
  const reports: CheckpointReport[] = [];
  try {
    const store = SqliteStore.open(path, { synchronous: 'full', checkpointUnitsMin: 1, onCheckpoint: (report) => reports.push(report) });
    await store.migrate();
    await store.write((tx) => tx.upsertMerchant(merchant('m1')));
    await store.write((tx) => tx.insertPayment(payment('p1', 'm1')));
    // The batch sent its checkpoint to the worker before answering; no reply can have arrived in this same turn.
    assert.equal(reports.length, 0);
    await store.close();
    assert.equal(reports.length, 1, 'the checkpoint in flight ran to its end before close() resolved');
    assert.notEqual(reports[0]?.threadId, threadId);
    // The worker's connection closed before the writer's, so the writer's close was the last one of the
    // process: it checkpointed and removed the WAL, and the shared-memory index that no connection maps any more.
    assert.equal(existsSync(`${path}-wal`), false, 'the WAL was checkpointed and removed');
    assert.equal(existsSync(`${path}-shm`), false, 'no connection of the worker was left open');
    const reopened = new Database(path, { readonly: true });
    try {
      assert.equal((reopened.prepare('SELECT COUNT(*) AS n FROM payments').get() as { n: number }).n, 1);
      assert.equal(reopened.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
