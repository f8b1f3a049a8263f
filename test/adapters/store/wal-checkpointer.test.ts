// Goal: a WAL checkpoint worker that fails is never silent: its owner hears of it once, a checkpoint
// asked of it is refused, and close() still returns. Method: a worker pointed at a database it cannot open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { WalCheckpointer } from '../../../src/adapters/store/wal-checkpointer.ts';

test('wal checkpointer: a worker that cannot open the database reports the failure and refuses checkpoints', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-wal-ckpt-'));
  try {
    const failures: Error[] = [];
    const checkpointer = new WalCheckpointer(join(dir, 'missing-folder', 'gw.db'), 100, (error) => failures.push(error));
    await assert.rejects(checkpointer.checkpoint({ syncDatabase: true }), /WAL checkpoint worker failed/);
    assert.equal(failures.length, 1, 'the owner hears of it once');
    await assert.rejects(checkpointer.checkpoint({ syncDatabase: false }), /WAL checkpoint worker failed/);
    await checkpointer.close();
    assert.equal(failures.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wal checkpointer: checkpoints a WAL written by another connection, on its own thread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-wal-ckpt-'));
  const path = join(dir, 'gw.db');
  const writer = new Database(path);
  try {
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('CREATE TABLE t (n INTEGER)');
    for (let n = 0; n < 50; n++) writer.prepare('INSERT INTO t (n) VALUES (?)').run(n);
    const failures: Error[] = [];
    const checkpointer = new WalCheckpointer(path, 100, (error) => failures.push(error));
    const result = await checkpointer.checkpoint({ syncDatabase: true });
    assert.notEqual(result.threadId, threadId);
    assert.ok(result.log > 0 && result.checkpointed === result.log, 'every frame copied into the database file');
    await checkpointer.close();
    assert.deepEqual(failures, [], 'a requested close is no failure');
  } finally {
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
