// Goal: the SQLite adapter passes the store behaviour suite and keeps committed data across a
// close and reopen. Method: a fresh temp file per test, removed afterwards.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { migrations } from '../../../src/adapters/store/migrations.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { defineStoreBehaviour } from './store-behaviour.ts';
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
