import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextCronTime, parseCron, type CronSchedule } from '../../../src/core/time/cron.ts';

function schedule(expression: string): CronSchedule {
  const parsed = parseCron(expression);
  assert.ok(!('error' in parsed), `${expression}: ${'error' in parsed ? parsed.error : ''}`);
  return parsed;
}

const at = (iso: string) => Date.parse(iso);

test('next fire times in the business time zone (Asia/Shanghai is UTC+8)', () => {
  // 03:00 every Monday, China time: 2026-12-06 is a Sunday.
  assert.equal(nextCronTime(schedule('0 3 * * 1'), at('2026-12-06T10:00:00Z'), 'Asia/Shanghai'), at('2026-12-06T19:00:00Z'));
  // Every 15 minutes.
  assert.equal(nextCronTime(schedule('*/15 * * * *'), at('2026-12-06T10:07:30Z'), 'Asia/Shanghai'), at('2026-12-06T10:15:00Z'));
  // Strictly after: a schedule due exactly now fires at its next slot.
  assert.equal(nextCronTime(schedule('*/15 * * * *'), at('2026-12-06T10:15:00Z'), 'Asia/Shanghai'), at('2026-12-06T10:30:00Z'));
  // The 1st of each month at 02:30 local, ranges and lists.
  assert.equal(nextCronTime(schedule('30 2 1 * *'), at('2026-12-06T00:00:00Z'), 'Asia/Shanghai'), at('2026-12-31T18:30:00Z'));
  assert.equal(nextCronTime(schedule('0 9-17/4 * * 1-5'), at('2026-12-07T02:00:00Z'), 480), at('2026-12-07T05:00:00Z'));
  // Sunday as 7, and both day fields restricted: either matches.
  assert.equal(nextCronTime(schedule('0 0 * * 7'), at('2026-12-06T10:00:00Z'), 0), at('2026-12-13T00:00:00Z'));
  assert.equal(nextCronTime(schedule('0 0 10 * 0'), at('2026-12-07T00:00:00Z'), 0), at('2026-12-10T00:00:00Z'));
});

test('a schedule that never fires gives null; bad expressions say why', () => {
  assert.equal(nextCronTime(schedule('0 0 31 2 *'), at('2026-12-06T00:00:00Z'), 0), null);
  for (const [expression, reason] of [
    ['0 3 * *', /expected 5 fields/],
    ['60 * * * *', /minute field "60"/],
    ['0 24 * * *', /hour field/],
    ['0 0 0 * *', /day of month field/],
    ['0 0 * 13 *', /month field/],
    ['0 0 * * 8', /day of week field/],
    ['a * * * *', /minute field "a"/],
    ['*/0 * * * *', /minute field/],
  ] as const) {
    const parsed = parseCron(expression);
    assert.ok('error' in parsed && reason.test(parsed.error), `${expression} is refused for ${reason}`);
  }
});
