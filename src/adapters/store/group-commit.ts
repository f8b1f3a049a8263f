// Group commit: write units that arrive close together (until the next turn of the event loop, at
// most `groupCommitMax` of them) run one after another on ONE connection inside ONE transaction,
// each in its own savepoint, and share one COMMIT, so one disk flush makes many units durable.
// A unit that throws is rolled back to its savepoint alone and only its caller sees the error.
// Every caller's promise settles only after COMMIT returned (and, when set, after `afterCommit`
// made the batch durable).
//
// One batch runs at a time per store; the next batch collects while the current one commits.
// Units therefore never interleave on a connection, and event seqs commit in order.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { StoreStats, StoreTx, WriteOptions } from '../../core/ports/store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { SqlExecutor, SqlRow, SqlValue } from './sql-executor.ts';

/** The connection a batch runs on. */
export interface BatchConnection {
  /** Statements of the units; errors are already mapped to ReswipeErrors. */
  readonly executor: SqlExecutor;
  /** Transaction control: BEGIN, SAVEPOINT, RELEASE, ROLLBACK TO, COMMIT, ROLLBACK; may hold two statements separated by `;`. */
  control(sql: string): Promise<void>;
  /** Gives the connection back; `broken` when the batch failed and the connection may be unusable. */
  release(broken: boolean): void;
}

export interface GroupCommitOptions {
  /** Units per batch at most. */
  groupCommitMax: number;
  /** Units waiting for a batch at most; beyond it a write fails fast with RSW_STORE_OVERLOADED. */
  queueMax: number;
  /** A unit that runs longer is rolled back and its caller gets RSW_STORE_UNIT_TIMEOUT. */
  unitTimeoutMs: number;
  /** `BEGIN IMMEDIATE` on SQLite (take the write lock up front), `BEGIN` on PostgreSQL. */
  beginSql: string;
  /**
   * The connection pipelines (PostgreSQL): a unit's opening control statements (BEGIN, its savepoint)
   * are sent without waiting for their answer, so they share a round trip with the unit's first
   * statements, and a failure of theirs fails the batch right after the unit. Only for a database that
   * refuses every later statement of a transaction once a control statement failed in it: on SQLite a
   * failed BEGIN would leave the unit's statements running outside any transaction, so it waits.
   */
  controlPipelined?: boolean;
  acquire(): Promise<BatchConnection>;
  /** A tx for one unit; `effects` lets it act on memory only once the unit's writes are durable, or undo on rollback. */
  makeTx(executor: SqlExecutor, effects: UnitEffects): StoreTx;
  /** Maps a driver error thrown by acquire or control statements. */
  mapError(error: unknown): unknown;
  /**
   * Makes a committed batch durable when COMMIT itself does not (SQLite: an asynchronous fdatasync of
   * the WAL off the event loop). No caller of the batch is answered before it resolves; if it fails,
   * every caller gets the error, as for a failed COMMIT.
   */
  afterCommit?: () => Promise<void>;
  /**
   * Makes a `write` called inside a running unit fail at once instead of waiting for the unit timeout
   * (it can never run: its batch waits for the unit that waits for it). Off by default: the check
   * needs AsyncLocalStorage, whose promise hooks on Node 20 cost every promise of the process; tests
   * turn it on.
   */
  detectNestedWrites?: boolean;
}

/**
 * What a unit did to memory beside the database (a STAN block reserved, a cached record to forget):
 * `onDurable` runs once the batch is committed and durable, `onRolledBack` when the unit's writes were
 * undone (its savepoint rolled back, or the whole batch failed). Each callback runs at most once and must not throw.
 */
export interface UnitEffects {
  onDurable(effect: () => void): void;
  onRolledBack(effect: () => void): void;
}

class UnitEffectList implements UnitEffects {
  readonly durable: Array<() => void> = [];
  readonly rolledBack: Array<() => void> = [];
  onDurable(effect: () => void): void {
    this.durable.push(effect);
  }
  onRolledBack(effect: () => void): void {
    this.rolledBack.push(effect);
  }
}

function runEffects(effects: ReadonlyArray<() => void>): void {
  for (const effect of effects) {
    try {
      effect();
    } catch {
      // An effect only adjusts memory (a cache, a STAN block); a fault in one must not stop the others.
    }
  }
}

export const groupCommitDefaults = Object.freeze({ groupCommitMax: 256, queueMax: 10_000, unitTimeoutMs: 30_000 });

interface PendingUnit {
  run: (tx: StoreTx) => Promise<unknown>;
  /** Set for a job that must run alone on the connection, between batches (SQLite migrations). */
  exclusive: (() => Promise<unknown>) | null;
  /** Written with `ahead`: queued before the units that were waiting (WriteOptions). */
  ahead: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Filled while the unit runs. */
  effects?: UnitEffectList;
  settled: boolean;
}

/** Marks the async context of a running unit when `detectNestedWrites` is on. */
type UnitContext = { running: boolean };

/**
 * The executor a unit's tx uses. It refuses calls after the unit ended (a forgotten await), and
 * after a statement of the unit failed: PostgreSQL aborts the transaction at the first error while
 * SQLite carries on, so the unit is over on both, and rolls back, as soon as one statement fails.
 */
class UnitExecutor implements SqlExecutor {
  readonly #inner: SqlExecutor;
  #ended = false;
  failure: { error: unknown } | null = null;

  constructor(inner: SqlExecutor) {
    this.#inner = inner;
  }

  end(): void {
    this.#ended = true;
  }

  #check(): void {
    if (this.#ended) throw new Error('store tx used after its unit ended: await every store call inside the unit');
    if (this.failure !== null) {
      throw new Error('a store call in this unit already failed; the unit must end (rethrow) so that it rolls back', { cause: this.failure.error });
    }
  }

  async all(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]> {
    this.#check();
    try {
      return await this.#inner.all(sql, params);
    } catch (error) {
      this.failure = { error };
      throw error;
    }
  }

  async run(sql: string, params: readonly SqlValue[]): Promise<number> {
    this.#check();
    try {
      return await this.#inner.run(sql, params);
    } catch (error) {
      this.failure = { error };
      throw error;
    }
  }
}

type UnitResult = { ok: true; value: unknown } | { ok: false; error: unknown };

// The functions of a unit's path are module functions, not closures: tsx compiles with esbuild's
// keepNames, which names every closure held in a `const` with Object.defineProperty each time it is
// created (about 0.5 µs, against a few ns for a closure), and this runs for every sale.

/** Answers a unit's caller once. */
function settleUnit(item: PendingUnit, result: UnitResult): void {
  if (item.settled) return;
  item.settled = true;
  if (result.ok) item.resolve(result.value);
  else item.reject(result.error);
}

/** Runs a unit's function on its own tx; a unit that swallowed a store error still fails (its statements may be half applied). */
async function runUnitBody(item: PendingUnit, executor: UnitExecutor, options: GroupCommitOptions): Promise<UnitResult> {
  try {
    item.effects = new UnitEffectList();
    const value = await item.run(options.makeTx(executor, item.effects));
    return executor.failure === null ? { ok: true, value } : { ok: false, error: executor.failure.error };
  } catch (error) {
    return { ok: false, error };
  }
}

function rethrow(failure: { error: unknown } | null): void {
  if (failure !== null) throw failure.error;
}

export class GroupCommit {
  readonly #options: GroupCommitOptions;
  readonly #queue: PendingUnit[] = [];
  #scheduled = false;
  #running = false;
  #closed = false;
  #idleWaiters: Array<() => void> = [];
  readonly #stats: StoreStats = { commits: 0, units: 0 };
  readonly #runningUnit: AsyncLocalStorage<UnitContext> | null;

  constructor(options: GroupCommitOptions) {
    if (!(Number.isSafeInteger(options.groupCommitMax) && options.groupCommitMax >= 1)) throw new Error('groupCommitMax must be a positive integer');
    this.#options = options;
    this.#runningUnit = options.detectNestedWrites === true ? new AsyncLocalStorage<UnitContext>() : null;
  }

  stats(): StoreStats {
    return { ...this.#stats };
  }

  write<T>(unit: (tx: StoreTx) => Promise<T>, options?: WriteOptions): Promise<T> {
    if (this.#runningUnit?.getStore()?.running === true) {
      return Promise.reject(new Error('store.write called inside a unit of work: use the tx the unit was given (a nested write would deadlock)'));
    }
    if (this.#closed) return Promise.reject(new ReswipeError('RSW_STORE_CLOSED'));
    if (this.#queue.length >= this.#options.queueMax) return Promise.reject(new ReswipeError('RSW_STORE_OVERLOADED', { queueMax: this.#options.queueMax }));
    return new Promise<T>((resolve, reject) => {
      const item: PendingUnit = { run: unit, exclusive: null, ahead: options?.ahead === true, resolve: resolve as (value: unknown) => void, reject, settled: false };
      if (item.ahead) this.#queue.splice(this.#aheadPosition(), 0, item);
      else this.#queue.push(item);
      this.#schedule();
    });
  }

  /** Where a unit written ahead goes: after the units already ahead and an exclusive job at the head, before every other waiting unit. */
  #aheadPosition(): number {
    let position = 0;
    while (position < this.#queue.length && (this.#queue[position]?.ahead === true || this.#queue[position]?.exclusive !== null)) position += 1;
    return position;
  }

  /** Runs a job alone between two batches, outside any transaction; it must manage its own. */
  runExclusive<T>(job: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new ReswipeError('RSW_STORE_CLOSED'));
    return new Promise<T>((resolve, reject) => {
      const run = (): Promise<never> => Promise.reject(new Error('an exclusive job is not a unit'));
      this.#queue.push({ run, exclusive: job, ahead: false, resolve: resolve as (value: unknown) => void, reject, settled: false });
      this.#schedule();
    });
  }

  /** Refuses new writes and resolves once every queued unit has been committed or rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    if (!this.#running && !this.#scheduled && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate lets every unit submitted in this turn of the event loop join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#running = true;
    try {
      const first = this.#queue[0];
      if (first?.exclusive) {
        this.#queue.shift();
        await first.exclusive().then(first.resolve, first.reject);
      } else {
        let count = 0;
        while (count < this.#queue.length && count < this.#options.groupCommitMax && this.#queue[count]?.exclusive === null) count += 1;
        const batch = this.#queue.splice(0, count);
        if (batch.length > 0) await this.#runBatch(batch);
      }
    } finally {
      this.#running = false;
      if (this.#queue.length > 0) this.#schedule();
      else for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  async #runBatch(batch: PendingUnit[]): Promise<void> {
    let connection: BatchConnection;
    try {
      connection = await this.#options.acquire();
    } catch (error) {
      const mapped = this.#options.mapError(error);
      for (const item of batch) settleUnit(item, { ok: false, error: mapped });
      return;
    }
    const succeeded: Array<{ item: PendingUnit; value: unknown }> = [];
    // A lone unit needs no savepoint: its failure may roll back the whole transaction. This
    // spares the round trips at low load, where latency matters most.
    const alone = batch.length === 1;
    let savepointOpen = false;
    let committed = false;
    const pipelined = this.#options.controlPipelined === true;
    // Pipelined, BEGIN goes out with the first unit's savepoint and statements.
    let opening = pipelined ? this.#options.beginSql : null;
    try {
      if (!pipelined) await connection.control(this.#options.beginSql);
      for (const item of batch) {
        // Releasing the previous unit's savepoint and opening the next in one call saves a round trip.
        const savepoint: string | null = alone ? null : savepointOpen ? 'RELEASE SAVEPOINT reswipe_unit; SAVEPOINT reswipe_unit' : 'SAVEPOINT reswipe_unit';
        const controlSql = [opening, savepoint].filter((sql) => sql !== null).join('; ');
        opening = null;
        let opened: Promise<{ error: unknown } | null> | null = null;
        if (controlSql !== '') {
          if (pipelined) opened = this.#open(connection, controlSql);
          else await connection.control(controlSql);
        }
        savepointOpen = savepoint !== null;
        const result = await this.#runUnit(item, connection.executor);
        // A failed BEGIN or savepoint failed the unit's statements too: the batch is broken, whatever the unit saw.
        if (opened !== null) rethrow(await opened);
        if (result.ok) {
          succeeded.push({ item, value: result.value });
          continue;
        }
        await connection.control(alone ? 'ROLLBACK' : 'ROLLBACK TO SAVEPOINT reswipe_unit; RELEASE SAVEPOINT reswipe_unit');
        savepointOpen = false;
        if (item.effects !== undefined) runEffects(item.effects.rolledBack);
        // Nothing of this unit will be committed, so its caller may learn at once.
        settleUnit(item, result);
      }
      // COMMIT also ends a savepoint still open.
      if (!alone || succeeded.length > 0) {
        await connection.control('COMMIT');
        committed = true;
        if (this.#options.afterCommit !== undefined) await this.#options.afterCommit();
      }
    } catch (error) {
      // The batch itself broke (connection lost, disk full, commit refused): nothing of it is
      // known to be durable, so every caller still waiting gets the error.
      const mapped = this.#options.mapError(error);
      await connection.control('ROLLBACK').catch(() => undefined);
      connection.release(true);
      for (const { item } of succeeded) if (item.effects !== undefined) runEffects(item.effects.rolledBack);
      // The unit that was running when the batch broke never reached `succeeded`.
      for (const item of batch) if (!item.settled && !succeeded.some((done) => done.item === item) && item.effects !== undefined) runEffects(item.effects.rolledBack);
      for (const item of batch) settleUnit(item, { ok: false, error: mapped });
      return;
    }
    connection.release(false);
    if (committed) this.#stats.commits += 1;
    this.#stats.units += batch.length;
    for (const { item } of succeeded) if (item.effects !== undefined) runEffects(item.effects.durable);
    for (const { item, value } of succeeded) settleUnit(item, { ok: true, value });
  }

  /** Sends control statements; their failure is returned (never left unhandled while the unit runs) and thrown by `rethrow`. */
  #open(connection: BatchConnection, sql: string): Promise<{ error: unknown } | null> {
    return connection.control(sql).then(
      () => null,
      (error: unknown) => ({ error }),
    );
  }

  async #runUnit(item: PendingUnit, inner: SqlExecutor): Promise<UnitResult> {
    const executor = new UnitExecutor(inner);
    const context: UnitContext = { running: true };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<UnitResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, error: new ReswipeError('RSW_STORE_UNIT_TIMEOUT', { unitTimeoutMs: this.#options.unitTimeoutMs }) }),
        this.#options.unitTimeoutMs,
      );
    });
    const work = this.#runningUnit === null ? runUnitBody(item, executor, this.#options) : this.#runningUnit.run(context, runUnitBody, item, executor, this.#options);
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      context.running = false;
      executor.end();
    }
  }
}
