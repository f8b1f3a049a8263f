// Goal: `reswipe users` prints a generated password once, that password logs in to the console, the
// database holds only its scrypt hash with its parameters, and list, disable, enable and reset-password
// behave (a disabled user's session dies; a reset password replaces the old one). Method: run the real
// CLI as child processes on a temp SQLite file, then build the HTTP app on that same file and log in
// with app.inject().
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { buildHttpApp } from '../../../src/adapters/http/http-app.ts';
import { createHttpUseCases } from '../../../src/app/http-use-cases.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { runReswipe } from '../../support/reswipe-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-users-'));
const databaseUrl = `sqlite:${join(dir, 'users.db')}`;
after(() => rmSync(dir, { recursive: true, force: true }));

function reswipe(...args: string[]) {
  return runReswipe(['users', ...args], { env: { ...process.env, RESWIPE_DATABASE_URL: databaseUrl } });
}

const silent = { info() {}, warn() {}, error() {}, debug() {} };

test('users create prints a password once that logs in; list, disable, enable and reset-password behave', async () => {
  // The merchant a merchant user is bound to must exist, as `serve` seeds it from the config.
  const seed = await openStore(databaseUrl, { synchronous: 'normal' });
  await seed.write((tx) => tx.upsertMerchant({ id: 'M00000000000001', name: 'Shop', mcc: '5411', accepts: ['debit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: 0, updatedAtMs: 0 }));
  await seed.close();

  const created = reswipe('create', '--user', 'shop-owner', '--role', 'merchant', '--merchant', 'M00000000000001');
  assert.equal(created.status, 0, created.stderr);
  const password = created.stdout.trim();
  assert.match(password, /^[0-9A-Za-z]{20}$/);
  assert.match(created.stderr, /shown only this once/);

  const refused = reswipe('create', '--user', 'till', '--role', 'cashier');
  assert.notEqual(refused.status, 0, 'a cashier needs its merchant');
  assert.match(refused.stderr, /RSW_BAD_ARGUMENT/);
  const unknownMerchant = reswipe('create', '--user', 'till', '--role', 'cashier', '--merchant', 'M99');
  assert.notEqual(unknownMerchant.status, 0);
  const duplicate = reswipe('create', '--user', 'shop-owner', '--role', 'auditor');
  assert.notEqual(duplicate.status, 0);
  assert.match(duplicate.stderr, /exists/);

  const listed = reswipe('list', '--json');
  assert.equal(listed.status, 0, listed.stderr);
  const users = JSON.parse(listed.stdout) as Array<{ name: string; role: string; merchantIds: string[]; disabled: boolean }>;
  assert.deepEqual(users.map((user) => [user.name, user.role, user.merchantIds, user.disabled]), [['shop-owner', 'merchant', ['M00000000000001'], false]]);
  assert.ok(!listed.stdout.includes(password) && !listed.stdout.includes('scrypt'), 'list shows neither password nor hash');

  const store = await openStore(databaseUrl, { synchronous: 'normal' });
  const config = validateConfig({ database: { url: databaseUrl }, security: { developmentMode: true }, log: { level: 'silent' } });
  const clock = { nowMs: () => Date.now() };
  const app = await buildHttpApp({ engine: {} as never, store, clock, logger: silent, config, ...createHttpUseCases({ store, clock, logger: silent, config }) });
  try {
    const stored = await store.getConsoleUser('shop-owner');
    assert.match(stored?.passwordHash ?? '', /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    const login = (secret: string) => app.inject({ method: 'POST', url: '/v1/sessions', payload: { user: 'shop-owner', password: secret } });
    const session = await login(password);
    assert.equal(session.statusCode, 201, session.body);
    const cookie = String(session.headers['set-cookie']).split(';')[0] ?? '';
    const current = () => app.inject({ method: 'GET', url: '/v1/sessions/current', headers: { cookie } });
    assert.equal((await current()).statusCode, 200);

    assert.equal(reswipe('disable', '--user', 'shop-owner').status, 0);
    assert.equal((await current()).statusCode, 401, 'the session died with the disable');
    assert.equal((await login(password)).statusCode, 401);
    assert.equal(reswipe('enable', '--user', 'shop-owner').status, 0);

    const reset = reswipe('reset-password', '--user', 'shop-owner');
    assert.equal(reset.status, 0, reset.stderr);
    const newPassword = reset.stdout.trim();
    assert.notEqual(newPassword, password);
    assert.equal((await login(password)).statusCode, 401, 'the old password no longer works');
    assert.equal((await login(newPassword)).statusCode, 201);
    assert.notEqual(reswipe('disable', '--user', 'nobody').status, 0);

    const actions = (await store.listAudit({ limit: 50 })).filter((record) => record.actor === 'cli').map((record) => record.action);
    assert.deepEqual(actions.sort(), ['user.create', 'user.password_reset', 'user.update', 'user.update']);
  } finally {
    await app.close();
    await store.close();
  }
});
