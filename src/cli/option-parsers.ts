// Parsers for command-line option values that several commands share, so the same flag is checked
// the same way, with the same RSW_BAD_ARGUMENT wording, wherever it appears.
import { ReswipeError } from '../core/errors/reswipe-error.ts';
import type { FramingKind } from '../core/iso8583/index.ts';

/** Reads a whole decimal number in [min, max]; anything else is RSW_BAD_ARGUMENT naming `field`. */
export function integerOption(field: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!(/^\d+$/.test(text) && Number.isSafeInteger(value) && value >= min && value <= max)) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: `must be an integer from ${min} to ${max}` });
  }
  return value;
}

/** Reads a fault probability flag as a number; NaN when not a number, so the simulator's fault validation names the setting in its error. */
export function rateOption(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

/** Reads --framing: binary2 (2-byte length) or ascii4 (4 ASCII digits). */
export function framingOption(text: string): FramingKind {
  if (text !== 'binary2' && text !== 'ascii4') throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'framing', reason: 'must be binary2 or ascii4' });
  return text;
}
