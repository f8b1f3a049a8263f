// The thread that runs the SQLite store's WAL checkpoints, so their page copying and their two
// fsyncs never stop the event loop (docs/decisions/wal-fdatasync.md). It holds its own connection to
// the database file and only ever runs `PRAGMA wal_checkpoint(PASSIVE)`, which takes no write lock,
// never waits for the writer and never makes the writer wait in a busy handler.
//
// Plain JavaScript on purpose: the gateway runs its TypeScript through tsx hooks registered in the
// main thread (bin/reswipe.mjs), and a worker does not inherit hooks registered that way. This file
// needs nothing but better-sqlite3 and node itself, so it loads however the process was started.
//
// Messages in: { type: 'checkpoint', id, syncDatabase } and { type: 'close' }, handled one at a time
// in order. Messages out: { type: 'checkpointed', id, busy, log, checkpointed, threadId } or
// { type: 'failed', id, message }. An error thrown outside a message reaches the owner as the
// worker's 'error' event.
import { closeSync, fdatasyncSync, openSync } from 'node:fs';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, busyTimeoutMs } = workerData;
const db = new Database(path, { timeout: busyTimeoutMs });
// NORMAL (never OFF): SQLite syncs the WAL before copying it into the database file and the database
// file before it lets a writer reset the WAL. The checkpoint's sync flags are this connection's own.
db.pragma('synchronous = NORMAL');
// This connection never commits, but it must never checkpoint on its own either.
db.pragma('wal_autocheckpoint = 0');
/** The database file, for the extra sync below; opened on first use. */
let databaseFd = null;

function checkpoint(syncDatabase) {
  const [row] = db.pragma('wal_checkpoint(PASSIVE)');
  // SQLite syncs the database file only when the checkpoint reached the end of the WAL. When a
  // writer appended meanwhile, the pages copied so far are flushed here, still off the event loop,
  // so the short checkpoint that later finishes the WAL (while no batch runs) has little left to
  // flush. A failed sync throws: the owner then stops writing, it never retries (fsyncgate).
  if (syncDatabase) {
    databaseFd ??= openSync(path, 'r');
    fdatasyncSync(databaseFd);
  }
  return row;
}

parentPort.on('message', (message) => {
  if (message.type === 'checkpoint') {
    try {
      const { busy, log, checkpointed } = checkpoint(message.syncDatabase === true);
      parentPort.postMessage({ type: 'checkpointed', id: message.id, busy, log, checkpointed, threadId });
    } catch (error) {
      parentPort.postMessage({ type: 'failed', id: message.id, message: error instanceof Error ? `${error.code ?? error.name}: ${error.message}` : String(error) });
    }
  } else if (message.type === 'close') {
    if (databaseFd !== null) closeSync(databaseFd);
    // Closed before the store's own connections, so the store's writer stays the last connection and
    // its close runs the final checkpoint and removes the WAL.
    db.close();
    parentPort.close();
  }
});
