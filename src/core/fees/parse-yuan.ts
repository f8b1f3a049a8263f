// Conversions between 元 text and fen integers, for the edges (CLI flags, human output). Never floats.
import { ReswipeError } from '../errors/reswipe-error.ts';
import { amountMinorMax } from './fee-plan.ts';

const yuanPattern = /^(\d{1,10})(?:\.(\d{1,2}))?$/;

/** "333.33" → 33333, "0.1" → 10, "10000" → 1000000. Rejects signs, exponents, more than 2 decimals. */
export function parseYuanToMinor(text: string, field = 'amount'): number {
  const trimmed = text.trim().replace(/^¥/, '').replace(/,/g, '');
  if (trimmed.startsWith('-')) throw new ReswipeError('RSW_FEE_BAD_AMOUNT', { field, reason: 'must not be negative' });
  const match = yuanPattern.exec(trimmed);
  if (match === null) throw new ReswipeError('RSW_FEE_BAD_AMOUNT', { field, reason: 'must be yuan with at most two decimals, like 333.33' });
  const minor = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (minor > amountMinorMax) throw new ReswipeError('RSW_FEE_BAD_AMOUNT', { field, reason: `must be at most ${formatMinorAsYuan(amountMinorMax)} yuan` });
  return minor;
}

/** 33333 → "333.33", -5 → "-0.05". */
export function formatMinorAsYuan(amountMinor: number): string {
  const sign = amountMinor < 0 ? '-' : '';
  const absolute = Math.abs(amountMinor);
  return `${sign}${Math.trunc(absolute / 100)}.${String(absolute % 100).padStart(2, '0')}`;
}
