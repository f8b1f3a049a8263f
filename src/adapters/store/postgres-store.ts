// The shared store for several gateway nodes: PostgreSQL through node-postgres, with a bounded
// pool. A group-commit batch holds one client for its whole transaction; reads outside units take
// any free client. An optional schema isolates an installation (or a test run) in one database.
import pg from 'pg';
import type { ConfigChange, ConfigChangeKind, MigrationReport, Store, StoreStats, StoreTx, WriteOptions } from '../../core/ports/store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { GroupCommit, groupCommitDefaults, type BatchConnection } from './group-commit.ts';
import { mapPostgresError } from './map-database-error.ts';
import { migrations, schemaMigrationsTableSql } from './migrations.ts';
import type { SqlExecutor, SqlRow, SqlValue } from './sql-executor.ts';
import { PreparedStatements } from './postgres-prepared-statements.ts';
import { SqlStoreReader } from './sql-store-reader.ts';
import { StanBlocks } from './stan-blocks.ts';
import { ConfigCache, configNoticePayload, configNotifyChannel } from './config-cache.ts';
import { PostgresConfigListener } from './postgres-config-listener.ts';
import { SqlStoreTx } from './sql-store-tx.ts';
import { PostgresLeadership } from './postgres-leadership.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { Leadership } from '../../core/ports/leadership.ts';

export interface PostgresStoreOptions {
  /** A schema to hold every table, created if missing; default `public`. Lower-case identifier. */
  schema?: string;
  /** Connections at most (one is held by the running group-commit batch, `readLanes` by the reads outside units). */
  poolMax?: number;
  /**
   * Connections that carry every read outside a unit, pipelined (default 2; docs/store.md, "Reads outside
   * units on PostgreSQL"). The reads a tick issues on one of them leave in one system call.
   */
  readLanes?: number;
  groupCommitMax?: number;
  queueMax?: number;
  unitTimeoutMs?: number;
  /** A store.write inside a unit fails at once (costly on Node 20: tests only); otherwise it ends in RSW_STORE_UNIT_TIMEOUT. */
  detectNestedWrites?: boolean;
  /** Upstream STANs reserved per counter write (default 1000); a crash skips the rest of a block, never reuses one. */
  stanBlockSize?: number;
  /** How stale a merchant, terminal or channel changed by another gateway node may be read, at most (default 250 ms). */
  configCacheCheckMs?: number;
  /** The server cancels any statement that runs longer. */
  statementTimeoutMs?: number;
  /** Waiting for a connection (or a free pool slot) fails after this long. */
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity; default `reswipe`. */
  applicationName?: string;
  /**
   * Every batch takes the events advisory lock right after BEGIN, before any row lock: the one lock
   * order that makes batches of several nodes deadlock-free (docs/cluster.md, "Lock order"). Default
   * true; `false` exists only so test/adapters/store/lock-order.test.ts can show the old order deadlocks.
   */
  eventLockFirst?: boolean;
  /**
   * A dedicated connection LISTENs for live-configuration changes announced by any node, so cached
   * merchants, terminals and channels are dropped at once (docs/cluster.md). Default true; `false`
   * leaves only the version check (a tool that opens the store briefly, such as `reswipe migrate`).
   */
  listenForConfigChanges?: boolean;
}

const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Units per batch by default on PostgreSQL. Each unit's savepoint is a subtransaction; beyond 64
 * in one transaction PostgreSQL overflows its per-backend subtransaction cache, which slows
 * snapshot checks for every other session while the batch runs. 64 keeps batches inside it.
 */
export const postgresGroupCommitMax = 64;

type SendQuery = (query: pg.QueryConfig<SqlValue[]>) => Promise<pg.QueryResult>;

/** Runs the shared SQL on a pool or a client; `?` placeholders become `$n`, texts memoised. */
class PostgresExecutor implements SqlExecutor {
  readonly #send: SendQuery;
  readonly #isClosed: () => boolean;

  constructor(send: SendQuery, isClosed: () => boolean) {
    this.#send = send;
    this.#isClosed = isClosed;
  }

  async #query(sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> {
    if (this.#isClosed()) throw new ReswipeError('RSW_STORE_CLOSED');
    try {
      const prepared = preparedStatements.for(sql);
      return await this.#send({ name: prepared.name, text: prepared.text, values: params as SqlValue[] });
    } catch (error) {
      throw mapPostgresError(error);
    }
  }

  async all(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]> {
    return (await this.#query(sql, params)).rows as SqlRow[];
  }

  async run(sql: string, params: readonly SqlValue[]): Promise<number> {
    return (await this.#query(sql, params)).rowCount ?? 0;
  }
}

/**
 * A checked-out client has no error listener of the pool's; if its server goes away between two
 * queries it emits 'error', which would crash the process. This listens while the client is out,
 * and remembers the loss so the client is destroyed instead of returned to the pool.
 */
function watchForLoss(client: pg.PoolClient): { happened(): boolean; stop(): void } {
  let happened = false;
  const onError = (): void => {
    happened = true;
  };
  client.on('error', onError);
  return { happened: () => happened, stop: () => client.removeListener('error', onError) };
}

/**
 * Sends a batch connection's queries, counting round trips: a query sent while none of the
 * connection's earlier queries is still unanswered starts one; a query sent while some are (the
 * pipelined statements of a unit, a unit's first statements behind its savepoint) rides along.
 */
function countingRoundTrips(client: pg.PoolClient, onRoundTrip: () => void): SendQuery {
  let unanswered = 0;
  const coalesce = coalescingWrites(client);
  return async (query) => {
    if (unanswered === 0) onRoundTrip();
    unanswered += 1;
    coalesce();
    try {
      return await client.query(query);
    } finally {
      unanswered -= 1;
    }
  };
}

/**
 * Holds a batch connection's socket writes until the current tick's promise jobs have run, so the
 * statements a unit issues together (with its savepoint, or BEGIN) leave in one system call. Without
 * it node-postgres writes every pipelined statement on its own (Parse/Bind/Execute/Sync, corked per
 * query only): about 16 `writev` per sale, the largest item of the gateway's CPU profile on
 * PostgreSQL, and as many wake-ups of the server's backend. The writes leave before any I/O is
 * polled, so no statement waits longer for its answer.
 */
function coalescingWrites(client: pg.PoolClient): () => void {
  const socket = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }).connection?.stream;
  if (socket?.cork === undefined || socket.uncork === undefined) return () => undefined;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork?.();
  };
  return () => {
    if (corked) return;
    corked = true;
    socket.cork?.();
    // A tick callback queued from a promise job runs once every queued promise job has run.
    process.nextTick(uncork);
  };
}

/** Reads outside units on PostgreSQL, by default (PostgresStoreOptions.readLanes). */
export const postgresReadLanesDefault = 2;

interface ReadLane {
  readonly client: pg.PoolClient;
  readonly coalesce: () => void;
  /** Reads sent on it and not answered yet. */
  unanswered: number;
  lost: boolean;
}

/**
 * The reads outside units (a sale's re-swipe and decline history before it is sent, the double-approval
 * check after it, every list and lookup) on a few connections held for the store's life, pipelined, each
 * read sent on the lane with the fewest unanswered: the reads a tick issues on one lane leave in one system
 * call (coalescingWrites), where a read per pooled connection took one `writev` each, plus pg-pool's
 * checkout and release, and woke a backend each: three of them per sale, about a tenth of the gateway's
 * busy CPU on 2026-12-06. Each read keeps its own Sync, so it is its own implicit transaction and its
 * failure is its own, as on a pooled connection. A lost lane is dropped and replaced at the next read.
 */
class ReadLanes {
  readonly #pool: pg.Pool;
  readonly #lanesMax: number;
  #lanes: ReadLane[] = [];
  #opening: Promise<ReadLane> | null = null;
  #closed = false;

  constructor(pool: pg.Pool, lanesMax: number) {
    if (!(Number.isSafeInteger(lanesMax) && lanesMax >= 1 && lanesMax <= 64)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'readLanes', reason: 'must be an integer in 1..64' });
    this.#pool = pool;
    this.#lanesMax = lanesMax;
  }

  send(query: pg.QueryConfig<SqlValue[]>): Promise<pg.QueryResult> {
    const lane = this.#pick();
    if (lane !== null) return this.#sendOn(lane, query);
    return this.#open().then((opened) => this.#sendOn(opened, query));
  }

  /** The lane with the fewest unanswered reads; opens another (in the background) while every lane is busy and there is room. */
  #pick(): ReadLane | null {
    let best: ReadLane | null = null;
    for (const lane of this.#lanes) if (best === null || lane.unanswered < best.unanswered) best = lane;
    if ((best === null || best.unanswered > 0) && this.#lanes.length < this.#lanesMax && this.#opening === null && !this.#closed) {
      // A failed open is the next read's to report (it opens again); this one keeps its lane.
      if (best !== null) this.#open().catch(() => undefined);
    }
    return best;
  }

  async #sendOn(lane: ReadLane, query: pg.QueryConfig<SqlValue[]>): Promise<pg.QueryResult> {
    lane.unanswered += 1;
    lane.coalesce();
    try {
      return await lane.client.query(query);
    } finally {
      lane.unanswered -= 1;
    }
  }

  #open(): Promise<ReadLane> {
    this.#opening ??= this.#pool
      .connect()
      .then((client) => {
        const lane: ReadLane = { client, coalesce: coalescingWrites(client), unanswered: 0, lost: false };
        // A lane whose server went away is dropped (and destroyed): its unanswered reads fail with the loss.
        const drop = (): void => {
          if (lane.lost) return;
          lane.lost = true;
          this.#lanes = this.#lanes.filter((candidate) => candidate !== lane);
          client.release(true);
        };
        client.on('error', drop);
        client.on('end', drop);
        if (this.#closed) {
          client.release();
        } else {
          this.#lanes.push(lane);
        }
        return lane;
      })
      .finally(() => {
        this.#opening = null;
      });
    return this.#opening;
  }

  /** Gives the lanes back to the pool; reads already sent are answered first (the pool ends a client after its pipeline drained). */
  close(): void {
    this.#closed = true;
    for (const lane of this.#lanes) {
      lane.lost = true;
      lane.client.release();
    }
    this.#lanes = [];
  }
}

/** Every statement runs as a named prepared statement; on a local server this cuts a round trip to about a third. */
const preparedStatements = new PreparedStatements();

/** The store on a PostgreSQL database. Reads outside a unit (the inherited methods) use any pooled client. */
export class PostgresStore extends SqlStoreReader implements Store {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #readLanes: ReadLanes;
  readonly #groupCommit: GroupCommit;
  #closing: Promise<void> | null = null;
  #nodeId: string | null = null;
  readonly #url: string;

  /** Creates the pool (connecting lazily); call `migrate()` before use, as `openStore` does. */
  static open(url: string, options: PostgresStoreOptions = {}): PostgresStore {
    const schema = options.schema ?? 'public';
    if (!schemaPattern.test(schema)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'database.postgresSchema', reason: 'must be a lower-case SQL identifier' });
    const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      application_name: options.applicationName ?? 'reswipe',
      // A query is sent at once, not after the previous one's answer: the statements a unit issues
      // together, and a unit's savepoint with its first statements, share one round trip.
      pipeline: true,
      // Every connection resolves tables in the schema, and no statement can hang forever.
      options: `-c search_path=${schema} -c statement_timeout=${statementTimeoutMs}`,
    });
    // An idle client that loses its server emits here; without a listener the process would exit.
    // The next query on the pool reports the outage as RSW_STORE_UNAVAILABLE instead.
    pool.on('error', () => undefined);
    const store = new PostgresStore(pool, schema, options, url);
    if (options.listenForConfigChanges !== false) {
      store.#listener = new PostgresConfigListener({
        connectionString: url,
        schema,
        applicationName: options.applicationName ?? 'reswipe',
        connectTimeoutMs: options.connectTimeoutMs ?? 5000,
        onChange: (change) => store.configCache?.apply(change),
      });
      store.#listener.start();
    }
    return store;
  }

  #listener: PostgresConfigListener | null = null;
  #writeRoundTrips = 0;

  private constructor(pool: pg.Pool, schema: string, options: PostgresStoreOptions, url: string) {
    const readLanes = new ReadLanes(pool, options.readLanes ?? postgresReadLanesDefault);
    const readerExecutor = new PostgresExecutor((query) => readLanes.send(query), () => pool.ended);
    super(readerExecutor, new ConfigCache(readerExecutor, { checkMs: options.configCacheCheckMs }));
    this.#pool = pool;
    this.#readLanes = readLanes;
    this.schema = schema;
    this.#url = url;
    // The one lock every batch takes first (docs/cluster.md, "Lock order"): the events advisory lock.
    const eventLockSql = `SELECT pg_advisory_xact_lock(hashtext('reswipe.events:${schema}'))`;
    // The lock is taken by the subquery before the row (and its seq) is produced, in one round trip.
    const appendEventSql = `INSERT INTO events (type, subject_id, payload, at_ms, node)
      SELECT ?, ?, CAST(? AS JSONB), CAST(? AS BIGINT), CAST(? AS TEXT) FROM (SELECT pg_advisory_xact_lock(hashtext('reswipe.events:${schema}'))) AS event_order_lock
      RETURNING seq`;
    // Journal seqs drawn under the same lock as event seqs: visible in the order drawn, across nodes (docs/projector.md).
    const journalSeqSql = `(SELECT nextval('payments_journal_seq') FROM (SELECT pg_advisory_xact_lock(hashtext('reswipe.events:${schema}'))) AS journal_order_lock)`;
    const stanBlocks = new StanBlocks(options.stanBlockSize);
    // Made once, not per unit: tsx's keepNames names each closure created in an object literal (group-commit.ts).
    const nodeId = (): string | null => this.#nodeId;
    const announceConfigChange = (kind: ConfigChangeKind, id: string): { sql: string; params: SqlValue[] } => ({
      sql: 'SELECT pg_notify(?, ?) AS notified',
      params: [configNotifyChannel, configNoticePayload(schema, kind, id)],
    });
    this.#groupCommit = new GroupCommit({
      groupCommitMax: options.groupCommitMax ?? postgresGroupCommitMax,
      queueMax: options.queueMax ?? groupCommitDefaults.queueMax,
      unitTimeoutMs: options.unitTimeoutMs ?? groupCommitDefaults.unitTimeoutMs,
      detectNestedWrites: options.detectNestedWrites === true,
      // BEGIN and the lock go in one round trip (simple query protocol, two statements), with the first unit's.
      beginSql: options.eventLockFirst === false ? 'BEGIN' : `BEGIN; ${eventLockSql}`,
      // PostgreSQL refuses every statement of a transaction after one failed (or ends the session).
      controlPipelined: true,
      acquire: async (): Promise<BatchConnection> => {
        const client = await pool.connect();
        const lost = watchForLoss(client);
        const send = countingRoundTrips(client, () => {
          this.#writeRoundTrips += 1;
        });
        return {
          executor: new PostgresExecutor(send, () => false),
          control: async (sql) => {
            await send({ text: sql });
          },
          release: (broken) => {
            lost.stop();
            client.release(broken || lost.happened() ? true : undefined);
          },
        };
      },
      makeTx: (executor, effects): StoreTx => new SqlStoreTx(executor, { appendEventSql, rowLockSql: ' FOR UPDATE', journalSeqSql, stanBlocks,
          // A multi-row append needs the events lock first; a batch that took it at BEGIN already holds it.
          ...(options.eventLockFirst === false ? { eventOrderLockSql: eventLockSql } : {}),
          effects,
          configCache: this.configCache ?? undefined,
          nodeId,
          announceConfigChange,
        }),
      mapError: mapPostgresError,
    });
  }

  /** Applies pending migrations under a session advisory lock, so nodes starting together take turns. */
  async migrate(): Promise<MigrationReport> {
    if (this.#pool.ended) throw new ReswipeError('RSW_STORE_CLOSED');
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw mapPostgresError(error);
    }
    let broken = false;
    const lost = watchForLoss(client);
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [`reswipe.migrate:${this.schema}`]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await client.query(schemaMigrationsTableSql.postgres);
        const known = new Set(migrations.map((migration) => migration.version));
        const appliedRows = (await client.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version')).rows;
        const unknown = appliedRows.find((row) => !known.has(row.version));
        if (unknown !== undefined) throw new ReswipeError('RSW_STORE_SCHEMA_NEWER', { version: unknown.version });
        const applied: string[] = [];
        for (const migration of migrations) {
          if (appliedRows.some((row) => row.version === migration.version)) continue;
          // DDL is transactional on PostgreSQL: a migration applies entirely or not at all.
          await client.query('BEGIN');
          try {
            await client.query(migration.postgres);
            await client.query('INSERT INTO schema_migrations (version, applied_at_ms) VALUES ($1, $2)', [migration.version, Date.now()]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw error;
          }
          applied.push(migration.version);
        }
        return { applied, current: migrations[migrations.length - 1]?.version ?? '' };
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`reswipe.migrate:${this.schema}`]).catch(() => {
          broken = true;
        });
      }
    } catch (error) {
      broken = true;
      throw mapPostgresError(error);
    } finally {
      // A broken client is destroyed, which also frees a session lock it may still hold.
      lost.stop();
      client.release(broken || lost.happened() ? true : undefined);
    }
  }

  write<T>(unit: (tx: StoreTx) => Promise<T>, options?: WriteOptions): Promise<T> {
    return this.#groupCommit.write(unit, options);
  }

  stats(): StoreStats {
    return this.#groupCommit.stats();
  }

  /** Round trips of the write batches so far (BEGIN and COMMIT included; reads outside units are not counted). */
  get writeRoundTrips(): number {
    return this.#writeRoundTrips;
  }

  async ping(): Promise<void> {
    await this.db.all('SELECT 1 AS ok', []);
  }

  writeFault(): string | null {
    // A PostgreSQL outage shows in ping(); only a closed store refuses writes for good.
    return this.#closing !== null ? 'the store is closed' : null;
  }

  onConfigChange(listener: (change: ConfigChange) => void): () => void {
    return this.configCache?.onChange(listener) ?? (() => undefined);
  }

  /** Whether the LISTEN connection is up (false without one); for GET /v1/channels/health and tests. */
  get listeningForConfigChanges(): boolean {
    return this.#listener?.listening ?? false;
  }

  /** The LISTEN connection, for tests of its reconnection. */
  get configListener(): PostgresConfigListener | null {
    return this.#listener;
  }

  openLeadership(options: { checkIntervalMs: number; logger: LoggerLike; mayLead?: () => boolean }): Leadership {
    return new PostgresLeadership({ url: this.#url, key: this.schema, ...options });
  }

  setNodeId(nodeId: string): void {
    this.#nodeId = nodeId;
  }

  close(): Promise<void> {
    this.#closing ??= (this.#listener?.stop() ?? Promise.resolve())
      .then(() => this.#groupCommit.close())
      .then(() => {
        this.#readLanes.close();
        return this.#pool.end();
      });
    return this.#closing;
  }
}
