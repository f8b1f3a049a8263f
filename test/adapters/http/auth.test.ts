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
  assert.deepEqual({ scope: record.scope, merchantId: record.merchantId, label: record.label, revokedAtMs: record.revokedAtMs }, { scope: 'merchant', merchantId: 'M00000000000001', label: 'till 3', revokedAtMs: null });
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
  assert.deepEqual(await authenticate(store, `Bearer ${admin.key}`), { scope: 'admin', keyId: admin.record.id });
  assert.deepEqual(await authenticate(store, `Bearer ${merchant.key}`), { scope: 'merchant', keyId: merchant.record.id, merchantId: 'M00000000000001' });
  await assert.rejects(authenticate(store, undefined), (error) => isReswipeError(error, 'RSW_AUTH_MISSING'));
  // The same secret under another id must not authenticate: the id is part of what was issued.
  const otherId = admin.key.replace(/^rsw_[0-9A-Za-z]{12}/, 'rsw_AAAAAAAAAAAA');
  records.set(hashApiKey(otherId), { ...admin.record });
  for (const header of [`Bearer ${revoked.key}`, 'Bearer rsw_short', `Bearer ${admin.key}x`, `Bearer ${otherId}`, 'Token x']) {
    await assert.rejects(authenticate(store, header), (error) => isReswipeError(error, 'RSW_AUTH_INVALID'), header);
  }
});
