// Local (wall-clock) time of an instant in the business's zone: the one function behind every local
// date reswipe computes for a terminal or a bank (DE 12/13, a terminal's fallback key date, the day and
// month of the limits, the date a cups-pos DE 61.3 names). Terminals in China send local time, banks
// and DE 7 use UTC; mixing the two up moves a date by one between 00:00 and 08:00 China time.
// Pure: the instant comes in as a number, and Intl is used only with an explicit zone (never the process's).
import { ReswipeError } from '../errors/reswipe-error.ts';

/**
 * Where local time is kept: an IANA zone name (the config's `fees.settlementTimeZone`, `Asia/Shanghai`
 * by default) or a fixed offset in minutes east of UTC (the engine's `localOffsetMinutes`, 480).
 */
export type LocalZone = string | number;

/** The business time zone when configuration names none (the default of `fees.settlementTimeZone`). */
export const defaultBusinessTimeZone = 'Asia/Shanghai';

export interface LocalTime {
  readonly year: number;
  /** 1-12. */
  readonly month: number;
  /** 1-31. */
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** The local date as ISO 8583 DE 13 writes it. */
  readonly mmdd: string;
  /** The local time as DE 12 writes it. */
  readonly hhmmss: string;
}

const minuteMs = 60_000;
/** One formatter per zone name: a deployment uses one or two, and the cache is bounded all the same. */
const formatters = new Map<string, Intl.DateTimeFormat>();
const formattersMax = 64;
const quarterHourMs = 15 * minuteMs;
/**
 * Per zone name, its offsets by UTC quarter-hour (see namedOffsetMs). A sale reads more than one quarter
 * (now, and the local midnight before it for the analytics day), so one remembered quarter per zone was
 * read again on every other call; a zone keeps up to offsetQuartersMax quarters (a few days of them).
 */
const offsets = new Map<string, Map<number, number>>();
const offsetQuartersMax = 512;
/**
 * The last local time computed per zone, for the second it was computed in: every step of a sale asks
 * for the local time of the same instant, as does the next sale in the same second. LocalTime is frozen,
 * so one value serves them all. Bounded as the formatters.
 */
const lastLocalTimes = new Map<LocalZone, { secondStartMs: number; local: LocalTime }>();

/** The wall-clock time at `atMs` in `zone`. */
export function localTimeOf(atMs: number, zone: LocalZone): LocalTime {
  if (!Number.isFinite(atMs)) throw new Error(`broken invariant: instant ${atMs} is not a number`);
  if (typeof zone === 'number' && !(Number.isInteger(zone) && Math.abs(zone) <= 18 * 60)) throw new Error(`broken invariant: offset ${zone} minutes is not a UTC offset`);
  // Every offset is a whole number of seconds (minutes for a fixed offset; named ones are read to the
  // second, see namedOffsetMs), so the local time to the second depends only on the instant's second.
  const secondStartMs = Math.floor(atMs / 1000) * 1000;
  const last = lastLocalTimes.get(zone);
  if (last !== undefined && last.secondStartMs === secondStartMs) return last.local;
  const offsetMs = typeof zone === 'number' ? zone * minuteMs : namedOffsetMs(atMs, zone);
  const shifted = new Date(secondStartMs + offsetMs);
  const local = build(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate(), shifted.getUTCHours(), shifted.getUTCMinutes(), shifted.getUTCSeconds());
  if (last !== undefined) {
    last.secondStartMs = secondStartMs;
    last.local = local;
  } else {
    if (lastLocalTimes.size >= formattersMax) lastLocalTimes.clear();
    lastLocalTimes.set(zone, { secondStartMs, local });
  }
  return local;
}

/** Minutes east of UTC that `zone` is at the instant `atMs` (a named zone may change with daylight saving). */
export function offsetMinutesAt(atMs: number, zone: LocalZone): number {
  if (typeof zone === 'number') return zone;
  return Math.round(namedOffsetMs(atMs, zone) / minuteMs);
}

/**
 * A named zone's offset at an instant. Formatting with Intl costs microseconds, and a sale asks for
 * local time more than once, so the offset is remembered per zone for each UTC quarter-hour it was read
 * in: zones change offset only at quarter-hour instants (offsets and transitions are whole quarters).
 * Several quarters, not just the last: a sale's day in the analytics rollup asks about its instant and
 * its local midnight in turn, and one remembered quarter would be replaced at every call.
 */
function namedOffsetMs(atMs: number, zone: string): number {
  const quarter = Math.floor(atMs / quarterHourMs);
  let quarters = offsets.get(zone);
  const cached = quarters?.get(quarter);
  if (cached !== undefined) return cached;
  const parts = formatterFor(zone).formatToParts(atMs);
  const part = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((candidate) => candidate.type === type)?.value ?? NaN);
  const wallMs = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour') % 24, part('minute'), part('second'));
  const offsetMs = wallMs - Math.floor(atMs / 1000) * 1000;
  if (quarters === undefined) {
    if (offsets.size >= formattersMax) offsets.clear();
    quarters = new Map();
    offsets.set(zone, quarters);
  } else if (quarters.size >= offsetQuartersMax) {
    quarters.clear();
  }
  quarters.set(quarter, offsetMs);
  return offsetMs;
}

/** How many zones and quarter-hour offsets are remembered now (for the tests of the bounds). */
export function cachedOffsetCounts(): { zones: number; quarters: number; localTimes: number } {
  let quarters = 0;
  for (const zoneQuarters of offsets.values()) quarters += zoneQuarters.size;
  return { zones: offsets.size, quarters, localTimes: lastLocalTimes.size };
}

function build(year: number, month: number, day: number, hour: number, minute: number, second: number): LocalTime {
  return Object.freeze({ year, month, day, hour, minute, second, mmdd: pad2(month) + pad2(day), hhmmss: pad2(hour) + pad2(minute) + pad2(second) });
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter !== undefined) return formatter;
  try {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  } catch {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'timeZone', reason: `unknown time zone ${JSON.stringify(zone.slice(0, 64))}` });
  }
  if (formatters.size >= formattersMax) formatters.clear();
  formatters.set(zone, formatter);
  return formatter;
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}
