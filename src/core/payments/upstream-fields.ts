// Field values that every upstream request of host-link.md formats the same way (the sale, the
// follow-ups of the transaction set and the reversal): the DE 7 and DE 12/13 instants and the
// fixed-length ans of DE 41/42/43, so a reversal names exactly the terminal and merchant its sale did.
// Pure: instants come in as numbers.
import { localTimeOf } from '../time/local-time.ts';

/** The last DE 7 written, for its second: a sale writes DE 7 several times (attempt, request, outcome), as do the other sales of that second. */
let lastTransmission = { secondStartMs: Number.NaN, text: '' };

/** DE 7 (MMDDhhmmss, UTC) for an instant. */
export function transmissionDateTime(nowMs: number): string {
  const secondStartMs = Math.floor(nowMs / 1000) * 1000;
  if (secondStartMs === lastTransmission.secondStartMs) return lastTransmission.text;
  const at = new Date(secondStartMs);
  const text = pad2(at.getUTCMonth() + 1) + pad2(at.getUTCDate()) + pad2(at.getUTCHours()) + pad2(at.getUTCMinutes()) + pad2(at.getUTCSeconds());
  lastTransmission = { secondStartMs, text };
  return text;
}

/** DE 12 (hhmmss) and DE 13 (MMDD) in the merchant's local time; China Standard Time (UTC+8) by default. */
export function localDateTime(nowMs: number, localOffsetMinutes = 480): { readonly time: string; readonly date: string } {
  const local = localTimeOf(nowMs, localOffsetMinutes);
  return { time: local.hhmmss, date: local.mmdd };
}

/** Fixed-length ans: right-padded with spaces, cut to the length (a longer name never breaks the frame). */
export function fixedAns(value: string, length: number): string {
  // Printable ASCII only: DE 43 is ans, and a merchant name may be Chinese; non-ASCII is replaced.
  const ascii = value.replace(/[^\x20-\x7e]/g, '?');
  return ascii.slice(0, length).padEnd(length, ' ');
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}
