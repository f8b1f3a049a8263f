import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom, newRandomId, newTimeOrderedId } from '../../../src/core/time/random.ts';

test('a time-ordered id has the shape of a random id and sorts by its millisecond', () => {
  const random = new SeededRandom(7);
  const earlier = newTimeOrderedId(random, 'pay', Date.UTC(2026, 11, 6, 10, 0, 0, 0));
  const later = newTimeOrderedId(random, 'pay', Date.UTC(2026, 11, 6, 10, 0, 0, 1));
  for (const id of [earlier, later]) assert.match(id, /^pay_[0-9a-f]{32}$/);
  assert.ok(earlier < later, `${earlier} sorts before ${later}`);
  assert.equal(earlier.slice(4, 16), Date.UTC(2026, 11, 6, 10, 0, 0, 0).toString(16).padStart(12, '0'));
});

test('ids of the same millisecond differ in their random part', () => {
  const random = new SeededRandom(7);
  const ids = new Set(Array.from({ length: 1000 }, () => newTimeOrderedId(random, 'att', 1_765_000_000_000)));
  assert.equal(ids.size, 1000);
});

test('a time-ordered id draws as many random numbers as a random id, so a seeded run keeps its sequence', () => {
  const timeOrdered = new SeededRandom(42);
  const plain = new SeededRandom(42);
  newTimeOrderedId(timeOrdered, 'pay', 1);
  newRandomId(plain, 'pay');
  assert.equal(timeOrdered.nextUint32(), plain.nextUint32());
});
