// Five-field cron expressions (minute hour day-of-month month day-of-week) for scheduled drills
// (docs/drills.md#scheduled-drills), read in the business time zone. Each field takes `*`, a number,
// a range `a-b`, a step `*/n` or `a-b/n`, and comma lists of those; day-of-week 0 and 7 are Sunday.
// As in classic cron, when both day fields are restricted a day matching either one fires. Pure.
import { localTimeOf, type LocalZone } from './local-time.ts';

export interface CronSchedule {
  readonly expression: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
  readonly dayOfMonthRestricted: boolean;
  readonly dayOfWeekRestricted: boolean;
}

const fieldRanges = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

/** Parses an expression; returns the reason it is not one instead of throwing. */
export function parseCron(expression: string): CronSchedule | { error: string } {
  if (expression.length > 200) return { error: 'longer than 200 characters' };
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return { error: `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}` };
  const sets: Set<number>[] = [];
  for (const [index, field] of fields.entries()) {
    const range = fieldRanges[index] as (typeof fieldRanges)[number];
    const values = new Set<number>();
    for (const part of (field as string).split(',')) {
      const match = /^(\*|(\d{1,2})(?:-(\d{1,2}))?)(?:\/(\d{1,2}))?$/.exec(part);
      if (match === null) return { error: `${range.name} field "${field}" is not *, n, a-b, */n or a-b/n` };
      const from = match[1] === '*' ? range.min : Number(match[2]);
      const to = match[1] === '*' ? range.max : match[3] === undefined ? (match[4] === undefined ? from : range.max) : Number(match[3]);
      const step = match[4] === undefined ? 1 : Number(match[4]);
      if (from < range.min || to > range.max || from > to || step < 1) return { error: `${range.name} field "${field}" is outside ${range.min}-${range.max}` };
      for (let value = from; value <= to; value += step) values.add(index === 4 && value === 7 ? 0 : value);
    }
    sets.push(values);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  return { expression, minutes, hours, daysOfMonth, months, daysOfWeek, dayOfMonthRestricted: fields[2] !== '*', dayOfWeekRestricted: fields[4] !== '*' };
}

function dayMatches(schedule: CronSchedule, year: number, month: number, day: number): boolean {
  if (!schedule.months.has(month)) return false;
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  const byMonthDay = schedule.daysOfMonth.has(day);
  const byWeekDay = schedule.daysOfWeek.has(weekday);
  if (schedule.dayOfMonthRestricted && schedule.dayOfWeekRestricted) return byMonthDay || byWeekDay;
  return byMonthDay && byWeekDay;
}

const minuteMs = 60_000;
/** A schedule that never fires (31 February) stops the search after about a year and a half of minutes skipped by day. */
const searchStepsMax = 100_000;

/** The first whole minute strictly after `afterMs` at which the schedule fires in `zone`, or null within the search bound. */
export function nextCronTime(schedule: CronSchedule, afterMs: number, zone: LocalZone): number | null {
  let candidate = Math.floor(afterMs / minuteMs) * minuteMs + minuteMs;
  for (let step = 0; step < searchStepsMax; step++) {
    const local = localTimeOf(candidate, zone);
    if (!dayMatches(schedule, local.year, local.month, local.day)) {
      candidate += ((23 - local.hour) * 60 + (60 - local.minute)) * minuteMs;
      continue;
    }
    if (!schedule.hours.has(local.hour)) {
      candidate += (60 - local.minute) * minuteMs;
      continue;
    }
    if (!schedule.minutes.has(local.minute)) {
      candidate += minuteMs;
      continue;
    }
    return candidate;
  }
  return null;
}
