// API keys of the HTTP API. A key looks like `rsw_<id>_<secret>`: the id (12 base62 characters) is
// not secret and names the key in `reswipe keys list` and audit records; the secret (32 base62
// characters, about 190 bits) is shown once when the key is created and never stored. The store
// keeps the SHA-256 of the whole key, and a request is authenticated by looking that hash up: a
// hash lookup leaks nothing through timing that would help guess a 190-bit secret.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRecord, Store } from '../../core/ports/store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';

export const apiKeyPrefix = 'rsw_';
export const apiKeyIdChars = 12;
export const apiKeySecretChars = 32;
/** Longest Authorization header value looked at; a longer one is refused before hashing. */
export const authorizationCharsMax = 512;

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const apiKeyPattern = new RegExp(`^${apiKeyPrefix}([0-9A-Za-z]{${apiKeyIdChars}})_([0-9A-Za-z]{${apiKeySecretChars}})$`);

/** Who is calling: an admin, or one merchant. */
export type Principal = { scope: 'admin'; keyId: string } | { scope: 'merchant'; keyId: string; merchantId: string };

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

/** Makes a new key and the record to store for it (the record holds only the hash). */
export function generateApiKey(input: { scope: 'admin' } | { scope: 'merchant'; merchantId: string }, label: string, nowMs: number): NewApiKey {
  const id = randomBase62(apiKeyIdChars);
  const key = `${apiKeyPrefix}${id}_${randomBase62(apiKeySecretChars)}`;
  return {
    key,
    record: {
      id,
      secretHash: hashApiKey(key),
      scope: input.scope,
      merchantId: input.scope === 'merchant' ? input.merchantId : null,
      label,
      createdAtMs: nowMs,
      revokedAtMs: null,
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

/** Resolves a request's key to a principal; throws RSW_AUTH_MISSING or RSW_AUTH_INVALID (unknown, malformed and revoked look the same). */
export async function authenticate(store: Pick<Store, 'findApiKeyByHash'>, authorization: string | undefined): Promise<Principal> {
  const token = bearerTokenOf(authorization);
  if (token === null) throw new ReswipeError('RSW_AUTH_MISSING');
  const parsed = parseApiKey(token);
  if (parsed === null) throw new ReswipeError('RSW_AUTH_INVALID');
  const record = await store.findApiKeyByHash(hashApiKey(token));
  if (record === null || record.id !== parsed.id || record.revokedAtMs !== null) throw new ReswipeError('RSW_AUTH_INVALID');
  if (record.scope === 'admin') return { scope: 'admin', keyId: record.id };
  if (record.merchantId === null) throw new ReswipeError('RSW_AUTH_INVALID');
  return { scope: 'merchant', keyId: record.id, merchantId: record.merchantId };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every route that needs a key. */
    principal: Principal | null;
  }
}

/** A preHandler hook for routes that need any valid key. */
export function requireKey(store: Pick<Store, 'findApiKeyByHash'>) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    request.principal = await authenticate(store, request.headers.authorization);
  };
}

/** A preHandler hook for management routes: an admin key only. */
export function requireAdmin(store: Pick<Store, 'findApiKeyByHash'>) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const principal = await authenticate(store, request.headers.authorization);
    if (principal.scope !== 'admin') throw new ReswipeError('RSW_AUTH_ADMIN_REQUIRED');
    request.principal = principal;
  };
}

/** The merchant a principal is confined to, or undefined for admin (sees all). */
export function merchantScopeOf(principal: Principal | null): string | undefined {
  if (principal === null) throw new Error('broken invariant: route reached without authentication');
  return principal.scope === 'merchant' ? principal.merchantId : undefined;
}

/** The actor name of audit records: `key:<id>`, never the secret. */
export function actorOf(principal: Principal | null): string {
  return principal === null ? 'anonymous' : `key:${principal.keyId}`;
}
