// Goal: one detector finds card numbers hidden in free text, grouped or not, and leaves ordinary
// numbers alone. Method: a table of texts with the runs expected, plus a property: any Luhn-valid
// 13-19 digit number embedded in letters is found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findPanLikeRuns, hasPanLikeRun } from '../../../src/core/cards/find-pan-like-runs.ts';
import { luhnCheckDigit } from '../../../src/core/cards/card-brands.ts';

test('findPanLikeRuns: table', () => {
  const rows: Array<[string, string[]]> = [
    ['order 6225880000000019 x', ['6225880000000019']],
    ['idem-5200828282828210', ['5200828282828210']],
    ['4111 1111 1111 1111', ['4111111111111111']],
    ['4111-1111-1111-1111', ['4111111111111111']],
    ['20261205-4111111111111111', ['4111111111111111']],
    ['a 4222222222222 b', ['4222222222222']],
    ['6222020000000000018', ['6222020000000000018']],
    ['4111111111111112', []],
    ['0000000000000000', []],
    ['order 123456789012', []],
    ['amount 000000012345 stan 000123', []],
    ['a 24-digit order number 411111111111111100000000', []],
    ['4111--1111111111111', []],
    ['3782 822463 10005', ['378282246310005']],
    ['6222 0200 0000 0000 018', ['6222020000000000018']],
    ['pos1-20261205-000123', []],
    ['test-12345-7-123456789', []],
    ['550e8400-e29b-41d4-a716-446655440000', []],
    ['demo-web-1764979200003-3 (a Luhn-valid millisecond timestamp)', []],
    ['µs 1764979200000007 (Luhn-valid too)', []],
    ['', []],
  ];
  for (const [text, expected] of rows) {
    assert.deepEqual(findPanLikeRuns(text).map((run) => run.digits), expected, text);
    assert.equal(hasPanLikeRun(text), expected.length > 0, text);
  }
});

test('findPanLikeRuns reports where the run sits, separators included', () => {
  const text = 'ref 4111 1111 1111 1111!';
  const [run] = findPanLikeRuns(text);
  assert.equal(text.slice(run?.start, run?.end), '4111 1111 1111 1111');
});

test('any Luhn-valid 13-19 digit number inside letters is found', () => {
  fc.assert(
    fc.property(fc.integer({ min: 12, max: 18 }), fc.integer({ min: 2, max: 9 }), fc.string({ unit: 'binary-ascii' }).map((s) => s.replace(/[0-9 -]/g, 'x')), (bodyLength, first, around) => {
      const partial = String(first) + '7'.repeat(bodyLength - 1);
      const pan = partial + luhnCheckDigit(partial);
      assert.ok(hasPanLikeRun(`${around}${pan}${around}`));
    }),
  );
});
