// The one named rounding rule of fee arithmetic: round half up to the fen, in integers only.
// Amounts and rates are non-negative, so "half up" and "half away from zero" agree here.
import { amountMinorMax, rateBpsMax } from './fee-plan.ts';

const bpsPerUnit = 10_000n;

/** amountMinor × rateBps / 10 000, rounded half up to the fen (1.99998 fen → 2, 0.5 fen → 1, 0.49 fen → 0). */
export function roundHalfUpBps(amountMinor: number, rateBps: number): number {
  assertWhole(amountMinor, 'amountMinor', amountMinorMax);
  assertWhole(rateBps, 'rateBps', rateBpsMax);
  const product = BigInt(amountMinor) * BigInt(rateBps);
  return Number((product * 2n + bpsPerUnit) / (bpsPerUnit * 2n));
}

/** valueMinor × numerator / denominator, rounded half up to the fen: the pro-rata share of a fee. */
export function roundHalfUpRatio(valueMinor: number, numerator: number, denominator: number): number {
  assertWhole(valueMinor, 'valueMinor', amountMinorMax);
  assertWhole(numerator, 'numerator', amountMinorMax);
  assertWhole(denominator, 'denominator', amountMinorMax);
  if (denominator === 0) throw new Error('roundHalfUpRatio: denominator is zero');
  const product = BigInt(valueMinor) * BigInt(numerator);
  const divisor = BigInt(denominator);
  return Number((product * 2n + divisor) / (divisor * 2n));
}

// Callers validate input first; a bad value here is a programming error, so it is an assertion.
function assertWhole(value: number, name: string, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) throw new Error(`round-half-up: ${name} must be a whole number in 0..${max}, got ${value}`);
}
