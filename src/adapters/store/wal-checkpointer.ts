// The event loop's side of the WAL checkpoint worker (wal-checkpoint-worker.mjs): starts the thread,
// sends it one checkpoint at a time and hands back what SQLite reported, and stops it on close.
// Any failure of the worker (a checkpoint or sync error, a crash, a start that failed) is passed to
// `onFailure` once; the store then refuses writes (docs/decisions/wal-fdatasync.md).
import { Worker } from 'node:worker_threads';

/** What `PRAGMA wal_checkpoint(PASSIVE)` reported on the worker. */
export interface WalCheckpointResult {
  /** 1 when the checkpoint could not take its lock (another checkpointer: a CLI, a second process). */
  busy: number;
  /** Frames in the WAL when the checkpoint started. */
  log: number;
  /** Frames of the WAL that are now in the database file. */
  checkpointed: number;
  /** The thread that ran it (never the event loop's, 0). */
  threadId: number;
}

type WorkerReply = ({ type: 'checkpointed'; id: number } & WalCheckpointResult) | { type: 'failed'; id: number; message: string };

const workerUrl = new URL('./wal-checkpoint-worker.mjs', import.meta.url);

export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #onFailure: (error: Error) => void;
  readonly #pending = new Map<number, { resolve: (result: WalCheckpointResult) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #failure: Error | null = null;
  #exited = false;
  #closing: Promise<void> | null = null;

  constructor(path: string, busyTimeoutMs: number, onFailure: (error: Error) => void) {
    this.#onFailure = onFailure;
    this.#worker = new Worker(workerUrl, { workerData: { path, busyTimeoutMs } });
    // Like the store's connections, the thread must not keep a process alive that forgot to close the store.
    this.#worker.unref();
    this.#worker.on('message', (reply: WorkerReply) => this.#onReply(reply));
    this.#worker.on('error', (error) => this.#fail(new Error(`the WAL checkpoint worker failed: ${error.message}`, { cause: error })));
    this.#worker.on('exit', (code) => {
      this.#exited = true;
      if (this.#closing === null) this.#fail(new Error(`the WAL checkpoint worker stopped (exit code ${code})`));
    });
  }

  /**
   * Runs one PASSIVE checkpoint on the worker. `syncDatabase` also flushes the database file after it,
   * for a checkpoint that runs while the writer appends (SQLite then leaves the file unsynced).
   */
  checkpoint(options: { syncDatabase: boolean }): Promise<WalCheckpointResult> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#closing !== null) return Promise.reject(new Error('the WAL checkpoint worker is closed'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ type: 'checkpoint', id, syncDatabase: options.syncDatabase });
    });
  }

  /** Lets a checkpoint in flight finish, closes the worker's connection and waits until the thread ended. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (this.#exited) return resolve();
      this.#worker.once('exit', () => resolve());
      // Held until the thread ended: a process whose last step is closing the store must not exit halfway.
      this.#worker.ref();
      // Messages are handled in order: the close comes after any checkpoint already sent.
      this.#worker.postMessage({ type: 'close' });
    });
    return this.#closing;
  }

  #onReply(reply: WorkerReply): void {
    const pending = this.#pending.get(reply.id);
    this.#pending.delete(reply.id);
    if (reply.type === 'checkpointed') {
      pending?.resolve({ busy: reply.busy, log: reply.log, checkpointed: reply.checkpointed, threadId: reply.threadId });
      return;
    }
    const error = new Error(`WAL checkpoint failed: ${reply.message}`);
    this.#fail(error);
    pending?.reject(error);
  }

  #fail(error: Error): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#onFailure(error);
  }
}
