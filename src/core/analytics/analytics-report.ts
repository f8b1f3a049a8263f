// The figures the analytics API answers with (docs/analytics.md), folded from rollup sums. Pure: the use
// cases in src/app/analytics/ read the sums (src/core/ports/analytics-store.ts) and hand them here.
import { addValues, articleCauseOf, emptyValues, isFailedOutcome, percentileOf, type RollupValues } from './rollup.ts';
import type { RollupDimension, RollupSumRow } from '../ports/analytics-store.ts';

/** What a set of rollup rows says, the outcome folded in. */
export interface Tally {
  /** Every rolled-up payment (sales and pre-authorizations), whatever their outcome. */
  payments: number;
  /** Approved now (a voided or reversed sale is not a sale any more). */
  sales: number;
  salesMinor: number;
  /** Declined, or reversed after an unknown outcome. */
  failures: number;
  failuresMinor: number;
  /** sales / (sales + failures), in basis points; null without either. */
  approvalRateBps: number | null;
  failureRateBps: number | null;
  recovered: number;
  recoveredMinor: number;
  lost: number;
  lostMinor: number;
  attempts: number;
  extraAttempts: number;
  failovers: number;
  fallbacks: number;
  fallbackRateBps: number | null;
  latency: { count: number; meanMs: number | null; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null };
}

interface Accumulator {
  all: RollupValues;
  approved: RollupValues;
  failed: RollupValues;
}

function newAccumulator(): Accumulator {
  return { all: emptyValues(), approved: emptyValues(), failed: emptyValues() };
}

function accumulate(into: Accumulator, outcome: string | undefined, values: RollupValues): void {
  addValues(into.all, values);
  if (outcome === 'approved') addValues(into.approved, values);
  else if (outcome !== undefined && isFailedOutcome(outcome)) addValues(into.failed, values);
}

function rateBps(part: number, whole: number): number | null {
  return whole <= 0 ? null : Math.round((part * 10_000) / whole);
}

function tallyOf(acc: Accumulator): Tally {
  const { all, approved, failed } = acc;
  const answered = approved.payments + failed.payments;
  return {
    payments: all.payments,
    sales: approved.payments,
    salesMinor: approved.amountMinor,
    failures: failed.payments,
    failuresMinor: failed.amountMinor,
    approvalRateBps: rateBps(approved.payments, answered),
    failureRateBps: rateBps(failed.payments, answered),
    recovered: all.recovered,
    recoveredMinor: all.recoveredMinor,
    lost: all.lost,
    lostMinor: all.lostMinor,
    attempts: all.attempts,
    extraAttempts: all.extraAttempts,
    failovers: all.failovers,
    fallbacks: all.fallbacks,
    fallbackRateBps: rateBps(all.fallbacks, all.payments),
    latency: {
      count: all.latencyCount,
      meanMs: all.latencyCount === 0 ? null : Math.round(all.latencySumMs / all.latencyCount),
      p50Ms: percentileOf(all.latencyBuckets, 50),
      p95Ms: percentileOf(all.latencyBuckets, 95),
      p99Ms: percentileOf(all.latencyBuckets, 99),
    },
  };
}

/** One tally over every row (the rows must be grouped by `outcome`). */
export function tallyRows(rows: readonly RollupSumRow[]): Tally {
  const acc = newAccumulator();
  for (const row of rows) accumulate(acc, row.group.outcome, row.values);
  return tallyOf(acc);
}

/** A tally per value of `dimension` (the rows must be grouped by it and by `outcome`). */
export function tallyBy(rows: readonly RollupSumRow[], dimension: RollupDimension | ((row: RollupSumRow) => string)): Map<string, Tally> {
  const groups = new Map<string, Accumulator>();
  for (const row of rows) {
    const name = typeof dimension === 'function' ? dimension(row) : (row.group[dimension] ?? '');
    let acc = groups.get(name);
    if (acc === undefined) groups.set(name, (acc = newAccumulator()));
    accumulate(acc, row.group.outcome, row.values);
  }
  return new Map([...groups].map(([name, acc]) => [name, tallyOf(acc)]));
}

/** A tally per (group, time bucket). */
export function tallyByBucket(rows: readonly RollupSumRow[], dimension: RollupDimension | null): Map<string, Map<number, Tally>> {
  const groups = new Map<string, Map<number, Accumulator>>();
  for (const row of rows) {
    const name = dimension === null ? '' : (row.group[dimension] ?? '');
    let buckets = groups.get(name);
    if (buckets === undefined) groups.set(name, (buckets = new Map()));
    const bucket = row.bucket ?? 0;
    let acc = buckets.get(bucket);
    if (acc === undefined) buckets.set(bucket, (acc = newAccumulator()));
    accumulate(acc, row.group.outcome, row.values);
  }
  return new Map([...groups].map(([name, buckets]) => [name, new Map([...buckets].map(([bucket, acc]) => [bucket, tallyOf(acc)]))]));
}

export const emptyTally: Readonly<Tally> = Object.freeze(tallyOf(newAccumulator()));

/** A group that failed: cause, party, verdict or response code, with its count and amount, largest first. */
export interface FailureShare {
  readonly name: string;
  readonly failures: number;
  readonly failuresMinor: number;
  readonly lost: number;
  readonly lostMinor: number;
  /** failures of this group / all failures, in basis points. */
  readonly shareBps: number;
}

/** Failure groups of a dimension, largest first, leaving out groups without failures. */
export function failureShares(tallies: ReadonlyMap<string, Tally>): FailureShare[] {
  const total = [...tallies.values()].reduce((sum, tally) => sum + tally.failures, 0);
  return [...tallies]
    .filter(([, tally]) => tally.failures > 0)
    .map(([name, tally]) => ({ name, failures: tally.failures, failuresMinor: tally.failuresMinor, lost: tally.lost, lostMinor: tally.lostMinor, shareBps: rateBps(tally.failures, total) ?? 0 }))
    .sort((a, b) => b.failures - a.failures || a.name.localeCompare(b.name));
}

/** Failures by the article's five causes (always all five, in the article's order, then `other`). */
export function articleCauseShares(byCause: ReadonlyMap<string, Tally>): FailureShare[] {
  const folded = new Map<string, { failures: number; failuresMinor: number; lost: number; lostMinor: number }>();
  for (const cause of ['card_data', 'balance', 'network', 'merchant_permission', 'card_status', 'other']) folded.set(cause, { failures: 0, failuresMinor: 0, lost: 0, lostMinor: 0 });
  let total = 0;
  for (const [cause, tally] of byCause) {
    if (tally.failures === 0) continue;
    const entry = folded.get(articleCauseOf(cause))!;
    entry.failures += tally.failures;
    entry.failuresMinor += tally.failuresMinor;
    entry.lost += tally.lost;
    entry.lostMinor += tally.lostMinor;
    total += tally.failures;
  }
  return [...folded].map(([name, entry]) => ({ name, ...entry, shareBps: rateBps(entry.failures, total) ?? 0 }));
}

/** Groups with at least `minimumCount` answered payments, highest failure rate first, at most `limit`. */
export function worstGroups(tallies: ReadonlyMap<string, Tally>, minimumCount: number, limit: number): Array<{ name: string; tally: Tally }> {
  return [...tallies]
    .filter(([, tally]) => tally.sales + tally.failures >= minimumCount && tally.failures > 0)
    .map(([name, tally]) => ({ name, tally }))
    .sort((a, b) => (b.tally.failureRateBps ?? 0) - (a.tally.failureRateBps ?? 0) || b.tally.failures - a.tally.failures || a.name.localeCompare(b.name))
    .slice(0, limit);
}

/** Minor units as yuan with two decimals (CSV): 12345 -> "123.45", -5 -> "-0.05". */
export function yuanOf(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A CSV field, quoted when it holds a separator, a quote or a line break; a leading = + - @ is defused for spreadsheets. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** UTF-8 byte order mark: Excel opens the file as UTF-8 (Chinese labels intact) only with it. */
export const csvBom = '\uFEFF';

export function csvOf(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  return csvBom + [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
