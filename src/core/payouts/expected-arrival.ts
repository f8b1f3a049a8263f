// When the merchant should see the money (到账日), from its settlement cycle and the business
// calendar already used for settlement. Pure.
//
// - The promise is the batch's payout date: T+1 is the next working day after the business date, D0
//   the business date itself (payoutDate, src/core/fees/payout-date.ts).
// - A transfer sent later than that cannot arrive earlier than it is sent: D0 is advanced by the
//   payment company on any day, so it arrives the day it is sent; T+1 goes through the banks, so it
//   arrives the day it is sent if that is a working day, else on the next working day.
import { addDays, assertBusinessDate } from '../fees/business-date.ts';
import type { SettleMode } from '../fees/fee-plan.ts';
import { isWorkingDay, type HolidayCalendar } from '../fees/holiday-calendar.ts';
import { nonWorkingRunMax, payoutDate } from '../fees/payout-date.ts';
import { assertNever } from '../vocabulary.ts';

export function expectedArrivalDate(businessDate: string, settleMode: SettleMode, calendar: HolidayCalendar, sentDate?: string): string {
  const promised = payoutDate(businessDate, settleMode, calendar);
  if (sentDate === undefined) return promised;
  assertBusinessDate(sentDate, 'sentDate');
  const earliest = arrivalWhenSent(sentDate, settleMode, calendar);
  return earliest > promised ? earliest : promised;
}

function arrivalWhenSent(sentDate: string, settleMode: SettleMode, calendar: HolidayCalendar): string {
  switch (settleMode) {
    case 'd0':
      return sentDate;
    case 't1': {
      for (let days = 0; days <= nonWorkingRunMax; days += 1) {
        const candidate = addDays(sentDate, days);
        if (isWorkingDay(candidate, calendar)) return candidate;
      }
      throw new Error(`no working day within ${nonWorkingRunMax} days from ${sentDate} in calendar ${calendar.name}`);
    }
    default:
      return assertNever(settleMode, 'settle mode');
  }
}

/** Whether a payout arrived late: paid after its expected date (dates as YYYY-MM-DD compare as text). */
export function isLateArrival(expectedDate: string, actualDate: string): boolean {
  return actualDate > expectedDate;
}
