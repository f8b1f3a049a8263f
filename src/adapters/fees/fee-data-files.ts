// Reads fee plan files and holiday calendars from disk (and writes plan files back for
// `PUT /v1/fee-plans/{name}`). Parsing and validation are the pure core's; this module only does I/O,
// bounded in size, and writes atomically (temp file + rename) so a crash never leaves half a file.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { FeePlanSet } from '../../core/fees/fee-plan.ts';
import { builtinFeePlans, builtinHolidayCalendar } from '../../core/fees/builtin-fee-plans.ts';
import { validateHolidayCalendar, type HolidayCalendar } from '../../core/fees/holiday-calendar.ts';
import { mergeFeePlanSets, validateFeePlans } from '../../core/fees/validate-fee-plans.ts';

/** Fee data files are small; anything larger is refused before it is read. */
export const feeDataFileBytesMax = 4 * 1024 * 1024;

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > feeDataFileBytesMax) throw new ReswipeError('RSW_FEE_PLAN_FILE_UNREADABLE', { file, reason: `larger than ${feeDataFileBytesMax} bytes` });
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ReswipeError) throw error;
    throw new ReswipeError('RSW_FEE_PLAN_FILE_UNREADABLE', { file, reason: (error as NodeJS.ErrnoException).code ?? 'read failed' }, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ReswipeError('RSW_FEE_PLAN_FILE_UNREADABLE', { file, reason: `not valid JSON (${(error as Error).message})` }, { cause: error });
  }
}

/** The built-in plans, plus (replacing same-named ones) the plans of `plansFile` when given. */
export function loadFeePlans(plansFile?: string | undefined): FeePlanSet {
  if (plansFile === undefined || plansFile === '') return builtinFeePlans;
  return mergeFeePlanSets(builtinFeePlans, validateFeePlans(readJsonFile(plansFile), plansFile));
}

/** The calendar of `calendarFile`, or the built-in PRC calendar. */
export function loadHolidayCalendar(calendarFile?: string | undefined): HolidayCalendar {
  if (calendarFile === undefined || calendarFile === '') return builtinHolidayCalendar;
  return validateHolidayCalendar(readJsonFile(calendarFile), calendarFile);
}

/** Writes the plans' documents as a plan file, atomically. */
export function writeFeePlansFile(file: string, plans: FeePlanSet): void {
  const document = { plans: [...plans.plans.values()].map((plan) => plan.document) };
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o644 });
  renameSync(temporary, file);
}
