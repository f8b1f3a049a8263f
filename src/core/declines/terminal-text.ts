// What the terminal shows: DE 44 carries the verdict, DE 63 a short cashier message (at most 120
// bytes, docs/contracts/terminal-link.md). Both come from the same Diagnosis as the HTTP answer.
import { assertNever, type Language } from '../vocabulary.ts';
import type { Diagnosis } from './diagnosis.ts';

/** DE 63 is at most this many bytes on the wire. */
export const cashierMessageBytesMax = 120;

/** DE 44: 'NONE' | 'NOW' | 'LATER:30' | 'FIX' | 'NEVER' | 'WAIT:30'. */
export function terminalVerdictText(d: Diagnosis): string {
  switch (d.verdict) {
    case 'none':
      return 'NONE';
    case 'now':
      return 'NOW';
    case 'fix':
      return 'FIX';
    case 'never':
      return 'NEVER';
    case 'later':
      return d.waitSeconds === null ? 'LATER' : `LATER:${d.waitSeconds}`;
    case 'wait':
      return d.waitSeconds === null ? 'WAIT' : `WAIT:${d.waitSeconds}`;
    default:
      return assertNever(d.verdict, 'retry verdict');
  }
}

function utf8Bytes(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

/** Cuts text to at most maxBytes of UTF-8 without splitting a character (code point). */
export function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of text) {
    const size = utf8Bytes(ch.codePointAt(0) ?? 0);
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += ch;
  }
  return out;
}

/** DE 63: the cashier advice in the terminal's language, at most maxBytes (120) of UTF-8, cut on a character boundary. */
export function cashierMessage(d: Diagnosis, lang: Language, maxBytes: number = cashierMessageBytesMax): string {
  const limit = Math.max(0, Math.min(maxBytes, cashierMessageBytesMax));
  return truncateUtf8(d.advice.cashier[lang], limit);
}

/**
 * DE 63 with a note after the advice (how the tries of the sale ended) when both fit in maxBytes;
 * otherwise the advice alone, which always comes first.
 */
export function cashierMessageWithNote(d: Diagnosis, lang: Language, note: string | null | undefined, maxBytes: number = cashierMessageBytesMax): string {
  const advice = cashierMessage(d, lang, maxBytes);
  if (note === null || note === undefined || note === '') return advice;
  const joined = `${advice} ${note}`;
  return truncateUtf8(joined, Math.min(maxBytes, cashierMessageBytesMax)) === joined ? joined : advice;
}
