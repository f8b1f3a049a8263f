// Goal: business dates, their windows and T+1/D0 payout dates are right across cut-offs, weekends, PRC holidays and make-up working days. Method: table tests against hand-checked dates of the 2026 calendar, plus a round-trip property between businessDateOf and businessDayWindow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { builtinHolidayCalendar, businessDateOf, businessDayWindow, payoutDate, validateHolidayCalendar, isWorkingDay } from '../../../src/core/fees/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const rows: Array<[string, string, string]> = [
  // [instant, cutoff, business date] in Asia/Shanghai (UTC+8).
  ['2026-03-10T10:00:00+08:00', '23:00', '2026-03-10'],
  ['2026-03-10T22:59:59+08:00', '23:00', '2026-03-10'],
  ['2026-03-10T23:00:00+08:00', '23:00', '2026-03-11'],
  ['2026-03-10T23:59:59+08:00', '00:00', '2026-03-10'],
  ['2026-03-10T16:30:00Z', '00:00', '2026-03-11'], // 00:30 local
  ['2026-12-31T23:30:00+08:00', '23:00', '2027-01-01'],
  ['2026-02-28T23:00:00+08:00', '23:00', '2026-03-01'],
];

for (const [at, cutoff, expected] of rows) {
  test(`business date of ${at} with cut-off ${cutoff} is ${expected}`, () => {
    assert.equal(businessDateOf(Date.parse(at), 'Asia/Shanghai', cutoff), expected);
  });
}

test('the window of a business date runs from the previous cut-off to this one', () => {
  assert.deepEqual(businessDayWindow('2026-03-10', 'Asia/Shanghai', '23:00'), {
    fromMs: Date.parse('2026-03-09T23:00:00+08:00'),
    toMs: Date.parse('2026-03-10T23:00:00+08:00'),
  });
  assert.deepEqual(businessDayWindow('2026-03-10', 'Asia/Shanghai', '00:00'), {
    fromMs: Date.parse('2026-03-10T00:00:00+08:00'),
    toMs: Date.parse('2026-03-11T00:00:00+08:00'),
  });
  // A zone with daylight saving: the window is 23 hours on the spring-forward day.
  const ny = businessDayWindow('2026-03-08', 'America/New_York', '00:00');
  assert.equal(ny.toMs - ny.fromMs, 23 * 3_600_000);
});

test('every instant falls inside the window of its own business date', () => {
  fc.assert(
    fc.property(fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-30T00:00:00Z') }), fc.constantFrom('23:00', '00:00', '21:30'), fc.constantFrom('Asia/Shanghai', 'Europe/London', 'America/New_York'), (atMs, cutoff, zone) => {
      const date = businessDateOf(atMs, zone, cutoff);
      const window = businessDayWindow(date, zone, cutoff);
      assert.ok(window.fromMs <= atMs && atMs < window.toMs, `${new Date(atMs).toISOString()} → ${date} ${JSON.stringify(window)}`);
    }),
    { numRuns: 1000 },
  );
});

const payouts: Array<[string, 't1' | 'd0', string, string]> = [
  ['2026-03-10', 't1', '2026-03-11', 'Tuesday → Wednesday'],
  ['2026-03-13', 't1', '2026-03-16', 'Friday → Monday'],
  ['2026-03-14', 't1', '2026-03-16', 'Saturday → Monday'],
  ['2026-03-14', 'd0', '2026-03-14', 'D0 pays on Saturday'],
  ['2026-02-13', 't1', '2026-02-14', 'Friday before Spring Festival → the make-up Saturday 2026-02-14'],
  ['2026-02-14', 't1', '2026-02-24', 'make-up Saturday → after the 9-day Spring Festival'],
  ['2026-09-30', 't1', '2026-10-08', 'National Day week'],
  ['2026-10-09', 't1', '2026-10-10', 'Friday → make-up Saturday 2026-10-10'],
  ['2026-12-31', 't1', '2027-01-04', 'New Year 2027 (provisional data)'],
  ['2026-01-02', 't1', '2026-01-04', 'New Year holiday → make-up Sunday 2026-01-04'],
];

for (const [date, mode, expected, why] of payouts) {
  test(`payout ${mode} of ${date} is ${expected} (${why})`, () => {
    assert.equal(payoutDate(date, mode, builtinHolidayCalendar), expected);
  });
}

test('outside the calendar, T+1 refuses to guess', () => {
  assert.throws(() => payoutDate('2027-12-31', 't1', builtinHolidayCalendar), (e: unknown) => isReswipeError(e, 'RSW_FEE_CALENDAR_OUT_OF_RANGE'));
  assert.throws(() => isWorkingDay('2025-12-31', builtinHolidayCalendar), (e: unknown) => isReswipeError(e, 'RSW_FEE_CALENDAR_OUT_OF_RANGE'));
});

test('bad dates, cut-offs, zones and calendars are rejected', () => {
  assert.throws(() => businessDayWindow('2026-02-30'), (e: unknown) => isReswipeError(e, 'RSW_FEE_BAD_DATE'));
  assert.throws(() => businessDayWindow('20260301'), (e: unknown) => isReswipeError(e, 'RSW_FEE_BAD_DATE'));
  assert.throws(() => businessDateOf(0, 'Asia/Shanghai', '25:00'), (e: unknown) => isReswipeError(e, 'RSW_FEE_BAD_DATE'));
  assert.throws(() => businessDateOf(0, 'Mars/Olympus', '23:00'), (e: unknown) => isReswipeError(e, 'RSW_FEE_BAD_DATE') && e.field === 'timeZone');
  const calendar = { name: 'x', coversFrom: '2026-01-01', coversTo: '2026-12-31', holidays: [{ date: '2026-05-09', name: 'h' }], workdays: [{ date: '2026-05-09', name: 'w' }] };
  assert.throws(() => validateHolidayCalendar(calendar, 't'), (e: unknown) => isReswipeError(e, 'RSW_FEE_CALENDAR_INVALID'));
  assert.throws(() => validateHolidayCalendar({ ...calendar, holidays: [], workdays: [{ date: '2026-05-11', name: 'monday' }] }, 't'), (e: unknown) => isReswipeError(e, 'RSW_FEE_CALENDAR_INVALID'));
  assert.throws(() => validateHolidayCalendar({ ...calendar, holidays: [{ date: '2027-01-01', name: 'h' }], workdays: [] }, 't'), (e: unknown) => isReswipeError(e, 'RSW_FEE_CALENDAR_INVALID'));
});
