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
import { configChangeKinds, type ConfigChange, type ConfigChangeKind } from '../../core/ports/store.ts';
import type { SqlExecutor } from './sql-executor.ts';
import { readInteger } from './store-rows.ts';

/** How stale a record written by ANOTHER process may be, at most, by default. */
export const configCacheCheckMsDefault = 250;
/** Entries per kind; beyond it the kind is emptied (a bound, not a policy: real fleets are far smaller). */
const entriesMax = 100_000;

export const bumpConfigVersionSql = "UPDATE cache_versions SET version = version + 1 WHERE name = 'config'";
const readConfigVersionSql = "SELECT version FROM cache_versions WHERE name = 'config'";

/** The kinds this cache holds; fee plans and terminal keys are only announced (their holders re-read them). */
type Kind = 'merchant' | 'terminal' | 'channel';

function isCachedKind(kind: ConfigChangeKind): kind is Kind {
  return kind === 'merchant' || kind === 'terminal' || kind === 'channel';
}

/** The PostgreSQL channel live-configuration changes are announced on (docs/cluster.md, "Live configuration"). */
export const configNotifyChannel = 'reswipe_config';

/** The payload of one announcement: the schema (one database may hold several installations), what changed. */
export function configNoticePayload(schema: string, kind: ConfigChangeKind, id: string): string {
  return JSON.stringify({ schema, kind, id: id.slice(0, 200) });
}

/** Reads an announcement of `schema`; null for another schema's or a malformed one (never trusted further). */
export function parseConfigNotice(schema: string, payload: string | undefined): ConfigChange | null {
  if (payload === undefined || payload.length > 1000) return null;
  try {
    const parsed = JSON.parse(payload) as { schema?: unknown; kind?: unknown; id?: unknown };
    if (parsed.schema !== schema) return null;
    const kind = configChangeKinds.find((known) => known === parsed.kind);
    if (kind !== undefined && typeof parsed.id === 'string') return { kind, id: parsed.id };
    return { kind: 'all' };
  } catch {
    return null;
  }
}

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
  readonly #listeners = new Set<(change: ConfigChange) => void>();

  constructor(db: SqlExecutor, options: { checkMs?: number; now?: () => number } = {}) {
    this.#db = db;
    this.#checkMs = options.checkMs ?? configCacheCheckMsDefault;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The record `id` of `kind`, from memory or else `load(source, id)`. The loader is a module function
   * given its source, not a closure made per read: tsx's keepNames names every closure held in a
   * `const` each time it is made (about 0.5 µs), and the terminal and merchant are read on every sale.
   */
  async read<T, Source>(kind: Kind, id: string, source: Source, load: (source: Source, id: string) => Promise<T | null>): Promise<T | null> {
    await this.#checkVersion();
    const entries = this.#entries[kind];
    const hit = entries.get(id);
    if (hit !== undefined) {
      this.#hits += 1;
      return hit as T;
    }
    this.#misses += 1;
    const epoch = this.#epoch;
    const loaded = await load(source, id);
    // Unknown ids are not remembered: a record created elsewhere is visible at once.
    if (loaded !== null && epoch === this.#epoch) {
      if (entries.size >= entriesMax) entries.clear();
      entries.set(id, deepFreeze(loaded));
    }
    return loaded;
  }

  /** Drops one record (a write through this store committed it, or another node announced it). */
  forget(kind: Kind, id: string): void {
    this.#epoch += 1;
    this.#entries[kind].delete(id);
    this.#emit({ kind, id });
  }

  /** Drops everything. */
  clear(): void {
    this.#epoch += 1;
    for (const entries of Object.values(this.#entries)) entries.clear();
    this.#emit({ kind: 'all' });
  }

  /** Applies a change announced by another process (or this one): drops what it names, and tells the listeners. */
  apply(change: ConfigChange): void {
    if (change.kind === 'all') this.clear();
    else if (isCachedKind(change.kind)) this.forget(change.kind, change.id);
    else this.#emit(change);
  }

  /** Re-reads the version row now (the safety net under LISTEN/NOTIFY, for callers that read nothing through the cache). */
  async checkNow(): Promise<void> {
    this.#checkedAtMs = Number.NEGATIVE_INFINITY;
    await this.#checkVersion();
  }

  /** Calls `listener` after every invalidation; returns the function that stops it. */
  onChange(listener: (change: ConfigChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: ConfigChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A listener adjusts its own memory; its fault must not stop the cache or the others.
      }
    }
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
