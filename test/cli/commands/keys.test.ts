// Goal: `reswipe keys` prints a key once, the key authenticates against the HTTP API, the database holds only its hash, and list/revoke behave. Method: run the real CLI as child processes on a temp SQLite file, then build the HTTP app on that same file and call it with app.inject().
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { buildHttpApp } from '../../../src/adapters/http/http-app.ts';
import { createHttpUseCases } from '../../../src/app/http-use-cases.ts';
import { hashApiKey } from '../../../src/adapters/http/auth.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { runReswipe } from '../../support/reswipe-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-keys-'));
const databaseUrl = `sqlite:${join(dir, 'keys.db')}`;
after(() => rmSync(dir, { recursive: true, force: true }));

function reswipe(...args: string[]) {
  return runReswipe(['keys', ...args], { env: { ...process.env, RESWIPE_DATABASE_URL: databaseUrl } });
}

const silent = { info() {}, warn() {}, error() {}, debug() {} };

test('keys create --admin prints a key that authenticates; the database holds its hash only; revoke turns it off', async () => {
  const created = reswipe('create', '--admin', '--label', 'ops laptop');
  assert.equal(created.status, 0, created.stderr);
  const key = created.stdout.trim();
  assert.match(key, /^rsw_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
  assert.match(created.stderr, /shown only this once/);
  const id = key.slice(4, 16);

  const listed = reswipe('list', '--json');
  assert.equal(listed.status, 0, listed.stderr);
  const keys = JSON.parse(listed.stdout) as Array<{ id: string; scopes: string[]; label: string; revokedAt: string | null }>;
  assert.deepEqual(keys.map((entry) => [entry.id, entry.scopes, entry.label, entry.revokedAt]), [[id, ['admin'], 'ops laptop', null]]);
  assert.ok(!listed.stdout.includes(key.slice(17)), 'list never shows the secret');

  const store = await openStore(databaseUrl, { synchronous: 'normal' });
  try {
    const record = await store.findApiKeyByHash(hashApiKey(key));
    assert.equal(record?.id, id);
    const config = validateConfig({ database: { url: databaseUrl }, security: { developmentMode: true }, log: { level: 'silent' } });
    const engine = { authorize: async () => ({ kind: 'idempotency_mismatch' as const }), getPayment: async () => null, listPayments: async () => ({ data: [], nextCursor: null }), settings: { panKey: 'x'.repeat(16) } };
    const clock = { nowMs: () => Date.now() };
    const app = await buildHttpApp({ engine, store, clock, logger: silent, config, ...createHttpUseCases({ store, clock, logger: silent, config }) });
    try {
      const ok = await app.inject({ method: 'GET', url: '/v1/merchants', headers: { authorization: `Bearer ${key}` } });
      assert.equal(ok.statusCode, 200);
      const revoked = reswipe('revoke', id);
      assert.equal(revoked.status, 0, revoked.stderr);
      const refused = await app.inject({ method: 'GET', url: '/v1/merchants', headers: { authorization: `Bearer ${key}` } });
      assert.equal(refused.statusCode, 401);
    } finally {
      await app.close();
    }
  } finally {
    await store.close();
  }

  // The secret appears nowhere in the database files (main file and WAL).
  const secret = Buffer.from(key.slice(17));
  for (const name of readdirSync(dir)) {
    assert.equal(readFileSync(join(dir, name)).indexOf(secret), -1, `${name} holds the secret`);
  }
});

test('keys create refuses an unknown merchant and a missing scope, with exit code 2 and a stable code', () => {
  const unknown = reswipe('create', '--merchant', 'M00000000000404');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /error RSW_BAD_ARGUMENT: .*--merchant/);
  const none = reswipe('create');
  assert.equal(none.status, 2);
  assert.match(none.stderr, /error RSW_BAD_ARGUMENT: --scope: give at least one scope/);
  const both = reswipe('create', '--admin', '--merchant', 'M00000000000001');
  assert.equal(both.status, 2);
  assert.match(both.stderr, /an admin key is not bound to a merchant/);
  const unknownScope = reswipe('create', '--merchant', 'M00000000000001', '--scope', 'payments:delete');
  assert.equal(unknownScope.status, 2);
  assert.match(unknownScope.stderr, /unknown scope 'payments:delete'/);
  const badExpiry = reswipe('create', '--admin', '--expires-in', '10y');
  assert.equal(badExpiry.status, 2);
  assert.match(badExpiry.stderr, /--expires-in/);
  const revokeUnknown = reswipe('revoke', 'AAAAAAAAAAAA');
  assert.equal(revokeUnknown.status, 2);
});

test('keys create --scope/--expires-in: the key holds exactly those scopes, list shows them with the expiry, and last use appears after a request', async () => {
  // A merchant must exist for a merchant-bound key.
  const seed = await openStore(databaseUrl, { synchronous: 'normal' });
  const nowMs = Date.now();
  await seed.write((tx) => tx.upsertMerchant({ id: 'M00000000000009', name: 'Till shop', mcc: '5411', accepts: ['debit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs }));
  await seed.close();
  const created = reswipe('create', '--merchant', 'M00000000000009', '--scope', 'payments:write,payments:read', '--expires-in', '30d', '--json');
  assert.equal(created.status, 0, created.stderr);
  const { key, id, scopes, expiresAt } = JSON.parse(created.stdout) as { key: string; id: string; scopes: string[]; expiresAt: string };
  assert.deepEqual(scopes, ['payments:write', 'payments:read']);
  const expiresInMs = Date.parse(expiresAt) - nowMs;
  assert.ok(expiresInMs > 29 * 86_400_000 && expiresInMs <= 30 * 86_400_000 + 60_000, expiresAt);

  const store = await openStore(databaseUrl, { synchronous: 'normal' });
  try {
    const config = validateConfig({ database: { url: databaseUrl }, security: { developmentMode: true }, log: { level: 'silent' } });
    const engine = { authorize: async () => ({ kind: 'idempotency_mismatch' as const }), getPayment: async () => null, listPayments: async () => ({ data: [], nextCursor: null }), settings: { panKey: 'x'.repeat(16) } };
    const clock = { nowMs: () => Date.now() };
    const app = await buildHttpApp({ engine, store, clock, logger: silent, config, ...createHttpUseCases({ store, clock, logger: silent, config }) });
    try {
      const read = await app.inject({ method: 'GET', url: '/v1/payments', headers: { authorization: `Bearer ${key}` } });
      assert.equal(read.statusCode, 200, read.body);
      const management = await app.inject({ method: 'GET', url: '/v1/merchants', headers: { authorization: `Bearer ${key}` } });
      assert.equal(management.statusCode, 403);
    } finally {
      await app.close(); // waits for the background last-used write
    }
  } finally {
    await store.close();
  }
  const listed = JSON.parse(reswipe('list', '--json').stdout) as Array<{ id: string; scopes: string[]; expiresAt: string | null; lastUsedAt: string | null }>;
  const entry = listed.find((item) => item.id === id);
  assert.deepEqual(entry?.scopes, ['payments:write', 'payments:read']);
  assert.equal(entry?.expiresAt, expiresAt);
  assert.ok(entry?.lastUsedAt !== null && entry?.lastUsedAt !== undefined, 'the request recorded the last use');
  const text = reswipe('list');
  assert.match(text.stdout, new RegExp(`${id}\\s+payments:write,payments:read\\s+M00000000000009\\s+active until .*used `));
});
