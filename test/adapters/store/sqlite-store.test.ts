// Goal: the SQLite adapter passes the store behaviour suite and keeps committed data across a
// close and reopen. Method: a fresh temp file per test, removed afterwards.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { SqliteStore, writerCacheKib } from '../../../src/adapters/store/sqlite-store.ts';
import { migrations } from '../../../src/adapters/store/migrations.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { defineStoreBehaviour } from './store-behaviour.ts';
import { defineNotificationStoreBehaviour } from './notification-store-behaviour.ts';
import { defineConsoleAccessStoreBehaviour } from './console-access-store-behaviour.ts';
import { merchant, payment } from './store-fixtures.ts';

// The behaviour suite's files live apart, so its cleanup cannot remove files of the tests below.
const behaviourDir = mkdtempSync(join(tmpdir(), 'reswipe-sqlite-behaviour-'));
const dir = mkdtempSync(join(tmpdir(), 'reswipe-sqlite-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function freshUrl(inDir = dir): string {
  files += 1;
  return `sqlite:${join(inDir, `store-${files}.db`)}`;
}

defineStoreBehaviour('sqlite', () => openStore(freshUrl(behaviourDir), { detectNestedWrites: true }), async () => rmSync(behaviourDir, { recursive: true, force: true }));
const notificationDir = mkdtempSync(join(tmpdir(), 'reswipe-sqlite-notifications-'));
defineNotificationStoreBehaviour('sqlite', () => openStore(freshUrl(notificationDir), { detectNestedWrites: true }), async () => rmSync(notificationDir, { recursive: true, force: true }));
const consoleAccessDir = mkdtempSync(join(tmpdir(), 'reswipe-sqlite-console-access-'));
defineConsoleAccessStoreBehaviour('sqlite', () => openStore(freshUrl(consoleAccessDir), { detectNestedWrites: true }), async () => rmSync(consoleAccessDir, { recursive: true, force: true }));

test('sqlite: committed units survive closing and reopening the file', async () => {
  const url = freshUrl();
  const first = await openStore(url);
  await first.write((tx) => tx.upsertMerchant(merchant('m1')));
  await Promise.all(Array.from({ length: 50 }, (_, n) => first.write((tx) => tx.insertPayment(payment(`p${n}`, 'm1')))));
  // A unit that fails leaves no trace after the reopen either.
  await first.write((tx) => tx.insertPayment(payment('p0', 'm1'))).catch(() => undefined);
  await first.close();
  const second = await openStore(url);
  try {
    assert.deepEqual(await second.migrate(), { applied: [], current: migrations[migrations.length - 1]?.version });
    const page = await second.listPayments({ limit: 100 });
    assert.equal(page.data.length, 50);
    assert.deepEqual(await second.getPayment('p7'), payment('p7', 'm1'));
  } finally {
    await second.close();
  }
});

test('sqlite: committed data is readable by another connection before the writer closes', async () => {
  const url = freshUrl();
  const writer = await openStore(url);
  const other = await openStore(url);
  try {
    await writer.write((tx) => tx.upsertMerchant(merchant('m1')));
    // Durable and visible at once: the write resolved only after COMMIT, and WAL readers see it.
    assert.deepEqual(await other.getMerchant('m1'), merchant('m1'));
  } finally {
    await other.close();
    await writer.close();
  }
});

test('sqlite: a new database file and its -wal and -shm are readable by their owner only (0600)', async () => {
  const url = freshUrl();
  const file = url.slice('sqlite:'.length);
  const previousUmask = process.umask(0o022); // the usual umask, which would leave a new file 0644
  try {
    const store = await openStore(url);
    try {
      await store.write((tx) => tx.upsertMerchant(merchant('m1')));
      for (const path of [file, `${file}-wal`, `${file}-shm`]) {
        assert.ok(existsSync(path), path);
        assert.equal((statSync(path).mode & 0o777).toString(8), '600', path);
      }
    } finally {
      await store.close();
    }
  } finally {
    process.umask(previousUmask);
  }
});

test('sqlite: :memory: works for quick tests', async () => {
  const store = await openStore('sqlite::memory:');
  try {
    await store.write((tx) => tx.upsertMerchant(merchant('m1')));
    assert.equal((await store.getMerchant('m1'))?.id, 'm1');
  } finally {
    await store.close();
  }
});

test('sqlite: a path in a missing directory fails with RSW_STORE_UNAVAILABLE naming database.url', async () => {
  const missing = join(dir, 'no', 'such', 'dir', 'x.db');
  await assert.rejects(openStore(`sqlite:${missing}`), (error) => isReswipeError(error, 'RSW_STORE_UNAVAILABLE'));
  assert.equal(existsSync(missing), false);
});

test('sqlite: a database migrated by a newer reswipe is refused with RSW_STORE_SCHEMA_NEWER', async () => {
  const url = freshUrl();
  const store = await openStore(url);
  await store.close();
  const raw = new Database(url.slice('sqlite:'.length));
  try {
    raw.prepare('INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)').run('9999_future', 1);
  } finally {
    raw.close();
  }
  await assert.rejects(openStore(url), (error) => isReswipeError(error, 'RSW_STORE_SCHEMA_NEWER'));
});

test('sqlite: the audit log refuses UPDATE and DELETE in the database itself (migration 0011)', async () => {
  const url = freshUrl();
  const store = await openStore(url);
  await store.write((tx) => tx.appendAudit({ id: 'au1', actor: 'cli', action: 'api_key.create', subjectId: 'k1', detail: {}, atMs: 1 }));
  await store.close();
  const db = new Database(url.slice('sqlite:'.length));
  try {
    assert.throws(() => db.prepare("UPDATE audit_log SET actor = 'someone else'").run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit_log').run(), /append-only/);
    assert.equal((db.prepare('SELECT actor FROM audit_log').get() as { actor: string }).actor, 'cli');
  } finally {
    db.close();
  }
});

test('sqlite: migration 0011 gives existing keys the scopes of their kind', () => {
  const path = freshUrl().slice('sqlite:'.length);
  const db = new Database(path);
  try {
    db.exec('CREATE TABLE schema_migrations (version TEXT NOT NULL PRIMARY KEY, applied_at_ms INTEGER NOT NULL)');
    for (const migration of migrations.filter((m) => m.version < '0011')) db.exec(migration.sqlite);
    db.exec("INSERT INTO merchants (id, name, mcc, accepts, limits, fee_plan, disabled, created_at_ms, updated_at_ms) VALUES ('m1', 'M', '5411', '[]', '{}', 'standard', 0, 1, 1)");
    db.exec("INSERT INTO api_keys (id, secret_hash, scope, merchant_id, label, created_at_ms, revoked_at_ms) VALUES ('ka', 'ha', 'admin', NULL, '', 1, NULL), ('km', 'hm', 'merchant', 'm1', '', 1, NULL)");
    for (const migration of migrations.filter((m) => m.version >= '0011')) db.exec(migration.sqlite);
    const rows = db.prepare('SELECT id, scopes FROM api_keys ORDER BY id').all() as Array<{ id: string; scopes: string }>;
    assert.deepEqual(rows.map((row) => [row.id, JSON.parse(row.scopes)]), [
      ['ka', ['admin']],
      ['km', ['payments:write', 'payments:read', 'refunds:write']],
    ]);
  } finally {
    db.close();
  }
});

test('sqlite: STANs come from durably reserved blocks; two stores on one file, a rolled-back block and a reopen never hand one out twice', async () => {
  const url = freshUrl();
  const first = await openStore(url, { stanBlockSize: 10 });
  const second = await openStore(url, { stanBlockSize: 10 });
  const drawn: string[] = [];
  try {
    drawn.push(await first.write((tx) => tx.nextStan('bank-a'))); // first reserves 1..10
    // A unit that reserves a block and then fails: its reservation is undone, so the block must be forgotten.
    await second.write(async (tx) => {
      drawn.push(await tx.nextStan('bank-a')); // 11..20 reserved inside this unit...
      throw new Error('rolled back');
    }).catch(() => undefined);
    drawn.pop(); // ...and undone: that STAN was never used
    for (let n = 0; n < 12; n++) drawn.push(await second.write((tx) => tx.nextStan('bank-a')));
    for (let n = 0; n < 12; n++) drawn.push(await first.write((tx) => tx.nextStan('bank-a')));
    assert.equal(new Set(drawn).size, drawn.length, `no STAN twice: ${drawn.join(' ')}`);
    // One counter write per block: first holds 1..10 (draws 1, then 2..10 and 31..33), second 11..20 (the
    // rolled-back reservation, made again) and 21..22; four reservations, the counter at the end of the last.
    const stats = new Database(url.slice('sqlite:'.length), { readonly: true });
    try {
      assert.equal((stats.prepare("SELECT value FROM stan_counters WHERE channel = 'bank-a'").get() as { value: number }).value, 40);
    } finally {
      stats.close();
    }
  } finally {
    await second.close();
    await first.close();
  }
  // After a restart the rest of each block is skipped, never reused.
  const reopened = await openStore(url, { stanBlockSize: 10 });
  try {
    assert.equal(await reopened.write((tx) => tx.nextStan('bank-a')), '000041');
  } finally {
    await reopened.close();
  }
});

test('sqlite: a merchant changed by another process is read fresh once the cache checks the version, and stale before', async () => {
  const url = freshUrl();
  const slow = await openStore(url, { configCacheCheckMs: 3_600_000 });
  const prompt = await openStore(url, { configCacheCheckMs: 0 });
  const other = await openStore(url);
  try {
    await other.write((tx) => tx.upsertMerchant(merchant('m1')));
    assert.equal((await slow.getMerchant('m1'))?.disabled, false);
    assert.equal((await prompt.getMerchant('m1'))?.disabled, false);
    await other.write((tx) => tx.upsertMerchant(merchant('m1', { disabled: true })));
    // The cache is real: within its check interval a store keeps its copy of another process's record...
    assert.equal((await slow.getMerchant('m1'))?.disabled, false);
    // ...and a store that checks the version sees the change.
    assert.equal((await prompt.getMerchant('m1'))?.disabled, true);
  } finally {
    await other.close();
    await prompt.close();
    await slow.close();
  }
});

test('sqlite: the writer\'s page cache is a 128th of the file, not less than the 16 MB a connection starts with, at most database.cacheMb', () => {
  assert.equal(writerCacheKib(0, 64), 16_000);
  assert.equal(writerCacheKib(1024 * 1024 * 1024, 64), 16_000);
  assert.equal(writerCacheKib(4 * 1024 * 1024 * 1024, 64), 32 * 1024);
  assert.equal(writerCacheKib(20 * 1024 * 1024 * 1024, 64), 64 * 1024);
  assert.equal(writerCacheKib(20 * 1024 * 1024 * 1024, 24), 24 * 1024);
  assert.equal(writerCacheKib(0, 4), 4 * 1024);
});

test('sqlite: the writer keeps its statement journals in memory, and a unit that fails after a large one is rolled back alone', async () => {
  const store = SqliteStore.open(join(dir, 'temp-store.db'));
  try {
    await store.migrate();
    assert.equal(store.writerTempStoreNow(), 2);
    await store.write(async (tx) => tx.upsertMerchant(merchant('m1')));
    // One batch: a unit that changes far more than the 64 KiB a statement journal held in memory before
    // spilling to a file, then a unit that fails after its write, then one that succeeds.
    const big = store.write(async (tx) => {
      for (let i = 0; i < 400; i++) await tx.insertPayment(payment(`pay_big_${String(i).padStart(4, '0')}`, 'm1', { createdAtMs: 1000 + i, terminalStan: null }));
    });
    const failing = store.write(async (tx) => {
      await tx.insertPayment(payment('pay_rolled_back', 'm1', { createdAtMs: 5000, terminalStan: null }));
      throw new Error('unit fails after its write');
    });
    const after = store.write(async (tx) => tx.insertPayment(payment('pay_after', 'm1', { createdAtMs: 6000, terminalStan: null })));
    const [bigResult, failingResult, afterResult] = await Promise.allSettled([big, failing, after]);
    assert.equal(bigResult.status, 'fulfilled');
    assert.equal(failingResult.status === 'rejected' && (failingResult.reason as Error).message, 'unit fails after its write');
    assert.equal(afterResult.status, 'fulfilled');
    assert.equal((await store.getPayment('pay_big_0399'))?.id, 'pay_big_0399');
    assert.equal(await store.getPayment('pay_rolled_back'), null);
    assert.equal((await store.getPayment('pay_after'))?.id, 'pay_after');
  } finally {
    await store.close();
  }
});

test('sqlite: the writer gets the page cache writerCacheKib gives for its file and database.cacheMb', async () => {
  const fresh = SqliteStore.open(join(dir, 'cache-default.db'));
  await fresh.migrate();
  assert.equal(fresh.writerCacheSizeKib(), 16_000);
  await fresh.close();
  const capped = SqliteStore.open(join(dir, 'cache-capped.db'), { cacheMb: 4 });
  await capped.migrate();
  assert.equal(capped.writerCacheSizeKib(), 4 * 1024);
  await capped.close();
});
