// Goal: a cups-pos 0400's DE 61.3 (the terminal's local date) is matched against the local date of the
// sale it names, whether the sale was stored with its UTC DE 7 or its local DE 13 + 12, on both sides of
// midnight in UTC and in China time and at month and year ends. The old rule compared 61.3 with the UTC
// date of DE 7, so a sale between 00:00 and 08:00 China time was "not found" (25) and stayed charged:
// the rows marked `utcDateDiffers` are exactly those. Method: table rows with fixed instants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOriginalLocalDate, saleInstantMs, saleLocalMmdd } from '../../../src/core/payments/original-local-date.ts';

/** DE 7 (MMDDhhmmss, UTC) of an instant. */
function de7(iso: string): string {
  const at = new Date(iso);
  const two = (value: number) => String(value).padStart(2, '0');
  return two(at.getUTCMonth() + 1) + two(at.getUTCDate()) + two(at.getUTCHours()) + two(at.getUTCMinutes()) + two(at.getUTCSeconds());
}

interface Row {
  name: string;
  /** When the terminal made the sale (and the gateway got it a moment later). */
  saleAt: string;
  /** The stored MMDDhhmmss: DE 7 in UTC, or DE 13 + 12 in China time. */
  stored: 'de7' | string;
  /** The terminal's local date, as it sends it in 61.3. */
  localDate: string;
  utcDateDiffers: boolean;
}

const rows: Row[] = [
  { name: 'China afternoon, both dates agree', saleAt: '2026-12-05T06:00:00Z', stored: 'de7', localDate: '1205', utcDateDiffers: false },
  { name: 'one second before midnight in China', saleAt: '2026-12-05T15:59:59Z', stored: 'de7', localDate: '1205', utcDateDiffers: false },
  { name: 'midnight in China (UTC still the day before)', saleAt: '2026-12-05T16:00:00Z', stored: 'de7', localDate: '1206', utcDateDiffers: true },
  { name: '02:30 in China', saleAt: '2026-12-05T18:30:00Z', stored: 'de7', localDate: '1206', utcDateDiffers: true },
  { name: 'one second before midnight UTC (07:59:59 in China)', saleAt: '2026-12-05T23:59:59Z', stored: 'de7', localDate: '1206', utcDateDiffers: true },
  { name: 'midnight UTC (08:00 in China)', saleAt: '2026-12-06T00:00:00Z', stored: 'de7', localDate: '1206', utcDateDiffers: false },
  { name: 'month end: 30 Nov UTC is 1 Dec in China', saleAt: '2026-11-30T17:00:00Z', stored: 'de7', localDate: '1201', utcDateDiffers: true },
  { name: 'year end: 31 Dec UTC is 1 Jan in China', saleAt: '2026-12-31T20:00:00Z', stored: 'de7', localDate: '0101', utcDateDiffers: true },
  { name: 'year end, last second of the year in China', saleAt: '2026-12-31T15:59:59Z', stored: 'de7', localDate: '1231', utcDateDiffers: false },
  { name: 'no DE 7: local DE 13 + 12 stored, 02:30 in China', saleAt: '2026-12-05T18:30:00Z', stored: '1206023000', localDate: '1206', utcDateDiffers: false },
  { name: 'no DE 7: local, year end in China', saleAt: '2026-12-31T16:30:00Z', stored: '0101003000', localDate: '0101', utcDateDiffers: false },
  { name: 'no DE 7: local, 23:59 in China', saleAt: '2026-12-05T15:59:00Z', stored: '1205235900', localDate: '1205', utcDateDiffers: false },
];

test('61.3 matches the local date of the sale, never the UTC date of its DE 7', () => {
  for (const row of rows) {
    const stored = row.stored === 'de7' ? de7(row.saleAt) : row.stored;
    // The gateway receives it a little later; across a year end, after the new year in UTC too.
    const sale = { terminalTransmittedAt: stored, createdAtMs: Date.parse(row.saleAt) + 700 };
    for (const zone of ['Asia/Shanghai', 480] as const) {
      assert.equal(saleLocalMmdd(sale, zone), row.localDate, `${row.name} (${zone})`);
      assert.equal(isOriginalLocalDate(row.localDate, sale, zone), true, `${row.name} (${zone})`);
      const utcDate = de7(row.saleAt).slice(0, 4);
      if (row.utcDateDiffers) assert.equal(isOriginalLocalDate(utcDate, sale, zone), false, `${row.name}: the UTC date ${utcDate} is not the sale's day`);
    }
  }
  assert.ok(rows.some((row) => row.utcDateDiffers), 'some rows are where the old rule failed');
});

test('a DE 7 of the old year received after the new year in UTC is last year\'s instant', () => {
  const sale = { terminalTransmittedAt: '1231235959', createdAtMs: Date.parse('2027-01-01T00:00:01Z') };
  assert.equal(saleInstantMs(sale, 480), Date.parse('2026-12-31T23:59:59Z'));
  assert.equal(saleLocalMmdd(sale, 480), '0101');
});

test('a terminal clock a few minutes off still gives its own date; nothing usable falls back to the receipt', () => {
  // The terminal said 23:58 local (DE 13 1205), the gateway got it at 00:01 local on the 6th.
  assert.equal(saleLocalMmdd({ terminalTransmittedAt: '1205235800', createdAtMs: Date.parse('2026-12-05T16:01:00Z') }, 480), '1205');
  assert.equal(saleLocalMmdd({ terminalTransmittedAt: null, createdAtMs: Date.parse('2026-12-05T18:30:00Z') }, 480), '1206');
  assert.equal(saleLocalMmdd({ terminalTransmittedAt: '1332250000', createdAtMs: Date.parse('2026-12-05T18:30:00Z') }, 480), '1206');
  assert.equal(saleLocalMmdd({ terminalTransmittedAt: '0229120000', createdAtMs: Date.parse('2028-02-29T04:00:00Z') }, 480), '0229');
  assert.equal(isOriginalLocalDate('12x6', { terminalTransmittedAt: null, createdAtMs: 0 }, 480), false);
});
