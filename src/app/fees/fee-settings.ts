// Fee and settlement settings from the effective configuration (`fees.*`): the loaded plans
// (built-in plus `fees.plansFile`), the holiday calendar, the settlement time zone and mode.
import { loadFeePlans, loadHolidayCalendar } from '../../adapters/fees/fee-data-files.ts';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import { defaultCutoff, parseCutoff } from '../../core/fees/business-date.ts';
import type { FeePlanSet, SettleMode } from '../../core/fees/fee-plan.ts';
import type { HolidayCalendar } from '../../core/fees/holiday-calendar.ts';

export interface FeeSettings {
  readonly plans: FeePlanSet;
  readonly plansFile: string | undefined;
  readonly calendar: HolidayCalendar;
  readonly timeZone: string;
  readonly settleMode: SettleMode;
  readonly cutoff: string;
}

export function feeSettingsFromConfig(config: ReswipeConfig, overrides: { cutoff?: string | undefined } = {}): FeeSettings {
  const cutoff = overrides.cutoff ?? defaultCutoff;
  parseCutoff(cutoff);
  return {
    plans: loadFeePlans(config.fees.plansFile),
    plansFile: config.fees.plansFile,
    calendar: loadHolidayCalendar(config.fees.holidayCalendarFile),
    timeZone: config.fees.settlementTimeZone,
    settleMode: config.fees.settleMode,
    cutoff,
  };
}
