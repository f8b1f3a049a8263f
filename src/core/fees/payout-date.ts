// When a business date's money reaches the merchant. T+1: the next working day after the business
// date (banks' norm). D0: the same calendar day, weekends and holidays included (advanced by the
// payment company, which is why plans charge a D0 surcharge).
import { assertNever } from '../vocabulary.ts';
import { addDays, assertBusinessDate } from './business-date.ts';
import type { SettleMode } from './fee-plan.ts';
import { isWorkingDay, type HolidayCalendar } from './holiday-calendar.ts';

/** The longest run of non-working days looked through; China's longest break is 9 days. */
export const nonWorkingRunMax = 31;

export function payoutDate(businessDate: string, mode: SettleMode, calendar: HolidayCalendar): string {
  assertBusinessDate(businessDate, 'businessDate');
  switch (mode) {
    case 'd0':
      return businessDate;
    case 't1': {
      for (let days = 1; days <= nonWorkingRunMax; days += 1) {
        const candidate = addDays(businessDate, days);
        if (isWorkingDay(candidate, calendar)) return candidate;
      }
      throw new Error(`no working day within ${nonWorkingRunMax} days after ${businessDate} in calendar ${calendar.name}`);
    }
    default:
      return assertNever(mode, 'settle mode');
  }
}
