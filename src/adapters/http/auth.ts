// API keys of the HTTP API. A key looks like `rsw_<id>_<secret>`: the id (12 base62 characters) is
// not secret and names the key in `reswipe keys list` and audit records; the secret (32 base62
// characters, about 190 bits) is shown once when the key is created and never stored. The store
// keeps the SHA-256 of the whole key, and a request is authenticated by looking that hash up: a
// hash lookup leaks nothing through timing that would help guess a 190-bit secret.
import { createHash } from 'node:crypto';
import { randomBase62 } from './random-base62.ts';

export { randomBase62 };
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRecord, Store } from '../../core/ports/store.ts';
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import { legacyScopes, scopesAllow, type ApiScope } from '../../core/access/api-scope.ts';
import { merchantBoundRoles, permissionScopes, principalAllows, type Permission, type Role } from '../../core/access/permissions.ts';
import { isStateChangingMethod, routeRequirementOf } from '../../core/access/route-permissions.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { RequestLimits } from './request-limits.ts';
import { cookieValueOf, csrfHeaderName, csrfTokenMatches, sessionCookieName, type ConsoleSessions } from './console-sessions.ts';

export const apiKeyPrefix = 'rsw_';
export const apiKeyIdChars = 12;
export const apiKeySecretChars = 32;
/** Longest Authorization header value looked at; a longer one is refused before hashing. */
export const authorizationCharsMax = 512;

const apiKeyPattern = new RegExp(`^${apiKeyPrefix}([0-9A-Za-z]{${apiKeyIdChars}})_([0-9A-Za-z]{${apiKeySecretChars}})$`);

/**
 * Who is calling: an API key (its id, scopes and the merchant it is bound to, null for admin keys) or a
 * console user (name, role and session). `merchantIds` is what every merchant check reads: the merchants
 * the caller is confined to, or null when it sees every merchant.
 */
export interface Principal {
  /** The API key's id; null for a console session. */
  keyId: string | null;
  /** The key's scopes; empty for a console session (its role decides). */
  scopes: readonly ApiScope[];
  /** The merchant a key is bound to; null for admin keys and console users (see merchantIds). */
  merchantId: string | null;
  /** The console user's name; null for a key. */
  user: string | null;
  role: Role | null;
  merchantIds: readonly string[] | null;
  /** The console session: its stored hash and CSRF token. */
  session: { idHash: string; csrfToken: string } | null;
}

/** The principal of a key (merchantIds follows its merchant). */
export function keyPrincipal(keyId: string, scopes: readonly ApiScope[], merchantId: string | null): Principal {
  return { keyId, scopes, merchantId, user: null, role: null, merchantIds: merchantId === null ? null : [merchantId], session: null };
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
  return keyPrincipal(record.id, record.scopes, isAdmin ? null : record.merchantId);
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
  /** Console sessions (cookie); absent when console.enabled is false: then only keys authenticate. */
  sessions?: ConsoleSessions;
}

/** Keys whose last "last used" write is remembered; beyond it the oldest is forgotten (and may be written again early). */
const lastUsedKeysMax = 10_000;

/**
 * Authentication and access of the HTTP API: one instance per app. `guard` is the onRequest hook of
 * every /v1 route: it looks up the permission the route needs (src/core/access/route-permissions.ts),
 * refuses over-limit clients, authenticates the key or the console session, checks a session's CSRF
 * token on state-changing requests, counts the caller against its rate limit and checks the permission,
 * for keys through their scopes and for users through their role, with one function. `require(scope)`
 * is the older key-only hook the operations routes (/metrics, /docs) keep.
 */
export class ApiAuth {
  readonly #options: ApiAuthOptions;
  readonly #lastUsedWrittenAtMs = new Map<string, number>();
  readonly #writes = new Set<Promise<void>>();
  readonly #guarded = new WeakSet<FastifyRequest>();

  constructor(options: ApiAuthOptions) {
    this.#options = options;
  }

  get sessions(): ConsoleSessions | undefined {
    return this.#options.sessions;
  }

  /** The hook for routes that need a key holding `scope` (null: any valid key); keys only, sessions are not looked at. */
  require(scope: ApiScope | null) {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      request.principal = await this.#authenticateKey(request, reply);
      if (scope !== null) requireScope(request.principal, scope);
    };
  }

  /** The onRequest hook of every /v1 route (running it twice for a request checks once). */
  readonly guard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (this.#guarded.has(request)) return;
    const routeUrl = request.routeOptions.url ?? '';
    const requirement = routeRequirementOf(request.method, routeUrl);
    // Deny by default: a route must be in the table (test/core/access checks every registered route is).
    if (requirement === null) throw new Error(`broken invariant: ${request.method} ${routeUrl} has no entry in src/core/access/route-permissions.ts`);
    if (requirement === 'session' && this.#sessionCookieOf(request) === null) throw new ReswipeError('RSW_SESSION_MISSING');
    if (requirement !== 'public') {
      const principal = request.principal ?? (await this.authenticateRequest(request, reply));
      request.principal = principal;
      if (principal.session !== null && isStateChangingMethod(request.method)) checkCsrf(request, principal.session.csrfToken);
      if (requirement === 'session') {
        if (principal.session === null) throw new ReswipeError('RSW_SESSION_MISSING');
      } else {
        requirePermission(principal, requirement);
      }
    }
    this.#guarded.add(request);
  };

  /** A key when the request has an Authorization header (or sessions are off), else the session cookie. */
  async authenticateRequest(request: FastifyRequest, reply: FastifyReply): Promise<Principal> {
    const sessions = this.#options.sessions;
    const cookie = this.#sessionCookieOf(request);
    if (sessions === undefined || cookie === null) return this.#authenticateKey(request, reply);
    const { session, user } = await sessions.authenticate(cookie);
    if (this.#options.limits !== undefined) await this.#options.limits.checkKey(request, reply, `user:${user.name}`);
    return {
      keyId: null,
      scopes: [],
      merchantId: null,
      user: user.name,
      role: user.role,
      merchantIds: merchantBoundRoles.has(user.role) ? [...user.merchantIds] : null,
      session: { idHash: session.idHash, csrfToken: session.csrfToken },
    };
  }

  /** The session cookie's value when sessions are on and the request has no Authorization header (a key wins), else null. */
  #sessionCookieOf(request: FastifyRequest): string | null {
    if (this.#options.sessions === undefined || request.headers.authorization !== undefined) return null;
    return cookieValueOf(request.headers.cookie, sessionCookieName);
  }

  async #authenticateKey(request: FastifyRequest, reply: FastifyReply): Promise<Principal> {
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
    const keyId = principal.keyId ?? '';
    if (limits !== undefined) await limits.checkKey(request, reply, keyId);
    this.#noteUsed(keyId, nowMs());
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

/** Throws RSW_CSRF_TOKEN_MISSING or RSW_CSRF_TOKEN_INVALID unless the request carries the session's token. */
function checkCsrf(request: FastifyRequest, expected: string): void {
  const sent = request.headers[csrfHeaderName];
  if (sent === undefined || sent === '') throw new ReswipeError('RSW_CSRF_TOKEN_MISSING');
  if (typeof sent !== 'string' || !csrfTokenMatches(sent, expected)) throw new ReswipeError('RSW_CSRF_TOKEN_INVALID');
}

/**
 * Throws unless the principal holds the permission: for a key the refusal it always had
 * (RSW_AUTH_ADMIN_REQUIRED or RSW_AUTH_SCOPE naming the scope), for a console user RSW_AUTH_ROLE.
 */
export function requirePermission(principal: Principal | null, permission: Permission): void {
  if (principal === null) throw new Error('broken invariant: route reached without authentication');
  const subject = principal.role === null ? { kind: 'key' as const, scopes: principal.scopes } : { kind: 'user' as const, role: principal.role };
  if (principalAllows(subject, permission)) return;
  if (principal.role !== null) throw new ReswipeError('RSW_AUTH_ROLE', { role: principal.role, permission });
  requireScope(principal, permissionScopes[permission]);
}

/** Throws RSW_AUTH_ADMIN_REQUIRED (admin routes) or RSW_AUTH_SCOPE unless the principal holds the scope. */
export function requireScope(principal: Principal | null, scope: ApiScope): void {
  if (principal === null) throw new Error('broken invariant: route reached without authentication');
  if (scopesAllow(principal.scopes, scope)) return;
  if (scope === 'admin') throw new ReswipeError('RSW_AUTH_ADMIN_REQUIRED');
  throw new ReswipeError('RSW_AUTH_SCOPE', { scope });
}

/** The merchants the caller is confined to, or null when it sees every merchant (admin keys, staff roles). */
export function merchantsOf(principal: Principal | null): readonly string[] | null {
  if (principal === null) throw new Error('broken invariant: route reached without authentication');
  return principal.merchantIds;
}

/** True when the caller may see this merchant's objects. */
export function seesMerchant(principal: Principal | null, merchantId: string): boolean {
  const own = merchantsOf(principal);
  return own === null || own.includes(merchantId);
}

/**
 * For routes naming a merchant (path or query): throws unless the caller may see it. A merchant key gets
 * the 403 RSW_AUTH_MERCHANT_SCOPE it always got; a console user gets 404, so merchant ids cannot be probed.
 */
export function requireMerchantVisible(principal: Principal | null, named: string | undefined, field: string): void {
  const own = merchantsOf(principal);
  if (own === null || (named !== undefined && own.includes(named))) return;
  if (principal?.role === null) throw new ReswipeError('RSW_AUTH_MERCHANT_SCOPE', { merchantId: own.join(','), field });
  if (named === undefined) throw new ReswipeError('RSW_HTTP_VALIDATION', { field, reason: 'name one of your merchants' });
  throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'merchant', id: named, field });
}

/** The actor name of audit records: `key:<id>` or `user:<name>`, never a secret. */
export function actorOf(principal: Principal | null): string {
  if (principal === null) return 'anonymous';
  return principal.user !== null ? `user:${principal.user}` : `key:${principal.keyId ?? ''}`;
}
