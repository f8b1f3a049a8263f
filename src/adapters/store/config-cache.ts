// Merchants, terminals and channels read on every sale, kept in memory (docs/store.md, "Cached reads").
//
// - A management write through this store (upsertMerchant, upsertTerminal, upsertChannel, touchTerminal)
//   drops the cache once its unit is durable, before its caller is answered.
// - Every upsert also bumps `cache_versions` (migration 0013) in its own transaction, and a cached read
//   re-reads that one row at most every `checkMs`: a write by another process (the CLI, a second
//   gateway node on PostgreSQL) is seen within `checkMs`. `touchTerminal` (last seen, written every 10 s
//   per terminal) does not bump it: another node's copy of `lastSeenAtMs` may lag by up to `checkMs`.
// - Only reads outside units are cached: a unit's tx always reads the database.
// - Records are frozen: a caller that wants a changed copy spreads it, as every caller already does.
import type { SqlExecutor } from './sql-executor.ts';
import { readInteger } from './store-rows.ts';

/** How stale a record written by ANOTHER process may be, at most, by default. */
export const configCacheCheckMsDefault = 250;
/** Entries per kind; beyond it the kind is emptied (a bound, not a policy: real fleets are far smaller). */
const entriesMax = 100_000;

export const bumpConfigVersionSql = "UPDATE cache_versions SET version = version + 1 WHERE name = 'config'";
const readConfigVersionSql = "SELECT version FROM cache_versions WHERE name = 'config'";

type Kind = 'merchant' | 'terminal' | 'channel';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
  }
  return value;
}

export class ConfigCache {
  readonly #db: SqlExecutor;
  readonly #checkMs: number;
  readonly #now: () => number;
  readonly #entries: Record<Kind, Map<string, unknown>> = { merchant: new Map(), terminal: new Map(), channel: new Map() };
  /** Bumped by every invalidation: a read that started before it must not store what it read. */
  #epoch = 0;
  #seenVersion: number | null = null;
  #checkedAtMs = Number.NEGATIVE_INFINITY;
  #checking: Promise<void> | null = null;
  #hits = 0;
  #misses = 0;

  constructor(db: SqlExecutor, options: { checkMs?: number; now?: () => number } = {}) {
    this.#db = db;
    this.#checkMs = options.checkMs ?? configCacheCheckMsDefault;
    this.#now = options.now ?? Date.now;
  }

  async read<T>(kind: Kind, id: string, load: () => Promise<T | null>): Promise<T | null> {
    await this.#checkVersion();
    const entries = this.#entries[kind];
    const hit = entries.get(id);
    if (hit !== undefined) {
      this.#hits += 1;
      return hit as T;
    }
    this.#misses += 1;
    const epoch = this.#epoch;
    const loaded = await load();
    // Unknown ids are not remembered: a record created elsewhere is visible at once.
    if (loaded !== null && epoch === this.#epoch) {
      if (entries.size >= entriesMax) entries.clear();
      entries.set(id, deepFreeze(loaded));
    }
    return loaded;
  }

  /** Drops one record (a write through this store committed it). */
  forget(kind: Kind, id: string): void {
    this.#epoch += 1;
    this.#entries[kind].delete(id);
  }

  /** Drops everything. */
  clear(): void {
    this.#epoch += 1;
    for (const entries of Object.values(this.#entries)) entries.clear();
  }

  stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }

  async #checkVersion(): Promise<void> {
    if (this.#now() - this.#checkedAtMs < this.#checkMs) return;
    if (this.#checking === null) {
      this.#checking = (async () => {
        try {
          const rows = await this.#db.all(readConfigVersionSql, []);
          const version = rows[0] === undefined ? 0 : readInteger(rows[0].version, 'version');
          if (version !== this.#seenVersion) {
            this.#seenVersion = version;
            this.clear();
          }
          this.#checkedAtMs = this.#now();
        } catch {
          // Cannot tell whether another process changed something: trust nothing cached.
          this.clear();
        }
      })().finally(() => {
        this.#checking = null;
      });
    }
    await this.#checking;
  }
}
