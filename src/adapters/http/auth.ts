// API keys of the HTTP API. A key looks like `rsw_<id>_<secret>`: the id (12 base62 characters) is
// not secret and names the key in `reswipe keys list` and audit records; the secret (32 base62
// characters, about 190 bits) is shown once when the key is created and never stored. The store
// keeps the SHA-256 of the whole key, and a request is authenticated by looking that hash up: a
// hash lookup leaks nothing through timing that would help guess a 190-bit secret.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRecord, Store } from '../../core/ports/store.ts';
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import { legacyScopes, scopesAllow, type ApiScope } from '../../core/access/api-scope.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { RequestLimits } from './request-limits.ts';

export const apiKeyPrefix = 'rsw_';
export const apiKeyIdChars = 12;
export const apiKeySecretChars = 32;
/** Longest Authorization header value looked at; a longer one is refused before hashing. */
export const authorizationCharsMax = 512;

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const apiKeyPattern = new RegExp(`^${apiKeyPrefix}([0-9A-Za-z]{${apiKeyIdChars}})_([0-9A-Za-z]{${apiKeySecretChars}})$`);

/** Who is calling: a key id, its scopes, and the merchant it is bound to (null for admin keys). */
export interface Principal {
  keyId: string;
  scopes: readonly ApiScope[];
  merchantId: string | null;
}

/** Uniform random base62 text from the operating system's generator (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let text = '';
  // 248 = 4 * 62: bytes at or above it are dropped so every character is equally likely.
  for (let round = 0; round < 64 && text.length < length; round++) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 248) continue;
      text += base62[byte % 62];
      if (text.length === length) break;
    }
  }
  if (text.length !== length) throw new Error('the random generator returned too few usable bytes');
  return text;
}

/** Hex SHA-256 of a whole API key: what the store keeps. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Splits a key into its id, or null when it does not have the `rsw_<id>_<secret>` shape. */
export function parseApiKey(key: string): { id: string } | null {
  const match = apiKeyPattern.exec(key);
  return match?.[1] === undefined ? null : { id: match[1] };
}

export interface NewApiKey {
  /** The full key: print it once, never store or log it. */
  key: string;
  record: ApiKeyRecord;
}

/** What a new key may do: scopes (checked by the caller with scopeSetProblem), or one of the two kinds keys had before scopes. */
export type NewApiKeyGrant =
  | { scopes: readonly ApiScope[]; merchantId: string | null; expiresAtMs?: number | null }
  | { scope: 'admin' }
  | { scope: 'merchant'; merchantId: string };

/** Makes a new key and the record to store for it (the record holds only the hash). */
export function generateApiKey(grant: NewApiKeyGrant, label: string, nowMs: number): NewApiKey {
  const input = 'scopes' in grant ? grant : grant.scope === 'admin' ? { scopes: legacyScopes.admin, merchantId: null } : { scopes: legacyScopes.merchant, merchantId: grant.merchantId };
  const expiresAtMs = 'expiresAtMs' in input ? (input.expiresAtMs ?? null) : null;
  const id = randomBase62(apiKeyIdChars);
  const key = `${apiKeyPrefix}${id}_${randomBase62(apiKeySecretChars)}`;
  return {
    key,
    record: {
      id,
      secretHash: hashApiKey(key),
      scopes: [...input.scopes],
      merchantId: input.merchantId,
      label,
      createdAtMs: nowMs,
      expiresAtMs,
      revokedAtMs: null,
      lastUsedAtMs: null,
    },
  };
}

/** The bearer token of an Authorization header value, or null when there is none. */
export function bearerTokenOf(header: string | undefined): string | null {
  if (header === undefined || header.length === 0) return null;
  if (header.length > authorizationCharsMax) return '';
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}

/**
 * Resolves a request's key to a principal; throws RSW_AUTH_MISSING, RSW_AUTH_INVALID (unknown,
 * malformed and revoked look the same) or RSW_AUTH_EXPIRED (the key was valid; its holder knows it existed).
 */
export async function authenticate(store: Pick<Store, 'findApiKeyByHash'>, authorization: string | undefined, nowMs: number): Promise<Principal> {
  const token = bearerTokenOf(authorization);
  if (token === null) throw new ReswipeError('RSW_AUTH_MISSING');
  const parsed = parseApiKey(token);
  if (parsed === null) throw new ReswipeError('RSW_AUTH_INVALID');
  const record = await store.findApiKeyByHash(hashApiKey(token));
  if (record === null || record.id !== parsed.id || record.revokedAtMs !== null) throw new ReswipeError('RSW_AUTH_INVALID');
  if (record.expiresAtMs !== null && nowMs >= record.expiresAtMs) throw new ReswipeError('RSW_AUTH_EXPIRED');
  const isAdmin = record.scopes.includes('admin');
  // A non-admin key without a merchant cannot be issued (scopeSetProblem); a row like that is refused, never widened.
  if (!isAdmin && record.merchantId === null) throw new ReswipeError('RSW_AUTH_INVALID');
  return { keyId: record.id, scopes: record.scopes, merchantId: isAdmin ? null : record.merchantId };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every route that needs a key. */
    principal: Principal | null;
  }
}

export interface ApiAuthOptions {
  store: Pick<Store, 'findApiKeyByHash' | 'write'>;
  nowMs: () => number;
  logger: LoggerLike;
  /** Rate limits per key and on failed authentications; none when absent (unit tests of single routes). */
  limits?: RequestLimits;
  /** At most one lastUsedAtMs write per key per this interval, off the request path; default 60 s. */
  lastUsedWriteIntervalMs?: number;
}

/** Keys whose last "last used" write is remembered; beyond it the oldest is forgotten (and may be written again early). */
const lastUsedKeysMax = 10_000;

/**
 * Authentication of the HTTP API: one instance per app. `require(scope)` is the onRequest hook of a
 * route group: it refuses over-limit clients, authenticates, counts the key against its rate limit,
 * checks the scope and records (throttled, in the background) that the key was used.
 */
export class ApiAuth {
  readonly #options: ApiAuthOptions;
  readonly #lastUsedWrittenAtMs = new Map<string, number>();
  readonly #writes = new Set<Promise<void>>();

  constructor(options: ApiAuthOptions) {
    this.#options = options;
  }

  /** The hook for routes that need a key holding `scope` (null: any valid key; the route checks finer rules itself). */
  require(scope: ApiScope | null) {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      request.principal = await this.authenticateRequest(request, reply);
      if (scope !== null) requireScope(request.principal, scope);
    };
  }

  async authenticateRequest(request: FastifyRequest, reply: FastifyReply): Promise<Principal> {
    const { limits, store, nowMs } = this.#options;
    const presentsKey = request.headers.authorization !== undefined;
    if (limits !== undefined && presentsKey) await limits.checkAuthFailures(request, reply);
    let principal: Principal;
    try {
      principal = await authenticate(store, request.headers.authorization, nowMs());
    } catch (error) {
      if (limits !== undefined && isReswipeError(error) && error.httpStatus === 401) await limits.recordAuthFailure(request);
      throw error;
    }
    if (limits !== undefined) await limits.checkKey(request, reply, principal.keyId);
    this.#noteUsed(principal.keyId, nowMs());
    return principal;
  }

  /** Waits for "last used" writes still running (called when the app closes, before the store closes). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#writes]);
  }

  #noteUsed(keyId: string, atMs: number): void {
    const writtenAtMs = this.#lastUsedWrittenAtMs.get(keyId);
    if (writtenAtMs !== undefined && atMs - writtenAtMs < (this.#options.lastUsedWriteIntervalMs ?? 60_000)) return;
    this.#lastUsedWrittenAtMs.delete(keyId);
    this.#lastUsedWrittenAtMs.set(keyId, atMs);
    if (this.#lastUsedWrittenAtMs.size > lastUsedKeysMax) {
      const oldest = this.#lastUsedWrittenAtMs.keys().next();
      if (oldest.done !== true) this.#lastUsedWrittenAtMs.delete(oldest.value);
    }
    const write = this.#options.store
      .write((tx) => tx.touchApiKey(keyId, atMs))
      .catch((error: unknown) => {
        if (this.#lastUsedWrittenAtMs.get(keyId) === atMs) this.#lastUsedWrittenAtMs.delete(keyId);
        this.#options.logger.warn({ keyId, error: isReswipeError(error) ? error.code : 'unknown' }, 'API key last-used write failed; the next request retries it');
      })
      .finally(() => this.#writes.delete(write));
    this.#writes.add(write);
  }
}

/** Throws RSW_AUTH_ADMIN_REQUIRED (admin routes) or RSW_AUTH_SCOPE unless the principal holds the scope. */
export function requireScope(principal: Principal | null, scope: ApiScope): void {
  if (principal === null) throw new Error('broken invariant: route reached without authentication');
  if (scopesAllow(principal.scopes, scope)) return;
  if (scope === 'admin') throw new ReswipeError('RSW_AUTH_ADMIN_REQUIRED');
  throw new ReswipeError('RSW_AUTH_SCOPE', { scope });
}

/** A route-level onRequest hook: the group's hook authenticated, this one checks the route's scope. */
export function scopeHook(scope: ApiScope) {
  return async (request: FastifyRequest): Promise<void> => {
    requireScope(request.principal, scope);
  };
}

/** The merchant a principal is confined to, or undefined for admin (sees all). */
export function merchantScopeOf(principal: Principal | null): string | undefined {
  if (principal === null) throw new Error('broken invariant: route reached without authentication');
  return principal.merchantId ?? undefined;
}

/** The actor name of audit records: `key:<id>`, never the secret. */
export function actorOf(principal: Principal | null): string {
  return principal === null ? 'anonymous' : `key:${principal.keyId}`;
}
