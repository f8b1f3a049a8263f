// Goal: multi-row statements and IN lists stay within one statement's parameters on both databases and
// come in a handful of statement texts whatever the count (the SQLite store caches prepared statements
// by text, 1 000 at most): slices of powers of two, IN lists padded with their last value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inListSlices, paramsPerStatementMax, statementSlices } from '../../../src/adapters/store/sql-executor.ts';

test('multi-row slices: every record once, in order, within the bound, in sizes that are powers of two', () => {
  const sizes = new Set<number>();
  for (const count of [0, 1, 2, 3, 57, 128, 166, 255, 256, 400, 5_600]) {
    const records = Array.from({ length: count }, (_, i) => i);
    const slices = statementSlices(records, 12);
    assert.deepEqual(slices.flat(), records);
    for (const slice of slices) {
      assert.ok(slice.length * 12 <= paramsPerStatementMax);
      assert.equal(slice.length & (slice.length - 1), 0, `${slice.length} is a power of two`);
      sizes.add(slice.length);
    }
  }
  assert.deepEqual(statementSlices(Array.from({ length: 57 }, (_, i) => i), 12).map((slice) => slice.length), [32, 16, 8, 1]);
  assert.deepEqual(statementSlices(Array.from({ length: 300 }, (_, i) => i), 12).map((slice) => slice.length), [128, 128, 32, 8, 4]);
  assert.ok(sizes.size <= 8, `${sizes.size} statement texts for a 12-column table`);
  assert.ok(statementSlices(Array.from({ length: 5 }, (_, i) => i), paramsPerStatementMax * 2).every((slice) => slice.length === 1), 'a record wider than the bound still goes, alone');
});

test('IN lists: padded with their last value to a power of two, within the bound with the other parameters', () => {
  assert.deepEqual(inListSlices([]), []);
  assert.deepEqual(inListSlices(['a']), [['a']]);
  assert.deepEqual(inListSlices(['a', 'b', 'c']), [['a', 'b', 'c', 'c']]);
  const ids = Array.from({ length: 4_500 }, (_, i) => `id${i}`);
  const slices = inListSlices(ids, 1);
  assert.deepEqual([...new Set(slices.flat())], ids);
  assert.ok(slices.every((slice) => slice.length + 1 <= paramsPerStatementMax));
  const texts = new Set<number>();
  for (let count = 1; count <= 1_000; count += 1) texts.add(inListSlices(ids.slice(0, count))[0]?.length ?? 0);
  assert.equal(texts.size, 11, 'one text per power of two up to 1 024');
});
