// The embedded store: one SQLite file through better-sqlite3, in WAL mode with synchronous=FULL
// by default, so a commit is on disk before a caller hears "done".
//
// Durability without blocking the event loop (`synchronous: 'full'`, the default, on a file): the
// writer runs with `synchronous=NORMAL` and `wal_autocheckpoint=0`, so COMMIT only write()s the WAL
// frames into the page cache, and after each batch's COMMIT the store calls fdatasync on the `-wal`
// file through the libuv thread pool BEFORE any unit of that batch is answered. While the disk
// flushes, the event loop keeps serving terminals and the next batch fills up. The guarantee is the
// one of `synchronous=FULL`: a unit is acknowledged only once its WAL frames are on disk.
// Checkpoints are run by the store itself, between batches, after the batch's WAL sync; in NORMAL
// mode SQLite syncs the WAL before a checkpoint and the database file after it, so the WAL is never
// reset before the pages it held are durable in the main file (docs/decisions/wal-fdatasync.md).
// A failed fdatasync is not retried (the kernel may have dropped the dirty pages): the batch's callers
// get the error and the store refuses every later write until it is reopened.
//
// Two connections: the writer runs group-commit batches (SQLite allows one writer anyway); the
// reader serves reads outside units and, thanks to WAL, sees only committed data even while a
// batch is open. `:memory:` has a single connection (a second one would be another database), so
// there reads outside units may see a batch in progress; it is meant for tests only.
import { fdatasync, openSync, closeSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { ConfigChange, MigrationReport, Store, StoreStats, StoreTx } from '../../core/ports/store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { GroupCommit, groupCommitDefaults, type BatchConnection } from './group-commit.ts';
import { mapSqliteError } from './map-database-error.ts';
import { migrations, schemaMigrationsTableSql } from './migrations.ts';
import type { SqlExecutor, SqlRow, SqlValue } from './sql-executor.ts';
import { SqlStoreReader } from './sql-store-reader.ts';
import { StanBlocks } from './stan-blocks.ts';
import { ConfigCache } from './config-cache.ts';
import { plainAppendEventSql, sqliteJournalSeqSql, SqlStoreTx } from './sql-store-tx.ts';

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
  /** Committed units after which the store checkpoints the WAL (between batches, `synchronous: 'full'` on a file only). */
  checkpointUnitsMin?: number;
  /** Flushes the WAL file to disk; `fs.fdatasync` on the thread pool unless a test observes it. */
  syncWal?: (fd: number) => Promise<void>;
}

/** About 5-15 pages per unit: a WAL of a few tens of MB at most between checkpoints. */
const checkpointUnitsDefault = 1000;

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (error) => (error === null ? resolve() : reject(error))));
}

const statementCacheMax = 1000;

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
      const reader = memory ? writer : openConnection(path, busyTimeoutMs);
      if (!memory) reader.pragma('query_only = ON');
      return new SqliteStore(path, writer, reader, options, walSynced);
    } catch (error) {
      writer.close();
      throw error;
    }
  }

  private constructor(path: string, writer: Database.Database, reader: Database.Database, options: SqliteStoreOptions, walSynced: boolean) {
    const readerExecutor = new SqliteExecutor(reader);
    super(readerExecutor, new ConfigCache(readerExecutor, { checkMs: options.configCacheCheckMs }));
    this.path = path;
    this.#writer = writer;
    this.#reader = reader;
    this.#walSynced = walSynced;
    this.#syncWal = options.syncWal ?? fdatasyncAsync;
    this.#checkpointUnitsMin = options.checkpointUnitsMin ?? checkpointUnitsDefault;
    const writerExecutor = new SqliteExecutor(this.#writer);
    const connection: BatchConnection = {
      executor: writerExecutor,
      control: async (sql) => {
        this.#writer.exec(sql);
      },
      release: () => undefined,
    };
    const stanBlocks = new StanBlocks(options.stanBlockSize);
    this.#groupCommit = new GroupCommit({
      groupCommitMax: options.groupCommitMax ?? groupCommitDefaults.groupCommitMax,
      queueMax: options.queueMax ?? groupCommitDefaults.queueMax,
      unitTimeoutMs: options.unitTimeoutMs ?? groupCommitDefaults.unitTimeoutMs,
      detectNestedWrites: options.detectNestedWrites === true,
      beginSql: 'BEGIN IMMEDIATE',
      acquire: async () => connection,
      makeTx: (executor, effects): StoreTx => new SqlStoreTx(executor, { appendEventSql: plainAppendEventSql, rowLockSql: '', journalSeqSql: sqliteJournalSeqSql, stanBlocks, effects, configCache: this.configCache ?? undefined, nodeId: () => this.#nodeId }),
      mapError: mapSqliteError,
      ...(walSynced ? { afterCommit: () => this.#makeDurable() } : {}),
    });
  }

  /** After a batch's COMMIT: its WAL frames to disk (off the event loop), then a checkpoint when the WAL is long. */
  async #makeDurable(): Promise<void> {
    if (this.#walFailure !== null) throw new ReswipeError('RSW_STORE_UNAVAILABLE', { field: 'database.url', reason: 'an earlier WAL fdatasync failed; reopen the store' });
    try {
      // The -wal file exists once a transaction has committed; it keeps its inode until the last connection closes.
      this.#walFd ??= openSync(`${this.path}-wal`, 'r');
      await this.#syncWal(this.#walFd);
    } catch (error) {
      this.#walFailure = error;
      throw new ReswipeError('RSW_STORE_UNAVAILABLE', { field: 'database.url', reason: `WAL fdatasync failed: ${error instanceof Error ? error.message : String(error)}` }, { cause: error });
    }
    // Runs between batches (the group commit is still busy with this one), with every unit of the WAL durable.
    // NORMAL syncs the WAL before copying it and the database file before the WAL may be reused.
    // It blocks the event loop (two fsyncs), so it runs once per `checkpointUnitsMin` units, not per batch.
    const units = this.#groupCommit.stats().units;
    if (units - this.#unitsAtCheckpoint < this.#checkpointUnitsMin) return;
    this.#unitsAtCheckpoint = units;
    this.#writer.pragma('wal_checkpoint(PASSIVE)');
  }

  /** Applies pending migrations on the writer, between batches; another process migrating waits on the file lock. */
  migrate(): Promise<MigrationReport> {
    return this.#groupCommit.runExclusive(async () => {
      const db = this.#writer;
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
      }
    });
  }

  write<T>(unit: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.#groupCommit.write(unit);
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
    if (this.#closing !== null) return 'the store is closed';
    return null;
  }

  setNodeId(nodeId: string): void {
    this.#nodeId = nodeId;
  }

  close(): Promise<void> {
    this.#closing ??= this.#groupCommit.close().then(() => {
      if (this.#walFd !== null) closeSync(this.#walFd);
      this.#walFd = null;
      if (this.#reader !== this.#writer) this.#reader.close();
      // Closing the last connection checkpoints the WAL into the main file and removes it.
      this.#writer.close();
    });
    return this.#closing;
  }
}
