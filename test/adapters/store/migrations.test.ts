// Goal: released migrations never change and never drift between the two databases. Method: pin
// a hash of each migration's text, check versions are sorted and unique, and compare the tables,
// indexes and constraint names each dialect declares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { migrations } from '../../../src/adapters/store/migrations.ts';
import { uniqueConstraints } from '../../../src/adapters/store/map-database-error.ts';

/** Append a line when adding a migration; never edit a line. */
const pinned: Record<string, string> = {
  '0001_core': '828ed15a9652c51d/a8a969f449ceee95',
  '0002_card_declines': 'ab1f65cab1477b5c/ab1f65cab1477b5c',
  '0003_card_recent': 'e4a012fa093d9bed/e4a012fa093d9bed',
  '0004_manual_handling': '1844723dfa5f6c9b/075a256f65ca5882',
  '0005_transaction_set_indexes': 'b64f92670d2754e1/b64f92670d2754e1',
  '0006_payment_indexes': '83f18c20e2bc04e7/83f18c20e2bc04e7',
  '0009_manual_resolutions': '8495ea070dbe4fec/709fef5518f6fbb1',
  '0010_pan_key_ids': '196f3327300a41b6/196f3327300a41b6',
  '0011_key_scopes_audit': 'cadfed71d3c7d380/8412de5f3a4d5c90',
  '0012_terminal_keys': '5850dd9cfd2431b4/9571f0168a23152a',
  '0013_config_cache_version': '4e846c1409113a5d/8d6991bc80ff292d',
  '0014_payment_journal': '577db951c34360c7/27d11185ec505fb9',
  '0015_reconciliation': 'a47c9abd983874f5/3154ef0ee090b544',
  '0016_payouts': '25afdf119cf22b04/53197f09f0cb0cb2',
  '0017_alerts_webhooks': 'c15042519f35ae40/cda692f3bdd57fd2',
  '0018_drill_reports': 'db59a0f87672daa9/3f0cd1e49772a0a0',
  '0019_console_access': 'effd559f5d3c9ba1/44fad7ebb7cc38f3',
  '0020_analytics_rollup': '506d8dc699be76cb/b345ec814eb19246',
  '0021_qr_payments': '5d2ea058b6135b02/a87bc050dc25cf4a',
  '0022_cluster': '6f28cc34627885a1/50610c3e2b629f2e',
  '0023_channel_health': 'a35b9deab0f25929/f8f1ab11a294f3ed',
  '0024_channel_overrides': '077dcd94d7aa9c94/263d43a7b58b8f4c',
  '0025_live_configuration_provenance': '3ac53089173c6c7a/f4daa9178e0366d9',
  '0027_payment_list': '1e80edbbb29c4777/ddbb59a005a37b31',
  '0028_limit_totals': '94ed6888b579076d/94ed6888b579076d',
  '0030_terminal_list_index': '3298fd8c1277556b/3298fd8c1277556b',
  '0034_outbox_finished': '2eb00870edb6ce7f/2eb00870edb6ce7f',
};

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

test('released migrations are unchanged (edit by adding a new migration instead)', () => {
  for (const migration of migrations) {
    assert.equal(`${sha256(migration.sqlite)}/${sha256(migration.postgres)}`, pinned[migration.version], migration.version);
  }
  assert.deepEqual(Object.keys(pinned), migrations.map((m) => m.version), 'every migration is pinned');
});

test('versions are unique and in order', () => {
  const versions = migrations.map((m) => m.version);
  assert.deepEqual([...versions].sort(), versions);
  assert.equal(new Set(versions).size, versions.length);
  for (const version of versions) assert.match(version, /^\d{4}_[a-z0-9_]+$/);
});

function declaredNames(sql: string): string[] {
  return [...sql.matchAll(/(?:CREATE (?:UNIQUE )?INDEX|CREATE TABLE|CONSTRAINT) (\w+)/g)].map((m) => m[1] as string);
}

test('both dialects declare the same tables, indexes and constraints', () => {
  for (const migration of migrations) assert.deepEqual(declaredNames(migration.sqlite), declaredNames(migration.postgres));
});

test('every unique constraint the error mapping knows is declared in a migration', () => {
  const declared = new Set(migrations.flatMap((m) => declaredNames(m.postgres)));
  for (const constraint of uniqueConstraints) {
    if (constraint.name === 'events_pkey') continue; // an identity / AUTOINCREMENT key, named by the database
    assert.ok(declared.has(constraint.name), constraint.name);
  }
});

test('no column could hold card data in clear', () => {
  const columns = migrations.flatMap((migration) => [
    ...[...migration.postgres.matchAll(/^\s+(\w+) [A-Z]/gm)].map((m) => m[1] as string),
    ...[...migration.postgres.matchAll(/ADD COLUMN (\w+)/g)].map((m) => m[1] as string),
  ]);
  assert.ok(columns.includes('pan_masked'), 'the scan sees the columns of CREATE TABLE');
  assert.ok(columns.includes('pan_fingerprint'), 'the scan sees the columns of ALTER TABLE');
  for (const column of columns) assert.doesNotMatch(column, /^(pan|card_number|cvv|cvv2|cvc|track\d?|track_data|pin|pin_block)$/, column);
});

test('0027 fills the payment list from the payments already stored, but for the sales in flight', async () => {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(':memory:');
  try {
    const upTo = migrations.findIndex((m) => m.version === '0027_payment_list');
    for (const migration of migrations.slice(0, upTo)) db.exec(migration.sqlite);
    // The merchant's other columns do not matter here; its foreign key does, and SQLite checks it only when told to.
    db.pragma('foreign_keys = OFF');
    const insert = db.prepare(
      `INSERT INTO payments (id, kind, status, intake, merchant_id, amount_minor, currency, pan_fingerprint, pan_masked, pan_last4, card_brand, card_type, entry_mode, created_at_ms, updated_at_ms, version, journal_seq)
       VALUES (?, 'sale', ?, 'http', 'm1', 100, 'CNY', 'f', '622202******0123', '0123', 'unionpay', 'debit', 'chip', 1, 1, 1, ?)`,
    );
    insert.run('before-journal', 'approved', null);
    insert.run('journalled', 'declined', 1);
    insert.run('pending-journalled', 'pending', 2);
    insert.run('in-flight', 'pending', null);
    db.exec(migrations[upTo]?.sqlite ?? '');
    const listed = db.prepare('SELECT id, status, journal_seq FROM payment_list ORDER BY id').all();
    assert.deepEqual(listed, [
      { id: 'before-journal', status: 'approved', journal_seq: null },
      { id: 'journalled', status: 'declined', journal_seq: 1 },
      { id: 'pending-journalled', status: 'pending', journal_seq: 2 },
    ]);
  } finally {
    db.close();
  }
});
