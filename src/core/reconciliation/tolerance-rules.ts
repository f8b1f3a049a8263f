// How far the two sides may differ and still match, as data per channel (docs/reconciliation.md,
// "Tolerance"). The defaults are exact: a fen of difference is a discrepancy. Validated on load.
import { ReswipeError } from '../errors/reswipe-error.ts';

export interface ToleranceRules {
  /** Largest |theirs - ours| on the amount that still matches (fen). */
  readonly amountToleranceMinor: number;
  /** Largest |theirs - ours| on the fee that still matches (fen); some channels round per line. */
  readonly feeToleranceMinor: number;
  /** Compare the file's fee column with reswipe's fee lines; off for a channel whose fee is its own cost, not the merchant's. */
  readonly compareFee: boolean;
  /** An approved sale made this close to the channel's cut-off and missing from the file is said to be probably in the next day's file. */
  readonly cutoffMarginMs: number;
}

export const defaultToleranceRules: ToleranceRules = Object.freeze({ amountToleranceMinor: 0, feeToleranceMinor: 0, compareFee: true, cutoffMarginMs: 120_000 });

const toleranceMinorMax = 10_000;

/** Validates a channel's `tolerance` object over the defaults; unknown keys are refused. */
export function validateToleranceRules(input: unknown, field = 'tolerance'): ToleranceRules {
  if (input === undefined) return defaultToleranceRules;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ReswipeError('RSW_RECON_LAYOUT_INVALID', { layout: field, reason: 'must be an object', field });
  const rules: Record<string, unknown> = { ...defaultToleranceRules };
  for (const [key, value] of Object.entries(input)) {
    if (!(key in defaultToleranceRules)) throw new ReswipeError('RSW_RECON_LAYOUT_INVALID', { layout: field, reason: `${key} is not a tolerance rule`, field: `${field}.${key}` });
    const isFlag = key === 'compareFee';
    const max = key === 'cutoffMarginMs' ? 3_600_000 : toleranceMinorMax;
    const ok = isFlag ? typeof value === 'boolean' : Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max;
    if (!ok) throw new ReswipeError('RSW_RECON_LAYOUT_INVALID', { layout: field, reason: isFlag ? `${key} must be true or false` : `${key} must be an integer from 0 to ${max}`, field: `${field}.${key}` });
    rules[key] = value;
  }
  return Object.freeze(rules) as unknown as ToleranceRules;
}
