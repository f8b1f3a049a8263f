// The embedded store: one SQLite file through better-sqlite3, in WAL mode with synchronous=FULL
// by default, so a commit is on disk before a caller hears "done".
//
// Durability without blocking the event loop (`synchronous: 'full'`, the default, on a file): the
// writer runs with `synchronous=NORMAL` and `wal_autocheckpoint=0`, so COMMIT only write()s the WAL
// frames into the page cache, and after each batch's COMMIT the store calls fdatasync on the `-wal`
// file through the libuv thread pool BEFORE any unit of that batch is answered. While the disk
// flushes, the event loop keeps serving terminals and the next batch fills up. The guarantee is the
// one of `synchronous=FULL`: a unit is acknowledged only once its WAL frames are on disk.
// Checkpoints are run by the store itself, on a worker thread with its own connection
// (wal-checkpoint-worker.mjs), once every `checkpointUnitsMin` units: a PASSIVE checkpoint runs beside
// the batches, and when they appended meanwhile, a short second one finishes the WAL before the next
// batch begins, so that batch can restart the WAL. SQLite syncs the WAL before a checkpoint and the
// database file before the WAL may be reset, so the WAL is never reset before the pages it held are
// durable in the main file (docs/decisions/wal-fdatasync.md). A failed checkpoint, or a worker that
// died, makes the store refuse writes, like a failed WAL sync.
// A failed fdatasync is not retried (the kernel may have dropped the dirty pages): the batch's callers
// get the error and the store refuses every later write until it is reopened.
//
// Two connections: the writer runs group-commit batches (SQLite allows one writer anyway); the
// reader serves reads outside units and, thanks to WAL, sees only committed data even while a
// batch is open. `:memory:` has a single connection (a second one would be another database), so
// there reads outside units may see a batch in progress; it is meant for tests only.
import { fdatasync, openSync, closeSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { ConfigChange, MigrationReport, Store, StoreStats, StoreTx, WriteOptions } from '../../core/ports/store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { GroupCommit, groupCommitDefaults, type BatchConnection } from './group-commit.ts';
import { mapSqliteError } from './map-database-error.ts';
import { migrations, schemaMigrationsTableSql } from './migrations.ts';
import type { SqlExecutor, SqlRow, SqlValue } from './sql-executor.ts';
import { SqlStoreReader } from './sql-store-reader.ts';
import { StanBlocks } from './stan-blocks.ts';
import { ConfigCache } from './config-cache.ts';
import { plainAppendEventSql, sqliteJournalSeqSql, SqlStoreTx } from './sql-store-tx.ts';
import { WalCheckpointer, type WalCheckpointResult } from './wal-checkpointer.ts';

export interface SqliteStoreOptions {
  /** `full` (default): every commit is fsynced. `normal`: WAL is fsynced at checkpoints only, a power cut may lose the last commits. */
  synchronous?: 'full' | 'normal';
  groupCommitMax?: number;
  queueMax?: number;
  unitTimeoutMs?: number;
  /** A store.write inside a unit fails at once (costly on Node 20: tests only); otherwise it ends in RSW_STORE_UNIT_TIMEOUT. */
  detectNestedWrites?: boolean;
  /** Upstream STANs reserved per counter write (default 1000); a crash skips the rest of a block, never reuses one. */
  stanBlockSize?: number;
  /** How stale a merchant, terminal or channel changed by ANOTHER process may be read, at most (default 250 ms). */
  configCacheCheckMs?: number;
  /** How long a statement waits for another process's lock before failing with RSW_STORE_BUSY. */
  busyTimeoutMs?: number;
  /** The writer connection's page cache at most, in MB (default 64): a 128th of the file, not less than the 16 MB a connection starts with unless this is lower (`writerCacheKib`). */
  cacheMb?: number;
  /** Committed units after which the store checkpoints the WAL (on its worker thread, `synchronous: 'full'` on a file only). */
  checkpointUnitsMin?: number;
  /** Flushes the WAL file to disk; `fs.fdatasync` on the thread pool unless a test observes it. */
  syncWal?: (fd: number) => Promise<void>;
  /** Observes every checkpoint the worker ran: `finishing` for the one that waits for no batch to run (tests). */
  onCheckpoint?: (report: WalCheckpointResult & { finishing: boolean }) => void;
}

/**
 * The writer's page cache grows with the file. The default (16 MB: better-sqlite3 builds SQLite with
 * `SQLITE_DEFAULT_CACHE_SIZE=-16000`) holds the whole working set of a young store but not of a long
 * history: a sale inserts into indexes keyed by terminal (the ISO duplicate key, the idempotency key, the
 * payment list's two per-terminal indexes), so with 1 000 terminals and a deep history each sale lands on
 * a leaf of its own in each, under interior pages of its own, and with 16 MB those pages were read again
 * through the OS (a system call and a 4 KB copy) on the terminal's next sale: 18-21 read system calls per
 * sale at 10 M payments against 4-6 on an empty store, 6-10 with 64 MB (docs/benchmarks.md, "Flat cost
 * with history (2026-12-06, fifth session)"; the CPU per sale that saves was within the noise there). A 128th of the file holds them (the 64 MB cap at 10 M
 * payments, a 20 GB file), and a file under 2 GB keeps the default: SQLite keeps every page it touched up
 * to the limit, so a fixed 64 MB also filled up on an empty store's bench run (its peak RSS 272 -> 310 MB).
 */
export function writerCacheKib(fileBytes: number, cacheMbMax: number): number {
  return Math.min(cacheMbMax * 1024, Math.max(defaultCacheKib, Math.round(fileBytes / 128 / 1024)));
}

/** The page cache a better-sqlite3 connection starts with (`cache_size = -16000`). */
const defaultCacheKib = 16_000;
const writerCacheMbDefault = 64;

/** About 5-15 pages per unit: a WAL of a few tens of MB at most between checkpoints. */
const checkpointUnitsDefault = 1000;

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (error) => (error === null ? resolve() : reject(error))));
}

const statementCacheMax = 1000;

/**
 * The writer keeps its statement journals in memory (`temp_store = MEMORY`). Every unit runs in a
 * savepoint, and SQLite copies each page a savepoint first changes into the statement journal (so
 * ROLLBACK TO can restore it). With the default temp store that journal is memory only up to 64 KiB,
 * then a temporary file for the rest of the transaction: a projector unit (tens to hundreds of pages)
 * passed it in nearly every batch, and from then on each page every later unit of the batch touched
 * cost two `pwrite` system calls (its number and its 4 KiB) into a file nobody reads unless a unit rolls
 * back: about 20 of the gateway's 60 write system calls per sale. In memory the journal is a copy, and
 * is emptied when the unit's savepoint is released. It is not part of durability: WAL mode never
 * needs it after a crash. What else the temp store holds on the writer is the sorts and temporary
 * tables of units' statements, all small; migrations, which may sort a whole table to build an index,
 * run with the default (files).
 */
const writerTempStore = 'MEMORY';

/** better-sqlite3 binds no booleans: 0/1 instead. */
function bindable(value: SqlValue): string | number | null {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

/** Runs the shared SQL on one better-sqlite3 connection, with prepared statements cached. */
class SqliteExecutor implements SqlExecutor {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      // The SQL texts are a fixed set (plus filter combinations), so clearing on overflow is rare.
      if (this.#statements.size >= statementCacheMax) this.#statements.clear();
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async all(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]> {
    if (!this.#db.open) throw new ReswipeError('RSW_STORE_CLOSED');
    try {
      return this.#prepare(sql).all(...params.map(bindable)) as SqlRow[];
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  async run(sql: string, params: readonly SqlValue[]): Promise<number> {
    if (!this.#db.open) throw new ReswipeError('RSW_STORE_CLOSED');
    try {
      return this.#prepare(sql).run(...params.map(bindable)).changes;
    } catch (error) {
      throw mapSqliteError(error);
    }
  }
}

/**
 * The group commit's transaction control (BEGIN IMMEDIATE, SAVEPOINT, RELEASE, ROLLBACK TO, COMMIT) as
 * prepared statements. `db.exec` parses and plans its text on every call: with a savepoint per unit that
 * was a parse per unit, about 2.4 per sale (exec was 5 % of the gateway's event loop in a profile); a
 * prepared statement only steps.
 * A text holding two statements (`RELEASE ...; SAVEPOINT ...`) runs them in order, as exec did.
 */
class TransactionControl {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement[]>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  run(sql: string): void {
    let statements = this.#statements.get(sql);
    if (statements === undefined) {
      // The texts are the group commit's few fixed ones: the cache stays a handful of entries.
      statements = sql
        .split(';')
        .map((part) => part.trim())
        .filter((part) => part !== '')
        .map((part) => this.#db.prepare(part));
      this.#statements.set(sql, statements);
    }
    for (const statement of statements) statement.run();
  }
}

/** Database files hold card fingerprints and masked PANs: readable and writable by the gateway's user only. */
export const databaseFileMode = 0o600;

/**
 * Creates a missing database file with mode 0600 before SQLite opens it; SQLite gives the -wal and -shm
 * files the database file's mode, so they are 0600 too. An existing file keeps the mode its owner chose.
 */
function createDatabaseFile(path: string): void {
  if (path === ':memory:' || path.startsWith('file:')) return;
  try {
    closeSync(openSync(path, 'wx', databaseFileMode));
  } catch (error) {
    // EEXIST: the file is there already; anything else (a missing folder) SQLite reports with its own code.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return;
  }
}

function openConnection(path: string, busyTimeoutMs: number): Database.Database {
  try {
    createDatabaseFile(path);
    const db = new Database(path, { timeout: busyTimeoutMs });
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return db;
  } catch (error) {
    const mapped = mapSqliteError(error);
    if (mapped instanceof ReswipeError) throw mapped;
    throw new ReswipeError('RSW_STORE_UNAVAILABLE', { field: 'database.url', reason: error instanceof Error ? error.message : String(error) }, { cause: error });
  }
}

/** The store on one SQLite file. Reads outside a unit (the inherited methods) go to the reader connection. */
export class SqliteStore extends SqlStoreReader implements Store {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  readonly #writer: Database.Database;
  readonly #reader: Database.Database;
  readonly #groupCommit: GroupCommit;
  #closing: Promise<void> | null = null;
  #nodeId: string | null = null;
  readonly #walSynced: boolean;
  readonly #syncWal: (fd: number) => Promise<void>;
  readonly #checkpointUnitsMin: number;
  #unitsAtCheckpoint = 0;
  #walFd: number | null = null;
  /** Set when a WAL fdatasync failed: what was committed since the last good sync may not be on disk. */
  #walFailure: unknown = null;
  /** Runs the checkpoints off the event loop; null for `:memory:` and `synchronous: 'normal'` (SQLite's own autocheckpoint). */
  readonly #checkpointer: WalCheckpointer | null;
  /** Set when a checkpoint failed or the worker died: the WAL may not be checkpointed safely any more. */
  #checkpointFailure: Error | null = null;
  /** The checkpoint running beside the batches, one at a time. */
  #checkpointRunning = false;
  /** Set when that checkpoint did not reach the WAL's end: the next batch first waits for a finishing one. */
  #checkpointToFinish = false;
  /** Batches begun, to know whether one appended to the WAL while the checkpoint ran. */
  #batchesBegun = 0;
  readonly #onCheckpoint: ((report: WalCheckpointResult & { finishing: boolean }) => void) | undefined;
  readonly #cacheMbMax: number;
  #writerCacheKib = defaultCacheKib;

  /** Opens (and creates) the database file; call `migrate()` before use, as `openStore` does. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    const synchronous = options.synchronous ?? 'full';
    const memory = path === ':memory:';
    const writer = openConnection(path, busyTimeoutMs);
    try {
      if (!memory) {
        const mode = writer.pragma('journal_mode = WAL', { simple: true });
        if (mode !== 'wal') throw new ReswipeError('RSW_STORE_UNAVAILABLE', { field: 'database.url', reason: `the file refused WAL mode (${String(mode)})` });
      }
      // FULL on a file is kept by our own WAL fdatasync after each batch (see the top of this file).
      const walSynced = synchronous === 'full' && !memory;
      writer.pragma(`synchronous = ${synchronous === 'full' && !walSynced ? 'FULL' : 'NORMAL'}`);
      if (walSynced) writer.pragma('wal_autocheckpoint = 0');
      writer.pragma('foreign_keys = ON');
      writer.pragma(`temp_store = ${writerTempStore}`);
      const reader = memory ? writer : openConnection(path, busyTimeoutMs);
      if (!memory) reader.pragma('query_only = ON');
      if (walSynced) reader.pragma('wal_autocheckpoint = 0');
      return new SqliteStore(path, writer, reader, options, walSynced, busyTimeoutMs);
    } catch (error) {
      writer.close();
      throw error;
    }
  }

  private constructor(path: string, writer: Database.Database, reader: Database.Database, options: SqliteStoreOptions, walSynced: boolean, busyTimeoutMs: number) {
    const readerExecutor = new SqliteExecutor(reader);
    super(readerExecutor, new ConfigCache(readerExecutor, { checkMs: options.configCacheCheckMs }));
    this.path = path;
    this.#writer = writer;
    this.#reader = reader;
    this.#walSynced = walSynced;
    this.#syncWal = options.syncWal ?? fdatasyncAsync;
    this.#checkpointUnitsMin = options.checkpointUnitsMin ?? checkpointUnitsDefault;
    this.#onCheckpoint = options.onCheckpoint;
    this.#cacheMbMax = options.cacheMb ?? writerCacheMbDefault;
    this.#fitWriterCache();
    this.#checkpointer = walSynced ? new WalCheckpointer(path, busyTimeoutMs, (error) => (this.#checkpointFailure = error)) : null;
    const writerExecutor = new SqliteExecutor(this.#writer);
    const control = new TransactionControl(this.#writer);
    const connection: BatchConnection = {
      executor: writerExecutor,
      control: async (sql) => control.run(sql),
      release: () => undefined,
    };
    const stanBlocks = new StanBlocks(options.stanBlockSize);
    // Made once, not per unit: tsx's keepNames names each closure created in an object literal (group-commit.ts).
    const nodeId = (): string | null => this.#nodeId;
    this.#groupCommit = new GroupCommit({
      groupCommitMax: options.groupCommitMax ?? groupCommitDefaults.groupCommitMax,
      queueMax: options.queueMax ?? groupCommitDefaults.queueMax,
      unitTimeoutMs: options.unitTimeoutMs ?? groupCommitDefaults.unitTimeoutMs,
      detectNestedWrites: options.detectNestedWrites === true,
      beginSql: 'BEGIN IMMEDIATE',
      acquire: async () => {
        await this.#beforeBatch();
        return connection;
      },
      makeTx: (executor, effects): StoreTx => new SqlStoreTx(executor, { appendEventSql: plainAppendEventSql, rowLockSql: '', journalSeqSql: sqliteJournalSeqSql, stanBlocks, effects, configCache: this.configCache ?? undefined, nodeId }),
      mapError: mapSqliteError,
      ...(walSynced ? { afterCommit: () => this.#makeDurable() } : {}),
    });
  }

  /** Sizes the writer's page cache to the file as it is now (`writerCacheKib`): at open, and with every checkpoint as the file grows (`synchronous: 'normal'` has none: at open only). */
  #fitWriterCache(): void {
    const pages = Number(this.#writer.pragma('page_count', { simple: true }));
    const pageBytes = Number(this.#writer.pragma('page_size', { simple: true }));
    const kib = writerCacheKib(pages * pageBytes, this.#cacheMbMax);
    if (kib === this.#writerCacheKib) return;
    // Negative: KiB, whatever the page size.
    this.#writer.pragma(`cache_size = -${kib}`);
    this.#writerCacheKib = kib;
  }

  /** The writer connection's `temp_store` as SQLite has it now: 0 default, 1 file, 2 memory (`writerTempStore`). */
  writerTempStoreNow(): number {
    return Number(this.#writer.pragma('temp_store', { simple: true }));
  }

  /** The writer connection's `cache_size` as SQLite has it now, in KiB. */
  writerCacheSizeKib(): number {
    return -Number(this.#writer.pragma('cache_size', { simple: true }));
  }

  /** Refuses a batch once durability can no longer be kept; else finishes a checkpoint that the batches outran. */
  async #beforeBatch(): Promise<void> {
    this.#throwIfNotDurable();
    if (this.#checkpointToFinish) await this.#finishCheckpoint();
    this.#throwIfNotDurable();
    this.#batchesBegun += 1;
  }

  #throwIfNotDurable(): void {
    if (this.#walFailure !== null) throw new ReswipeError('RSW_STORE_UNAVAILABLE', { field: 'database.url', reason: 'an earlier WAL fdatasync failed; reopen the store' });
    if (this.#checkpointFailure !== null) throw new ReswipeError('RSW_STORE_UNAVAILABLE', { field: 'database.url', reason: this.#checkpointFailure.message }, { cause: this.#checkpointFailure });
  }

  /** After a batch's COMMIT: its WAL frames to disk (off the event loop), then a checkpoint when the WAL is long. */
  async #makeDurable(): Promise<void> {
    // Only the WAL sync decides this batch's fate: a checkpoint failure refuses the next batches (`#beforeBatch`).
    if (this.#walFailure !== null) throw new ReswipeError('RSW_STORE_UNAVAILABLE', { field: 'database.url', reason: 'an earlier WAL fdatasync failed; reopen the store' });
    try {
      // The -wal file exists once a transaction has committed; it keeps its inode until the last connection closes.
      this.#walFd ??= openSync(`${this.path}-wal`, 'r');
      await this.#syncWal(this.#walFd);
    } catch (error) {
      this.#walFailure = error;
      throw new ReswipeError('RSW_STORE_UNAVAILABLE', { field: 'database.url', reason: `WAL fdatasync failed: ${error instanceof Error ? error.message : String(error)}` }, { cause: error });
    }
    this.#startCheckpointIfDue();
  }

  /**
   * Every `checkpointUnitsMin` units, a PASSIVE checkpoint on the worker while the batches go on. It
   * takes no write lock, so the writer never waits for it; but what the batches append meanwhile is
   * left in the WAL, and only a checkpoint that reaches the WAL's end lets the next writer restart it.
   * So when batches ran during it, the next batch first waits (asynchronously) for a finishing one.
   */
  #startCheckpointIfDue(): void {
    if (this.#checkpointer === null || this.#checkpointRunning || this.#checkpointToFinish) return;
    const units = this.#groupCommit.stats().units;
    if (units - this.#unitsAtCheckpoint < this.#checkpointUnitsMin) return;
    this.#unitsAtCheckpoint = units;
    this.#fitWriterCache();
    this.#checkpointRunning = true;
    const batchesBefore = this.#batchesBegun;
    this.#checkpointer.checkpoint({ syncDatabase: true }).then(
      (result) => {
        this.#checkpointRunning = false;
        this.#onCheckpoint?.({ ...result, finishing: false });
        this.#checkpointToFinish = this.#batchesBegun !== batchesBefore || result.checkpointed < result.log;
      },
      // The failure is already recorded (the checkpointer reports it): the next batch is refused.
      () => (this.#checkpointRunning = false),
    );
  }

  /** Runs while no batch runs (the group commit waits in `acquire`): nothing appends, so it can reach the WAL's end. */
  async #finishCheckpoint(): Promise<void> {
    this.#checkpointToFinish = false;
    if (this.#checkpointer === null) return;
    try {
      const result = await this.#checkpointer.checkpoint({ syncDatabase: false });
      this.#onCheckpoint?.({ ...result, finishing: true });
    } catch {
      // Recorded by the checkpointer; the caller refuses the batch.
    }
  }

  /** Applies pending migrations on the writer, between batches; another process migrating waits on the file lock. */
  migrate(): Promise<MigrationReport> {
    return this.#groupCommit.runExclusive(async () => {
      const db = this.#writer;
      // A migration may build an index over millions of rows: its sort spills to temporary files, not memory.
      db.pragma('temp_store = DEFAULT');
      try {
        db.exec(schemaMigrationsTableSql.sqlite);
        const known = new Set(migrations.map((migration) => migration.version));
        const appliedRows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: string }>;
        const unknown = appliedRows.find((row) => !known.has(row.version));
        if (unknown !== undefined) throw new ReswipeError('RSW_STORE_SCHEMA_NEWER', { version: unknown.version });
        const applied: string[] = [];
        for (const migration of migrations) {
          db.exec('BEGIN IMMEDIATE');
          try {
            // Checked inside the write lock: another process may have applied it meanwhile.
            const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
            if (done === undefined) {
              db.exec(migration.sqlite);
              db.prepare('INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)').run(migration.version, Date.now());
              applied.push(migration.version);
            }
            db.exec('COMMIT');
          } catch (error) {
            if (db.inTransaction) db.exec('ROLLBACK');
            throw error;
          }
        }
        return { applied, current: migrations[migrations.length - 1]?.version ?? '' };
      } catch (error) {
        throw mapSqliteError(error);
      } finally {
        if (db.open && !db.inTransaction) db.pragma(`temp_store = ${writerTempStore}`);
      }
    });
  }

  write<T>(unit: (tx: StoreTx) => Promise<T>, options?: WriteOptions): Promise<T> {
    return this.#groupCommit.write(unit, options);
  }

  stats(): StoreStats {
    return this.#groupCommit.stats();
  }

  async ping(): Promise<void> {
    await this.db.all('SELECT 1 AS ok', []);
  }

  onConfigChange(listener: (change: ConfigChange) => void): () => void {
    return this.configCache?.onChange(listener) ?? (() => undefined);
  }

  writeFault(): string | null {
    // Fixed texts: the driver's message stays in the log, never in a readiness answer.
    if (this.#walFailure !== null) return 'an earlier WAL fdatasync failed; restart the gateway (and check the disk) to reopen the store';
    if (this.#checkpointFailure !== null) return 'a WAL checkpoint failed or its worker thread stopped; restart the gateway (and check the disk) to reopen the store';
    if (this.#closing !== null) return 'the store is closed';
    return null;
  }

  setNodeId(nodeId: string): void {
    this.#nodeId = nodeId;
  }

  close(): Promise<void> {
    this.#closing ??= this.#groupCommit.close().then(async () => {
      // Waits for a checkpoint in flight; the worker's connection closes first so the writer's is the last.
      await this.#checkpointer?.close();
      if (this.#walFd !== null) closeSync(this.#walFd);
      this.#walFd = null;
      if (this.#reader !== this.#writer) this.#reader.close();
      // Closing the last connection checkpoints the WAL into the main file and removes it.
      this.#writer.close();
    });
    return this.#closing;
  }
}
