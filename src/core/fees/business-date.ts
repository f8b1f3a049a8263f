// Business dates and their windows, in a named time zone, from localTimeOf (pure: no wall clock,
// no process time zone). A payment belongs to the business date on which it was
// made in local time, unless it was made at or after the daily cut-off, in which case it belongs
// to the next date. Cut-off "00:00" (or "24:00") means midnight: no shift.
import { isReswipeError, ReswipeError } from '../errors/reswipe-error.ts';
import { localTimeOf, type LocalTime } from '../time/local-time.ts';

export const defaultSettlementTimeZone = 'Asia/Shanghai';
/** The usual 日切 of Chinese acquirers: payments from 23:00 belong to the next business date. */
export const defaultCutoff = '23:00';

const dayMs = 86_400_000;
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const cutoffPattern = /^([01]\d|2[0-4]):([0-5]\d)$/;

interface LocalParts {
  year: number;
  month: number;
  day: number;
  minuteOfDay: number;
}

/** Validates a YYYY-MM-DD calendar date and returns it. */
export function assertBusinessDate(date: unknown, field = 'date'): string {
  if (typeof date !== 'string') throw new ReswipeError('RSW_FEE_BAD_DATE', { field, reason: 'must be a date YYYY-MM-DD' });
  const match = datePattern.exec(date);
  if (match === null) throw new ReswipeError('RSW_FEE_BAD_DATE', { field, reason: 'must be a date YYYY-MM-DD' });
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const atMs = Date.UTC(year, month - 1, day);
  if (formatUtcDate(atMs) !== date) throw new ReswipeError('RSW_FEE_BAD_DATE', { field, reason: `${date} is not a real calendar date` });
  return date;
}

/** Parses "HH:MM" into minutes after local midnight, 1..1440; "00:00" means 1440 (midnight, no shift). */
export function parseCutoff(cutoff: string, field = 'cutoff'): number {
  const match = cutoffPattern.exec(cutoff);
  if (match === null) throw new ReswipeError('RSW_FEE_BAD_DATE', { field, reason: 'must be a time HH:MM' });
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  if (minutes > 1440) throw new ReswipeError('RSW_FEE_BAD_DATE', { field, reason: 'must be at most 24:00' });
  return minutes === 0 ? 1440 : minutes;
}

/** The business date (YYYY-MM-DD) of an instant in a time zone with a daily cut-off. */
export function businessDateOf(atMs: number, timeZone: string = defaultSettlementTimeZone, cutoff: string = defaultCutoff): string {
  const cutoffMinutes = parseCutoff(cutoff);
  const local = localPartsOf(atMs, timeZone);
  const localDateMs = Date.UTC(local.year, local.month - 1, local.day);
  return formatUtcDate(local.minuteOfDay >= cutoffMinutes ? localDateMs + dayMs : localDateMs);
}

/** The instants [fromMs, toMs) whose business date is `businessDate`. */
export function businessDayWindow(businessDate: string, timeZone: string = defaultSettlementTimeZone, cutoff: string = defaultCutoff): { fromMs: number; toMs: number } {
  const dateMs = Date.parse(`${assertBusinessDate(businessDate)}T00:00:00Z`);
  const cutoffMinutes = parseCutoff(cutoff);
  return {
    fromMs: localToInstant(dateMs - dayMs, cutoffMinutes, timeZone),
    toMs: localToInstant(dateMs, cutoffMinutes, timeZone),
  };
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return formatUtcDate(Date.parse(`${assertBusinessDate(date)}T00:00:00Z`) + days * dayMs);
}

/** 0 = Sunday ... 6 = Saturday. */
export function weekdayOf(date: string): number {
  return new Date(Date.parse(`${assertBusinessDate(date)}T00:00:00Z`)).getUTCDay();
}

/** The last date formatted: every sale of a day asks for the same one (a Date and an ISO string each otherwise). */
let lastFormatted = { atMs: Number.NaN, date: '' };

function formatUtcDate(atMs: number): string {
  if (atMs === lastFormatted.atMs) return lastFormatted.date;
  const date = new Date(atMs).toISOString().slice(0, 10);
  lastFormatted = { atMs, date };
  return date;
}

/** The instant at which local time in `timeZone` reads `minutes` after midnight of the UTC-encoded date `dateMs`. */
function localToInstant(dateMs: number, minutes: number, timeZone: string): number {
  const wallMs = dateMs + minutes * 60_000;
  // Guess with the offset at the wall time read as UTC, then correct once with the offset at the guess;
  // two steps suffice for every real zone (offsets change at most once within a day).
  const firstGuess = wallMs - offsetMsAt(wallMs, timeZone);
  const offset = offsetMsAt(firstGuess, timeZone);
  return wallMs - offset;
}

function offsetMsAt(atMs: number, timeZone: string): number {
  const local = localPartsOf(atMs, timeZone);
  const localAsUtcMs = Date.UTC(local.year, local.month - 1, local.day) + local.minuteOfDay * 60_000;
  const flooredMs = atMs - (((atMs % 60_000) + 60_000) % 60_000);
  return localAsUtcMs - flooredMs;
}

function localPartsOf(atMs: number, timeZone: string): LocalParts {
  if (!Number.isFinite(atMs)) throw new ReswipeError('RSW_FEE_BAD_DATE', { field: 'at', reason: 'is not a valid instant' });
  let local: LocalTime;
  try {
    local = localTimeOf(atMs, timeZone);
  } catch (error) {
    if (isReswipeError(error, 'RSW_BAD_ARGUMENT')) throw new ReswipeError('RSW_FEE_BAD_DATE', { field: 'timeZone', reason: `${timeZone} is not a known IANA time zone` });
    throw error;
  }
  return { year: local.year, month: local.month, day: local.day, minuteOfDay: local.hour * 60 + local.minute };
}
