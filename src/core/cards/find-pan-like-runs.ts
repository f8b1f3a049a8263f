// The one detector of card numbers hidden in text. Free text that reswipe stores (a payment reference,
// an Idempotency-Key, a merchant name) must never hold a PAN, and logs and error texts mask anything
// that may be one. A candidate is 13 to 19 digits that pass Luhn and start with 2 to 9: no card range
// reswipe knows starts with 0 or 1 (MII 0 is reserved, 1 is airline cards), while millisecond and
// microsecond timestamps (13 and 16 digits, common in keys) all start with 1. It is written either as
// one run of digits or in the groups cards are printed in, separated by single spaces or dashes:
// 4-4-4-4 (and 4-4-4-4-1 to 4-4-4-4-3 for 17 to 19 digits), 4-6-5 and 4-6-4. Only whole groups count,
// which keeps false alarms on ordinary keys down: "20261205-4111111111111111" is found through its
// second group, while "pos1-20261205-000123" (8 + 6 digits) or a 24-digit order number is not checked
// window by window (one in ten such windows would pass Luhn by chance).
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
  const lengths = groups.slice(from, from + 6).map((group) => group.end - group.start);
  const isCandidate = (digits: string): boolean => digits.length >= digitsMin && digits.length <= panLikeDigitsMax && digits[0] !== '0' && digits[0] !== '1' && isLuhnValid(digits);
  const runOf = (count: number): { run: PanLikeRun; nextGroup: number } => {
    const first = groups[from] as { start: number; end: number };
    const last = groups[from + count - 1] as { start: number; end: number };
    const digits = groups.slice(from, from + count).map((group) => text.slice(group.start, group.end)).join('');
    return { run: { start: first.start, end: last.end, digits }, nextGroup: from + count };
  };
  // One group alone: the plain rule for logs, or a Luhn-valid PAN length.
  const alone = runOf(1);
  if (plainDigitsMin !== undefined && alone.run.digits.length >= plainDigitsMin && alone.run.digits.length <= panLikeDigitsMax) return alone;
  if (isCandidate(alone.run.digits)) return alone;
  // A printed form stands apart from letters and digits on both sides: in a UUID or hex id the digit groups
  // are glued to letters, and "1d02" is no card group.
  const standsApart = (count: number): boolean => {
    const before = text[(groups[from]?.start ?? 0) - 1] ?? ' ';
    const after = text[groups[from + count - 1]?.end ?? text.length] ?? ' ';
    return !/[A-Za-z0-9]/.test(before) && !/[A-Za-z0-9]/.test(after);
  };
  const printed = (count: number): boolean => standsApart(count) && isCandidate(runOf(count).run.digits);
  // Printed forms: 4-6-5 and 4-6-4 (American Express, Diners).
  if (lengths[0] === 4 && lengths[1] === 6 && (lengths[2] === 5 || lengths[2] === 4) && printed(3)) return runOf(3);
  // Four groups of 4, and for 17 to 19 digits a fifth of 1 to 3 (4-4-4-4, 4-4-4-4-3).
  if (lengths.length >= 4 && lengths.slice(0, 4).every((length) => length === 4)) {
    if (printed(4)) return runOf(4);
    const fifth = lengths[4];
    if (fifth !== undefined && fifth <= 3 && printed(5)) return runOf(5);
  }
  return null;
}
