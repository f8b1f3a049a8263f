// Brand rules from the PAN alone: issuer identification ranges, allowed lengths and security-code
// length per brand (docs/domain/card-numbers.md, after braintree/credit-card-type). The BIN table refines these.
import type { CardBrand } from '../vocabulary.ts';

export interface BrandRange {
  readonly brand: CardBrand;
  /** Inclusive range over the first `digits` digits of the PAN. */
  readonly from: number;
  readonly to: number;
  readonly digits: number;
}

// Longest, most specific ranges first. 622126-622925 is co-branded with Discover abroad; in China
// it is UnionPay, and this gateway routes it as UnionPay.
export const brandRanges: readonly BrandRange[] = [
  { brand: 'mastercard', from: 2221, to: 2720, digits: 4 },
  { brand: 'mir', from: 2200, to: 2204, digits: 4 },
  { brand: 'jcb', from: 3528, to: 3589, digits: 4 },
  { brand: 'discover', from: 6011, to: 6011, digits: 4 },
  { brand: 'unionpay', from: 810, to: 817, digits: 3 },
  { brand: 'diners', from: 300, to: 305, digits: 3 },
  { brand: 'discover', from: 644, to: 649, digits: 3 },
  { brand: 'amex', from: 34, to: 34, digits: 2 },
  { brand: 'amex', from: 37, to: 37, digits: 2 },
  { brand: 'diners', from: 36, to: 36, digits: 2 },
  { brand: 'diners', from: 38, to: 39, digits: 2 },
  { brand: 'mastercard', from: 51, to: 55, digits: 2 },
  { brand: 'unionpay', from: 62, to: 62, digits: 2 },
  { brand: 'discover', from: 65, to: 65, digits: 2 },
  { brand: 'visa', from: 4, to: 4, digits: 1 },
];

export interface BrandRule {
  readonly panLengths: readonly number[];
  readonly cvvLength: number;
  /** Whether a PAN that fails the Luhn check is rejected (UnionPay: only a warning unless strict). */
  readonly luhnRequired: boolean;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export const brandRules: Readonly<Record<CardBrand, BrandRule>> = {
  unionpay: { panLengths: range(14, 19), cvvLength: 3, luhnRequired: false },
  visa: { panLengths: [13, 16, 18, 19], cvvLength: 3, luhnRequired: true },
  mastercard: { panLengths: [16], cvvLength: 3, luhnRequired: true },
  jcb: { panLengths: range(16, 19), cvvLength: 3, luhnRequired: true },
  amex: { panLengths: [15], cvvLength: 4, luhnRequired: true },
  discover: { panLengths: [16, 19], cvvLength: 3, luhnRequired: true },
  diners: { panLengths: [14, 16, 19], cvvLength: 3, luhnRequired: true },
  mir: { panLengths: range(16, 19), cvvLength: 3, luhnRequired: true },
  unknown: { panLengths: range(12, 19), cvvLength: 3, luhnRequired: true },
};

/** The brand of a PAN from its prefix alone; 'unknown' when no range matches. */
export function brandFromPrefix(pan: string): CardBrand {
  for (const candidate of brandRanges) {
    if (pan.length < candidate.digits) continue;
    const head = Number(pan.slice(0, candidate.digits));
    if (head >= candidate.from && head <= candidate.to) return candidate.brand;
  }
  return 'unknown';
}

/** Luhn (mod 10) check over a string of digits. */
export function isLuhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** The Luhn check digit that completes `partial` (for building test PANs). */
export function luhnCheckDigit(partial: string): string {
  for (let d = 0; d <= 9; d += 1) if (isLuhnValid(`${partial}${d}`)) return String(d);
  throw new Error('unreachable: one of ten digits always completes a Luhn sum');
}
