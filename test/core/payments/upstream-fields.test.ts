// Goal: the field values every upstream request shares are formatted as host-link.md says: DE 7 in UTC, DE 12/13 in the merchant's local time (UTC+8 by default, across a date change), and fixed-length ans padded, cut and ASCII-only. Method: table rows with fixed instants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedAns, localDateTime, transmissionDateTime } from '../../../src/core/payments/upstream-fields.ts';
import { transmissionDateTime as reexported } from '../../../src/core/payments/upstream-request.ts';

test('DE 7 is MMDDhhmmss in UTC, and upstream-request still exports the same function', () => {
  const rows: Array<[string, string]> = [
    ['2026-01-02T03:04:05Z', '0102030405'],
    ['2026-12-31T23:59:59Z', '1231235959'],
  ];
  for (const [iso, expected] of rows) assert.equal(transmissionDateTime(Date.parse(iso)), expected, iso);
  assert.equal(reexported, transmissionDateTime);
});

test('DE 12/13 are the local time and date, UTC+8 unless an offset is given', () => {
  const rows: Array<[string, number | undefined, { time: string; date: string }]> = [
    ['2026-06-18T15:30:00Z', undefined, { time: '233000', date: '0618' }],
    ['2026-06-18T16:30:00Z', undefined, { time: '003000', date: '0619' }],
    ['2026-06-18T16:30:00Z', 0, { time: '163000', date: '0618' }],
    ['2026-01-01T00:15:00Z', -60, { time: '231500', date: '1231' }],
  ];
  for (const [iso, offset, expected] of rows) assert.deepEqual(localDateTime(Date.parse(iso), offset), expected, `${iso} ${offset}`);
});

test('fixed-length ans is padded with spaces, cut to length, and non-ASCII becomes ?', () => {
  const rows: Array<[string, number, string]> = [
    ['T1', 8, 'T1      '],
    ['T0000001X', 8, 'T0000001'],
    ['上海Shop', 8, '??Shop  '],
    ['', 3, '   '],
  ];
  for (const [value, length, expected] of rows) assert.equal(fixedAns(value, length), expected, value);
});

test('DE 7 remembered for its second: right within the second, at the next one, and back again', () => {
  const at = Date.parse('2026-12-31T23:59:59.000Z');
  assert.equal(transmissionDateTime(at), '1231235959');
  assert.equal(transmissionDateTime(at + 999), '1231235959');
  assert.equal(transmissionDateTime(at + 1000), '0101000000');
  assert.equal(transmissionDateTime(at + 500), '1231235959');
  assert.equal(transmissionDateTime(Date.parse('1969-12-31T23:59:59.500Z')), '1231235959', 'before 1970 the second is floored');
});
