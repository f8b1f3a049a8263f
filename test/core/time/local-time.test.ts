// Goal: the one local-time function gives the wall clock of an instant in the business zone, the same
// for an IANA zone and a fixed offset, across midnight in UTC and in China time and at month and year
// ends. Method: table rows with fixed instants, each checked in Asia/Shanghai and at +480 minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedOffsetCounts, localTimeOf, offsetMinutesAt } from '../../../src/core/time/local-time.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

test('local date and time in China, as a named zone and as a fixed offset', () => {
  const rows: Array<[string, string, string]> = [
    ['2026-12-05T15:59:59Z', '1205', '235959'], // just before midnight in China
    ['2026-12-05T16:00:00Z', '1206', '000000'], // midnight in China, still the 5th in UTC
    ['2026-12-05T23:59:59Z', '1206', '075959'], // just before midnight UTC
    ['2026-12-06T00:00:00Z', '1206', '080000'], // midnight UTC
    ['2026-11-30T16:30:00Z', '1201', '003000'], // month end: already December in China
    ['2026-12-31T16:00:00Z', '0101', '000000'], // year end: already 2027 in China
    ['2028-02-28T16:00:00Z', '0229', '000000'], // a leap day
  ];
  for (const [iso, mmdd, hhmmss] of rows) {
    for (const zone of ['Asia/Shanghai', 480] as const) {
      const local = localTimeOf(Date.parse(iso), zone);
      assert.equal(local.mmdd, mmdd, `${iso} ${zone}`);
      assert.equal(local.hhmmss, hhmmss, `${iso} ${zone}`);
    }
  }
  const newYear = localTimeOf(Date.parse('2026-12-31T16:00:00Z'), 'Asia/Shanghai');
  assert.deepEqual([newYear.year, newYear.month, newYear.day], [2027, 1, 1]);
});

test('other zones and offsets: UTC, west of UTC, and daylight saving in a named zone', () => {
  assert.equal(localTimeOf(Date.parse('2026-01-01T00:15:00Z'), -60).mmdd, '1231');
  assert.equal(localTimeOf(Date.parse('2026-06-18T16:30:00Z'), 0).hhmmss, '163000');
  assert.equal(localTimeOf(Date.parse('2026-06-18T16:30:00Z'), 'UTC').hhmmss, '163000');
  assert.equal(offsetMinutesAt(Date.parse('2026-07-01T12:00:00Z'), 'Europe/Berlin'), 120);
  assert.equal(offsetMinutesAt(Date.parse('2026-01-01T12:00:00Z'), 'Europe/Berlin'), 60);
  assert.equal(offsetMinutesAt(Date.parse('2026-01-01T12:00:00.999Z'), 'Asia/Shanghai'), 480);
  assert.equal(offsetMinutesAt(0, 330), 330);
});

test('an unknown zone is a clear error naming the field, a broken offset an assertion', () => {
  assert.throws(() => localTimeOf(0, 'Mars/Olympus'), (error: unknown) => isReswipeError(error, 'RSW_BAD_ARGUMENT') && error.field === 'timeZone');
  assert.throws(() => localTimeOf(0, 24 * 60), /broken invariant/);
});

test('a named zone changing offset (daylight saving) is read right on both sides of the change, in any order', () => {
  const before = Date.parse('2026-03-29T00:59:59Z'); // 01:59:59 in Berlin (CET)
  const after = Date.parse('2026-03-29T01:00:00Z'); // 03:00:00 in Berlin (CEST)
  for (const order of [[before, after, before], [after, before, after]]) {
    for (const atMs of order) {
      const expected = atMs === before ? '015959' : '030000';
      assert.equal(localTimeOf(atMs, 'Europe/Berlin').hhmmss, expected, new Date(atMs).toISOString());
    }
  }
});

test('remembered offsets and local times: right when calls alternate between instants, zones and seconds', () => {
  // The analytics day reads "now" and the local midnight before it in turn; the limits read now in another zone.
  const now = Date.parse('2026-03-29T01:00:30.250Z'); // 03:00:30 in Berlin (CEST), 09:00:30 in Shanghai
  const midnight = Date.parse('2026-03-28T23:00:00Z'); // 00:00:00 in Berlin (CET, before the change)
  for (let round = 0; round < 3; round += 1) {
    assert.equal(localTimeOf(now, 'Europe/Berlin').hhmmss, '030030');
    assert.equal(localTimeOf(midnight, 'Europe/Berlin').hhmmss, '000000');
    assert.equal(localTimeOf(now, 'Asia/Shanghai').hhmmss, '090030');
    assert.equal(localTimeOf(now + 749, 'Europe/Berlin').hhmmss, '030030', 'later in the same second');
    assert.equal(localTimeOf(now + 750, 'Europe/Berlin').hhmmss, '030031', 'the next second');
    assert.equal(localTimeOf(now, 60).hhmmss, '020030', 'a fixed offset is its own zone');
    assert.equal(offsetMinutesAt(now, 'Europe/Berlin'), 120);
    assert.equal(offsetMinutesAt(midnight, 'Europe/Berlin'), 60);
  }
  assert.equal(localTimeOf(Date.parse('1969-12-31T23:59:59.500Z'), 0).hhmmss, '235959', 'before 1970 the second is floored, not truncated');
});

test('the remembered offsets stay bounded, and stay right after they are dropped', () => {
  const start = Date.parse('2026-01-01T00:00:00Z');
  const quarterMs = 15 * 60_000;
  // Ten days of quarter-hours in a zone with daylight saving and one without: more than a zone keeps.
  for (let quarter = 0; quarter < 960; quarter += 1) {
    for (const zone of ['America/New_York', 'Asia/Shanghai']) localTimeOf(start + 90 * 86_400_000 + quarter * quarterMs, zone);
  }
  const counts = cachedOffsetCounts();
  assert.ok(counts.quarters <= 2 * 512, `${counts.quarters} quarter-hours remembered`);
  assert.ok(counts.localTimes <= 64);
  // 2026-04-01 + n quarters: New York is on daylight time (UTC-4) all of those ten days.
  assert.equal(localTimeOf(start + 90 * 86_400_000, 'America/New_York').hhmmss, '200000');
  assert.equal(localTimeOf(start + 90 * 86_400_000 + 959 * quarterMs, 'America/New_York').hhmmss, '194500');
  // Many zones: the zones are bounded as well.
  const zones = Intl.supportedValuesOf('timeZone').slice(0, 100);
  for (const zone of zones) localTimeOf(start, zone);
  assert.ok(cachedOffsetCounts().zones <= 64, `${cachedOffsetCounts().zones} zones remembered`);
  assert.equal(localTimeOf(start, 'Asia/Shanghai').hhmmss, '080000');
});
