// Loads one merchant's month from the store and judges it (computeMerchantStanding, docs/standing.md).
// The month is made of business dates in the settlement time zone, as statements are.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { businessDateOf, businessDayWindow, defaultCutoff } from '../../core/fees/business-date.ts';
import type { StoreReader } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import { monthRange } from '../../core/statements/monthly-statement.ts';
import { computeMerchantStanding, standingHistoryDays, type MerchantStanding, type StandingSettings } from '../../core/standing/merchant-standing.ts';

const dayMs = 86_400_000;

export interface StandingCalendar {
  timeZone: string;
  cutoff?: string;
}

/** [fromMs, toMs) of a month of business dates. */
export function monthWindow(month: string, calendar: StandingCalendar): { fromMs: number; toMs: number } {
  const { fromDate, toDate } = monthRange(month);
  const cutoff = calendar.cutoff ?? defaultCutoff;
  return { fromMs: businessDayWindow(fromDate, calendar.timeZone, cutoff).fromMs, toMs: businessDayWindow(toDate, calendar.timeZone, cutoff).toMs };
}

/** The month (YYYY-MM) whose business dates hold the instant. */
export function businessMonthOf(atMs: number, calendar: StandingCalendar): string {
  return businessDateOf(atMs, calendar.timeZone, calendar.cutoff ?? defaultCutoff).slice(0, 7);
}

/** The merchant's standing for a month (the running month when none is given); 404 for an unknown merchant. */
export async function loadMerchantStanding(
  reader: StoreReader,
  merchantId: string,
  options: { month?: string; nowMs: number; settings: StandingSettings; calendar: StandingCalendar },
): Promise<MerchantStanding> {
  const month = options.month ?? businessMonthOf(options.nowMs, options.calendar);
  const { fromMs, toMs } = monthWindow(month, options.calendar);
  const merchant = await reader.getMerchant(merchantId);
  if (merchant === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'merchant', id: merchantId, field: 'id' });
  // A month that has not begun has no facts; reading it would only cost.
  const facts = options.nowMs < fromMs
    ? { upstream: { attempted: 0, approved: 0, declined: 0 }, entries: {}, declines: [], truncated: false }
    : await reader.merchantStandingFacts(merchantId, fromMs, toMs, fromMs - standingHistoryDays * dayMs);
  return computeMerchantStanding({ merchantId, month, fromMs, toMs, ...facts }, options.nowMs, options.settings);
}

/** loadMerchantStanding bound to a store, clock and settings: what the HTTP route is given. */
export function standingOfMerchant(reader: StoreReader, clock: Clock, settings: StandingSettings, calendar: StandingCalendar): (merchantId: string, month: string | undefined) => Promise<MerchantStanding> {
  return (merchantId, month) => loadMerchantStanding(reader, merchantId, { ...(month === undefined ? {} : { month }), nowMs: clock.nowMs(), settings, calendar });
}
