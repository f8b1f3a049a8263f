// Ranges of the analytics API (docs/analytics.md): business dates in the configured time zone turned
// into the instants the hourly rollup is read over, with the limits that keep a read bounded.
import { addDays, businessDayWindow } from '../fees/business-date.ts';
import { hourOf } from './rollup.ts';

export const analyticsIntervals = ['hour', 'day', 'week'] as const;
export type AnalyticsInterval = (typeof analyticsIntervals)[number];

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

export const intervalMs: Readonly<Record<AnalyticsInterval, number>> = { hour: hourMs, day: dayMs, week: 7 * dayMs };

/** The longest range per interval, in days (bounds the buckets of a series: 168 hours, 93 days, 53 weeks). */
export const rangeDaysMax: Readonly<Record<AnalyticsInterval, number>> = { hour: 7, day: 93, week: 371 };

/** Groups a breakdown returns at most (the largest by failures); the others are counted in groupsTotal. */
export const groupsMax = 100;
export const groupsDefault = 20;

/** The calendar day `date` in `timeZone` as instants [fromMs, toMs) (midnight to midnight, no cut-off). */
export function localDayWindow(date: string, timeZone: string): { fromMs: number; toMs: number } {
  return businessDayWindow(date, timeZone, '00:00');
}

export interface AnalyticsRange {
  readonly fromMs: number;
  readonly toMs: number;
  readonly days: number;
}

/** Dates `from`..`to` inclusive in the zone; null with the reason when `to` is before `from` or the range is too long. */
export function dateRange(from: string, to: string, timeZone: string, interval: AnalyticsInterval): AnalyticsRange | { error: string } {
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / dayMs) + 1;
  if (days < 1) return { error: 'must not be before from' };
  if (days > rangeDaysMax[interval]) return { error: `the range may span at most ${rangeDaysMax[interval]} days with interval=${interval}` };
  return { fromMs: localDayWindow(from, timeZone).fromMs, toMs: localDayWindow(to, timeZone).toMs, days };
}

/** The period of the same length right before `range` (compare=previous). */
export function previousRange(range: AnalyticsRange): AnalyticsRange {
  const lengthMs = range.toMs - range.fromMs;
  return { fromMs: range.fromMs - lengthMs, toMs: range.fromMs, days: range.days };
}

/** Bucket start instants of a range. */
export function bucketStarts(range: { fromMs: number; toMs: number }, interval: AnalyticsInterval): number[] {
  const starts: number[] = [];
  for (let at = range.fromMs; at < range.toMs; at += intervalMs[interval]) starts.push(at);
  return starts;
}

/** The rollup hours covering [fromMs, toMs): whole hours, so a zone with a half-hour offset reads from the hour its midnight falls in. */
export function rollupHours(range: { fromMs: number; toMs: number }): { fromMs: number; toMs: number } {
  return { fromMs: hourOf(range.fromMs), toMs: hourOf(range.toMs - 1) + hourMs };
}

export { addDays };
