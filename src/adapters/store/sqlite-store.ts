// The embedded store: one SQLite file through better-sqlite3, in WAL mode with synchronous=FULL
// by default, so a commit is on disk before a caller hears "done".
//
// Two connections: the writer runs group-commit batches (SQLite allows one writer anyway); the
// reader serves reads outside units and, thanks to WAL, sees only committed data even while a
// batch is open. `:memory:` has a single connection (a second one would be another database), so
// there reads outside units may see a batch in progress; it is meant for tests only.
import Database from 'better-sqlite3';
import type { MigrationReport, Store, StoreStats, StoreTx } from '../../core/ports/store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { GroupCommit, groupCommitDefaults, type BatchConnection } from './group-commit.ts';
import { mapSqliteError } from './map-database-error.ts';
import { migrations, schemaMigrationsTableSql } from './migrations.ts';
import type { SqlExecutor, SqlRow, SqlValue } from './sql-executor.ts';
import { SqlStoreReader } from './sql-store-reader.ts';
import { plainAppendEventSql, SqlStoreTx } from './sql-store-tx.ts';

export interface SqliteStoreOptions {
  /** `full` (default): every commit is fsynced. `normal`: WAL is fsynced at checkpoints only, a power cut may lose the last commits. */
  synchronous?: 'full' | 'normal';
  groupCommitMax?: number;
  queueMax?: number;
  unitTimeoutMs?: number;
  /** How long a statement waits for another process's lock before failing with RSW_STORE_BUSY. */
  busyTimeoutMs?: number;
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

function openConnection(path: string, busyTimeoutMs: number): Database.Database {
  try {
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
      writer.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      writer.pragma('foreign_keys = ON');
      const reader = memory ? writer : openConnection(path, busyTimeoutMs);
      if (!memory) reader.pragma('query_only = ON');
      return new SqliteStore(path, writer, reader, options);
    } catch (error) {
      writer.close();
      throw error;
    }
  }

  private constructor(path: string, writer: Database.Database, reader: Database.Database, options: SqliteStoreOptions) {
    super(new SqliteExecutor(reader));
    this.path = path;
    this.#writer = writer;
    this.#reader = reader;
    const writerExecutor = new SqliteExecutor(this.#writer);
    const connection: BatchConnection = {
      executor: writerExecutor,
      control: async (sql) => {
        this.#writer.exec(sql);
      },
      release: () => undefined,
    };
    this.#groupCommit = new GroupCommit({
      groupCommitMax: options.groupCommitMax ?? groupCommitDefaults.groupCommitMax,
      queueMax: options.queueMax ?? groupCommitDefaults.queueMax,
      unitTimeoutMs: options.unitTimeoutMs ?? groupCommitDefaults.unitTimeoutMs,
      beginSql: 'BEGIN IMMEDIATE',
      acquire: async () => connection,
      makeTx: (executor): StoreTx => new SqlStoreTx(executor, { appendEventSql: plainAppendEventSql }),
      mapError: mapSqliteError,
    });
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

  close(): Promise<void> {
    this.#closing ??= this.#groupCommit.close().then(() => {
      if (this.#reader !== this.#writer) this.#reader.close();
      // Closing the last connection checkpoints the WAL into the main file and removes it.
      this.#writer.close();
    });
    return this.#closing;
  }
}
