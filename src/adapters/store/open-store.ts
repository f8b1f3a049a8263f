// Opens the store a database URL names and brings its schema up to date: the one entry point the
// composition root, the CLI and tests use.
import { resolve } from 'node:path';
import type { Store } from '../../core/ports/store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { PostgresStore } from './postgres-store.ts';
import { SqliteStore } from './sqlite-store.ts';

export interface OpenStoreOptions {
  /** SQLite only: `full` (default) fsyncs every commit; `normal` may lose the last commits on power loss. */
  synchronous?: 'full' | 'normal';
  /** SQLite only: the writer connection's page cache at most, in MB (default 64). */
  cacheMb?: number;
  /** PostgreSQL only: the schema holding the tables, created if missing. */
  postgresSchema?: string;
  /** PostgreSQL only: connections at most. */
  poolMax?: number;
  /** Units sharing one transaction and one flush, at most (default 256). */
  groupCommitMax?: number;
  /** A store.write inside a unit of work fails at once instead of timing out (costly on Node 20: for tests). */
  detectNestedWrites?: boolean;
  /** Upstream STANs reserved per counter write (default 1000). */
  stanBlockSize?: number;
  /** How stale a merchant, terminal or channel changed by another process may be read (default 250 ms). */
  configCacheCheckMs?: number;
}

/** The URL used when none is configured: a file in the working directory. */
export const defaultDatabaseUrl = 'sqlite:reswipe.db';

export type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Parses `sqlite:<path>`, `sqlite::memory:`, `postgres://...` or `postgresql://...`. */
export function parseDatabaseUrl(url: string): StoreLocation {
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    // sqlite:///abs/path.db is accepted as well as sqlite:/abs/path.db and sqlite:relative.db.
    if (path.startsWith('//')) path = path.slice(2);
    if (path.length === 0) throw new ReswipeError('RSW_STORE_URL_UNSUPPORTED', { field: 'database.url', reason: 'sqlite: needs a file path' });
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new ReswipeError('RSW_STORE_URL_UNSUPPORTED', { field: 'database.url', reason: scheme === undefined ? 'no scheme' : `scheme ${scheme}` });
}

/** Opens the store for a database URL without touching its schema: for `reswipe migrate`, which reports what it applies. */
export function connectStore(url: string | undefined, options: OpenStoreOptions = {}): Store {
  const location = parseDatabaseUrl(url ?? defaultDatabaseUrl);
  return location.kind === 'sqlite'
    ? SqliteStore.open(location.path, { synchronous: options.synchronous, cacheMb: options.cacheMb, groupCommitMax: options.groupCommitMax, detectNestedWrites: options.detectNestedWrites, stanBlockSize: options.stanBlockSize, configCacheCheckMs: options.configCacheCheckMs })
    : PostgresStore.open(location.url, { schema: options.postgresSchema, poolMax: options.poolMax, groupCommitMax: options.groupCommitMax, detectNestedWrites: options.detectNestedWrites, stanBlockSize: options.stanBlockSize, configCacheCheckMs: options.configCacheCheckMs });
}

/** Opens the store for a database URL (default `sqlite:reswipe.db`) and applies pending migrations. */
export async function openStore(url: string | undefined, options: OpenStoreOptions = {}): Promise<Store> {
  const store = connectStore(url, options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
