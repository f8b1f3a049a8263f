// Goal: API keys have the documented shape, are stored only as a hash, and every bad Authorization header is refused the same way. Method: generate keys, parse and hash them, and authenticate against an in-memory key lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate, bearerTokenOf, generateApiKey, hashApiKey, parseApiKey, randomBase62 } from '../../../src/adapters/http/auth.ts';
import type { ApiKeyRecord } from '../../../src/core/ports/store.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

test('a new key is rsw_<12 base62>_<32 base62>, its id is the prefix and the record holds only the SHA-256', () => {
  const { key, record } = generateApiKey({ scope: 'merchant', merchantId: 'M00000000000001' }, 'till 3', 1_000);
  assert.match(key, /^rsw_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
  assert.equal(parseApiKey(key)?.id, record.id);
  assert.equal(record.secretHash, hashApiKey(key));
  assert.match(record.secretHash, /^[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(record).includes(key.slice(17)));
  assert.deepEqual(
    { scopes: record.scopes, merchantId: record.merchantId, label: record.label, revokedAtMs: record.revokedAtMs, expiresAtMs: record.expiresAtMs },
    { scopes: ['payments:write', 'payments:read', 'refunds:write'], merchantId: 'M00000000000001', label: 'till 3', revokedAtMs: null, expiresAtMs: null },
  );
});

test('keys do not repeat and use the whole base62 alphabet', () => {
  const keys = new Set(Array.from({ length: 200 }, () => generateApiKey({ scope: 'admin' }, '', 0).key));
  assert.equal(keys.size, 200);
  const text = randomBase62(20_000);
  assert.equal(new Set(text).size, 62);
});

test('bearer tokens: absent, wrong scheme and oversized headers', () => {
  const rows: Array<[string | undefined, string | null]> = [
    [undefined, null],
    ['', null],
    ['Bearer abc', 'abc'],
    ['bearer   abc  ', 'abc'],
    ['Basic abc', ''],
    [`Bearer ${'a'.repeat(600)}`, ''],
  ];
  for (const [header, token] of rows) assert.equal(bearerTokenOf(header), token, String(header));
});

test('authenticate: valid admin and merchant keys; unknown, malformed, mismatched id and revoked keys all fail as RSW_AUTH_INVALID', async () => {
  const admin = generateApiKey({ scope: 'admin' }, '', 0);
  const merchant = generateApiKey({ scope: 'merchant', merchantId: 'M00000000000001' }, '', 0);
  const revoked = generateApiKey({ scope: 'admin' }, '', 0);
  const records = new Map<string, ApiKeyRecord>([
    [admin.record.secretHash, admin.record],
    [merchant.record.secretHash, merchant.record],
    [revoked.record.secretHash, { ...revoked.record, revokedAtMs: 5 }],
  ]);
  const store = { findApiKeyByHash: async (hash: string) => records.get(hash) ?? null };
  assert.deepEqual(await authenticate(store, `Bearer ${admin.key}`, 0), { keyId: admin.record.id, scopes: ['admin'], merchantId: null, user: null, role: null, merchantIds: null, session: null });
  assert.deepEqual(await authenticate(store, `Bearer ${merchant.key}`, 0), {
    keyId: merchant.record.id,
    scopes: ['payments:write', 'payments:read', 'refunds:write'],
    merchantId: 'M00000000000001',
    user: null,
    role: null,
    merchantIds: ['M00000000000001'],
    session: null,
  });
  await assert.rejects(authenticate(store, undefined, 0), (error) => isReswipeError(error, 'RSW_AUTH_MISSING'));
  // The same secret under another id must not authenticate: the id is part of what was issued.
  const otherId = admin.key.replace(/^rsw_[0-9A-Za-z]{12}/, 'rsw_AAAAAAAAAAAA');
  records.set(hashApiKey(otherId), { ...admin.record });
  for (const header of [`Bearer ${revoked.key}`, 'Bearer rsw_short', `Bearer ${admin.key}x`, `Bearer ${otherId}`, 'Token x']) {
    await assert.rejects(authenticate(store, header, 0), (error) => isReswipeError(error, 'RSW_AUTH_INVALID'), header);
  }
});

test('authenticate: a key past its expiry fails as RSW_AUTH_EXPIRED from the expiry instant on; before it, it works', async () => {
  const expiring = generateApiKey({ scopes: ['payments:read'], merchantId: 'M00000000000001', expiresAtMs: 1_000 }, '', 0);
  const store = { findApiKeyByHash: async (hash: string) => (hash === expiring.record.secretHash ? expiring.record : null) };
  assert.equal((await authenticate(store, `Bearer ${expiring.key}`, 999)).keyId, expiring.record.id);
  await assert.rejects(authenticate(store, `Bearer ${expiring.key}`, 1_000), (error) => isReswipeError(error, 'RSW_AUTH_EXPIRED'));
});

test('authenticate: a non-admin key row without a merchant is refused, never widened to every merchant', async () => {
  const broken = generateApiKey({ scopes: ['payments:read'], merchantId: null }, '', 0);
  const store = { findApiKeyByHash: async () => broken.record };
  await assert.rejects(authenticate(store, `Bearer ${broken.key}`, 0), (error) => isReswipeError(error, 'RSW_AUTH_INVALID'));
});

test('ApiAuth: last use is written once per key per interval, in the background, never once per request', async () => {
  const { ApiAuth } = await import('../../../src/adapters/http/auth.ts');
  const key = generateApiKey({ scope: 'admin' }, '', 0);
  const touches: Array<[string, number]> = [];
  let nowMs = 1_000;
  const store = {
    findApiKeyByHash: async (hash: string) => (hash === key.record.secretHash ? key.record : null),
    write: async <T>(work: (tx: never) => Promise<T>): Promise<T> => work({ touchApiKey: async (id: string, atMs: number) => void touches.push([id, atMs]) } as never),
  };
  const auth = new ApiAuth({ store: store as never, nowMs: () => nowMs, logger: { info() {}, warn() {}, error() {}, debug() {} }, lastUsedWriteIntervalMs: 60_000 });
  const request = { headers: { authorization: `Bearer ${key.key}` } } as never;
  for (let n = 0; n < 50; n++) await auth.authenticateRequest(request, {} as never);
  nowMs += 59_999;
  await auth.authenticateRequest(request, {} as never);
  nowMs += 1;
  await auth.authenticateRequest(request, {} as never);
  await auth.close();
  assert.deepEqual(touches, [
    [key.record.id, 1_000],
    [key.record.id, 61_000],
  ]);
});
