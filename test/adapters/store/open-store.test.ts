// Goal: database URLs map to the right store, and bad ones fail with a stable code naming
// database.url. Method: a table of URLs through parseDatabaseUrl, plus openStore on bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { openStore, parseDatabaseUrl } from '../../../src/adapters/store/open-store.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const cases: Array<[string, ReturnType<typeof parseDatabaseUrl> | 'error']> = [
  ['sqlite:reswipe.db', { kind: 'sqlite', path: resolve('reswipe.db') }],
  ['sqlite:/var/lib/reswipe/data.db', { kind: 'sqlite', path: '/var/lib/reswipe/data.db' }],
  ['sqlite:///var/lib/reswipe/data.db', { kind: 'sqlite', path: '/var/lib/reswipe/data.db' }],
  ['sqlite::memory:', { kind: 'sqlite', path: ':memory:' }],
  ['postgres://u@db:5432/reswipe', { kind: 'postgres', url: 'postgres://u@db:5432/reswipe' }],
  ['postgresql://u@db/reswipe?sslmode=require', { kind: 'postgres', url: 'postgresql://u@db/reswipe?sslmode=require' }],
  ['sqlite:', 'error'],
  ['mysql://u@db/reswipe', 'error'],
  ['reswipe.db', 'error'],
  ['', 'error'],
];

for (const [url, expected] of cases) {
  test(`database URL ${JSON.stringify(url)}`, () => {
    if (expected === 'error') {
      assert.throws(
        () => parseDatabaseUrl(url),
        (error) => isReswipeError(error, 'RSW_STORE_URL_UNSUPPORTED') && error.field === 'database.url',
      );
    } else {
      assert.deepEqual(parseDatabaseUrl(url), expected);
    }
  });
}

test('openStore rejects an unknown scheme before touching anything', async () => {
  await assert.rejects(openStore('redis://localhost'), (error) => isReswipeError(error, 'RSW_STORE_URL_UNSUPPORTED'));
});
