// Alipay writes money as yuan text with two decimals ("12.34"); reswipe keeps integer fen. Both ways
// are done on the digits, never through floating point, so 0.29 yuan is 29 fen and not 28.999...
/** Largest amount written: Alipay's total_amount range is [0.01, 100000000]. */
export const yuanAmountMaxMinor = 10_000_000_000;

/** Integer fen → yuan text "12.34" (always two decimals). */
export function fenToYuan(amountMinor: number): string {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0 || amountMinor > yuanAmountMaxMinor) {
    throw new Error(`broken invariant: ${amountMinor} is not a whole number of fen in Alipay's range`);
  }
  const digits = String(amountMinor).padStart(3, '0');
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** Yuan text ("12", "12.3", "12.34") → integer fen; null for anything else (signs, exponents, three decimals, spaces). */
export function yuanToFen(text: string): number | null {
  const match = /^([0-9]{1,9})(?:\.([0-9]{1,2}))?$/.exec(text);
  if (match === null) return null;
  const whole = Number(match[1]);
  const cents = Number((match[2] ?? '').padEnd(2, '0'));
  return whole * 100 + cents;
}
