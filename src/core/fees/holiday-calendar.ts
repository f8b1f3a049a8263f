// A calendar of public holidays and make-up working days (调休), validated from data. China moves
// weekends around its holidays every year, so weekday arithmetic alone gets T+1 wrong; the
// calendar is data that must be updated each year (src/core/fees/holidays-cn-2026.json).
import { ReswipeError } from '../errors/reswipe-error.ts';
import { assertBusinessDate, weekdayOf } from './business-date.ts';

export interface HolidayCalendar {
  readonly name: string;
  /** First and last date the calendar answers for, inclusive. */
  readonly coversFrom: string;
  readonly coversTo: string;
  /** Days off that would otherwise be working days. */
  readonly holidays: ReadonlySet<string>;
  /** Saturdays and Sundays that are working days (调休). */
  readonly workdays: ReadonlySet<string>;
}

const entriesMax = 2000;

/** Validates a calendar document `{ name, coversFrom, coversTo, holidays: [{date,name}], workdays: [{date,name}] }`. */
export function validateHolidayCalendar(doc: unknown, source: string): HolidayCalendar {
  const fail = (field: string, reason: string): never => {
    throw new ReswipeError('RSW_FEE_CALENDAR_INVALID', { source, field, reason });
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('$', 'must be an object');
  const raw = doc as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!['name', 'coversFrom', 'coversTo', 'holidays', 'workdays', 'comment', 'sources'].includes(key)) fail(key, 'is not a known key');
  }
  if (typeof raw.name !== 'string' || raw.name === '') fail('name', 'must be a non-empty string');
  const date = (value: unknown, field: string): string => {
    try {
      return assertBusinessDate(value, field);
    } catch {
      return fail(field, 'must be a date YYYY-MM-DD');
    }
  };
  const coversFrom = date(raw.coversFrom, 'coversFrom');
  const coversTo = date(raw.coversTo, 'coversTo');
  if (coversTo < coversFrom) fail('coversTo', 'must not be before coversFrom');
  const readDays = (value: unknown, field: string): Set<string> => {
    if (!Array.isArray(value)) return fail(field, 'must be an array of {date, name}');
    if (value.length > entriesMax) fail(field, `has more than ${entriesMax} entries`);
    const days = new Set<string>();
    value.forEach((entry: unknown, index) => {
      const at = `${field}[${index}]`;
      if (typeof entry !== 'object' || entry === null) fail(at, 'must be {date, name}');
      const day = date((entry as Record<string, unknown>).date, `${at}.date`);
      if (day < coversFrom || day > coversTo) fail(`${at}.date`, `${day} is outside the covered ${coversFrom}..${coversTo}`);
      if (days.has(day)) fail(`${at}.date`, `${day} is listed twice`);
      days.add(day);
    });
    return days;
  };
  const holidays = readDays(raw.holidays, 'holidays');
  const workdays = readDays(raw.workdays, 'workdays');
  for (const day of workdays) {
    if (holidays.has(day)) fail('workdays', `${day} is both a holiday and a working day`);
    const weekday = weekdayOf(day);
    if (weekday !== 0 && weekday !== 6) fail('workdays', `${day} is a weekday already; list only weekend make-up days`);
  }
  return Object.freeze({ name: raw.name as string, coversFrom, coversTo, holidays, workdays });
}

/** True when banks work on `date`: a weekday that is not a holiday, or a make-up working day. */
export function isWorkingDay(date: string, calendar: HolidayCalendar): boolean {
  if (date < calendar.coversFrom || date > calendar.coversTo) {
    throw new ReswipeError('RSW_FEE_CALENDAR_OUT_OF_RANGE', { calendar: calendar.name, from: calendar.coversFrom, to: calendar.coversTo, date, field: 'date' });
  }
  if (calendar.workdays.has(date)) return true;
  if (calendar.holidays.has(date)) return false;
  const weekday = weekdayOf(date);
  return weekday !== 0 && weekday !== 6;
}
