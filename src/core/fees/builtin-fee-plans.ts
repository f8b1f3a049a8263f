// The plans reswipe ships with, validated at import like any plan file, so a broken built-in
// plan fails loudly at start rather than pricing a payment wrongly.
import standardDocument from './plans/standard.json' with { type: 'json' };
import holidaysDocument from './holidays-cn-2026.json' with { type: 'json' };
import type { FeePlanSet } from './fee-plan.ts';
import { validateHolidayCalendar, type HolidayCalendar } from './holiday-calendar.ts';
import { validateFeePlans } from './validate-fee-plans.ts';

export const defaultFeePlanName = 'standard';

export const builtinFeePlans: FeePlanSet = validateFeePlans(standardDocument, 'builtin:plans/standard.json');

/** The PRC holiday calendar shipped with reswipe (2026 published, 2027 provisional). */
export const builtinHolidayCalendar: HolidayCalendar = validateHolidayCalendar(holidaysDocument, 'builtin:holidays-cn-2026.json');
