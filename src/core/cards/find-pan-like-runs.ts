// The one detector of card numbers hidden in text. Free text that reswipe stores (a payment reference,
// an Idempotency-Key, a merchant name) must never hold a PAN, and logs and error texts mask anything
// that may be one. A candidate is a run of digits, optionally grouped by single spaces or dashes
// ("4111 1111 1111 1111", "4111-1111-1111-1111"), made of whole groups, 13 to 19 digits long, not
// starting with 0 (no card range starts with 0), whose digits pass Luhn. Whole groups keep the false
// alarm rate of long digit strings (dates, order numbers) down: "20261205-4111111111111111" is found
// through its second group, but a 24-digit order number is not checked window by window.
import { isLuhnValid } from './card-brands.ts';

/** Shortest and longest digit count of a PAN that free text is checked for (ISO/IEC 7812 allows 19). */
export const panLikeDigitsMin = 13;
export const panLikeDigitsMax = 19;

/** Where a PAN-like run sits in a text: `text.slice(start, end)` is the run, separators included. */
export interface PanLikeRun {
  readonly start: number;
  readonly end: number;
  /** The run's digits without separators. */
  readonly digits: string;
}

export interface FindPanLikeRunsOptions {
  /** Fewest digits of a Luhn-valid candidate; 13 by default (the free-text rule). Masking uses 12, the shortest PAN reswipe accepts. */
  readonly digitsMin?: number;
  /** Also report plain digit runs (no separators) of `plainDigitsMin` to 19 digits whether or not they pass Luhn: the stricter rule for logs. */
  readonly plainDigitsMin?: number;
}

/** Grouped digit runs: digit groups joined by one space or one dash. */
const groupedRunPattern = /\d+(?:[ -]\d+)*/g;
/** Most groups one run may have that are combined into candidates; bounds the work on hostile text. */
const groupsMax = 64;

/** Every PAN-like run in `text`, in order, not overlapping. Pure and bounded: linear in the text length times 19. */
export function findPanLikeRuns(text: string, options: FindPanLikeRunsOptions = {}): PanLikeRun[] {
  const found: PanLikeRun[] = [];
  for (const match of text.matchAll(groupedRunPattern)) {
    const runStart = match.index;
    const groups: Array<{ start: number; end: number }> = [];
    for (const group of match[0].matchAll(/\d+/g)) {
      groups.push({ start: runStart + group.index, end: runStart + group.index + group[0].length });
      if (groups.length >= groupsMax) break;
    }
    let from = 0;
    while (from < groups.length) {
      const hit = firstCandidateFrom(text, groups, from, options.digitsMin ?? panLikeDigitsMin, options.plainDigitsMin);
      if (hit === null) {
        from += 1;
        continue;
      }
      found.push(hit.run);
      from = hit.nextGroup;
    }
  }
  return found;
}

/** True when `text` holds a PAN-like run (the free-text refusal rule). */
export function hasPanLikeRun(text: string): boolean {
  return findPanLikeRuns(text).length > 0;
}

function firstCandidateFrom(
  text: string,
  groups: ReadonlyArray<{ start: number; end: number }>,
  from: number,
  digitsMin: number,
  plainDigitsMin: number | undefined,
): { run: PanLikeRun; nextGroup: number } | null {
  let digits = '';
  for (let last = from; last < groups.length; last += 1) {
    const group = groups[last];
    if (group === undefined) break;
    digits += text.slice(group.start, group.end);
    if (digits.length > panLikeDigitsMax) break;
    const start = groups[from]?.start ?? group.start;
    const plain = last === from && plainDigitsMin !== undefined && digits.length >= plainDigitsMin;
    if (plain || (digits.length >= digitsMin && digits[0] !== '0' && isLuhnValid(digits))) {
      return { run: { start, end: group.end, digits }, nextGroup: last + 1 };
    }
  }
  return null;
}
