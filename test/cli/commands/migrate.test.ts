// Goal: `reswipe migrate` applies migrations once, reports them, and fails cleanly on a bad URL.
// Method: run the real command in a child process against a temp SQLite file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printableDatabaseUrl } from '../../../src/cli/commands/migrate.ts';
import { migrations } from '../../../src/adapters/store/migrations.ts';
import { envWithoutReswipe, runReswipe, type ReswipeRun } from '../../support/reswipe-process.ts';

function reswipe(args: string[], env: Record<string, string> = {}): ReswipeRun {
  return runReswipe(args, { cwd: process.cwd(), env: envWithoutReswipe(env) });
}

test('reswipe migrate applies pending migrations once and then reports the schema up to date', () => {
  // The expected versions come from the migrations list, so a new migration does not break this test.
  const versions = migrations.map((migration) => migration.version);
  const latest = versions[versions.length - 1];
  assert.ok(latest !== undefined && versions.length >= 1, 'at least one migration exists');
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-migrate-cli-'));
  try {
    const url = `sqlite:${join(dir, 'gw.db')}`;
    const first = reswipe(['migrate', '--database-url', url]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, `${versions.map((version) => `applied ${version}\n`).join('')}${url}: schema now at ${latest}\n`);
    const second = reswipe(['migrate', '--json'], { RESWIPE_DATABASE_URL: url });
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout), { database: url, applied: [], current: latest });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reswipe migrate on an unusable database exits 2 with one coded line and no stack', () => {
  const result = reswipe(['migrate', '--database-url', `sqlite:${join(tmpdir(), 'no-such-dir-reswipe', 'x.db')}`]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^error RSW_STORE_UNAVAILABLE: .*\(field database\.url\)\n$/);
});

test('printed database URLs hide the password', () => {
  assert.equal(printableDatabaseUrl('postgres://gw:s3cret@db:5432/reswipe'), 'postgres://gw:********@db:5432/reswipe');
  assert.equal(printableDatabaseUrl('postgres://gw@db/reswipe'), 'postgres://gw@db/reswipe');
  assert.equal(printableDatabaseUrl('sqlite:reswipe.db'), 'sqlite:reswipe.db');
});
