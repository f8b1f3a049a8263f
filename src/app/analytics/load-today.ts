// GET /v1/analytics/today (docs/analytics.md): one business day at a glance, from the hourly rollup.
import { articleCauseShares, emptyTally, failureShares, tallyBy, tallyByBucket, tallyRows, worstGroups, type FailureShare, type Tally } from '../../core/analytics/analytics-report.ts';
import { addDays, localDayWindow, rollupHours } from '../../core/analytics/analytics-range.ts';
import { hourOf, rescueWindowMsDefault } from '../../core/analytics/rollup.ts';
import type { RollupSumRow } from '../../core/ports/analytics-store.ts';
import { businessDateOf } from '../../core/fees/business-date.ts';
import { merchantFilterOf, rollupRowsMax, type AnalyticsDeps, type AnalyticsScope } from './analytics-scope.ts';

const hourMs = 3_600_000;
/** A terminal or channel needs this many answered payments in the window to be ranked among the worst. */
export const worstMinimumDefault = 5;
export const worstLimit = 5;

export interface HourTrend {
  /** Local hour of the day, 0-23. */
  hour: number;
  start: string;
  sales: number;
  salesMinor: number;
  failures: number;
  approvalRateBps: number | null;
  yesterday: { sales: number; salesMinor: number; failures: number; approvalRateBps: number | null };
}

export interface WorstEntry {
  id: string;
  answered: number;
  failures: number;
  failureRateBps: number | null;
}

export interface TodayReport {
  date: string;
  timeZone: string;
  merchantId: string | null;
  from: string;
  to: string;
  asOf: string;
  payments: number;
  sales: { count: number; amountMinor: number };
  failures: { count: number; amountMinor: number };
  approvalRateBps: number | null;
  failuresByArticleCause: FailureShare[];
  failuresByCause: FailureShare[];
  failuresByParty: FailureShare[];
  failuresByVerdict: FailureShare[];
  recovered: { count: number; amountMinor: number };
  lost: { count: number; amountMinor: number; windowMinutes: number };
  trend: HourTrend[];
  worst: { from: string; to: string; minimumAnswered: number; terminals: WorstEntry[]; channels: WorstEntry[] };
}

export async function loadToday(deps: AnalyticsDeps, scope: AnalyticsScope, query: { date?: string; worstMinimum?: number }): Promise<TodayReport> {
  const nowMs = deps.clock.nowMs();
  const date = query.date ?? businessDateOf(nowMs, deps.timeZone, '00:00');
  const day = localDayWindow(date, deps.timeZone);
  const yesterday = localDayWindow(addDays(date, -1), deps.timeZone);
  const worstWindow = { fromMs: hourOf(nowMs) - hourMs, toMs: hourOf(nowMs) + hourMs };
  const read = (range: { fromMs: number; toMs: number }, groupBy: Parameters<AnalyticsDeps['store']['sumRollup']>[0]['groupBy'], bucket?: { originMs: number; bucketMs: number }): Promise<RollupSumRow[]> =>
    scope.none === true
      ? Promise.resolve([])
      : deps.store.sumRollup({ ...rollupHours(range), ...merchantFilterOf(scope), groupBy, ...(bucket === undefined ? {} : { bucket }), rowsMax: rollupRowsMax });
  // The day's figures group by cause dimensions only: the hourly cause level answers them.
  const [dayRows, trendRows, terminalRows, channelRows] = await Promise.all([
    read(day, ['cause', 'party', 'verdict', 'outcome']),
    read({ fromMs: yesterday.fromMs, toMs: day.toMs }, ['outcome'], { originMs: hourOf(yesterday.fromMs), bucketMs: hourMs }),
    read(worstWindow, ['terminal', 'outcome']),
    read(worstWindow, ['channel', 'outcome']),
  ]);
  const total = tallyRows(dayRows);
  const byCause = tallyBy(dayRows, 'cause');
  const hours = tallyByBucket(trendRows, null).get('') ?? new Map<number, Tally>();
  const yesterdayHours = Math.round((yesterday.toMs - yesterday.fromMs) / hourMs);
  const trend: HourTrend[] = [];
  for (let at = day.fromMs, hour = 0; at < day.toMs; at += hourMs, hour++) {
    const today = hours.get(Math.floor((hourOf(at) - hourOf(yesterday.fromMs)) / hourMs)) ?? emptyTally;
    const before = hour < yesterdayHours ? (hours.get(Math.floor((hourOf(at - (day.fromMs - yesterday.fromMs)) - hourOf(yesterday.fromMs)) / hourMs)) ?? emptyTally) : emptyTally;
    trend.push({
      hour,
      start: new Date(at).toISOString(),
      sales: today.sales,
      salesMinor: today.salesMinor,
      failures: today.failures,
      approvalRateBps: today.approvalRateBps,
      yesterday: { sales: before.sales, salesMinor: before.salesMinor, failures: before.failures, approvalRateBps: before.approvalRateBps },
    });
  }
  const minimum = query.worstMinimum ?? worstMinimumDefault;
  const worstOf = (rows: RollupSumRow[], dimension: 'terminal' | 'channel'): WorstEntry[] =>
    worstGroups(tallyBy(rows.filter((row) => row.group[dimension] !== ''), dimension), minimum, worstLimit).map(({ name, tally }) => ({
      id: name,
      answered: tally.sales + tally.failures,
      failures: tally.failures,
      failureRateBps: tally.failureRateBps,
    }));
  return {
    date,
    timeZone: deps.timeZone,
    merchantId: scope.merchantId ?? null,
    from: new Date(day.fromMs).toISOString(),
    to: new Date(day.toMs).toISOString(),
    asOf: new Date(nowMs).toISOString(),
    payments: total.payments,
    sales: { count: total.sales, amountMinor: total.salesMinor },
    failures: { count: total.failures, amountMinor: total.failuresMinor },
    approvalRateBps: total.approvalRateBps,
    failuresByArticleCause: articleCauseShares(byCause),
    failuresByCause: failureShares(byCause),
    failuresByParty: failureShares(tallyBy(dayRows, 'party')),
    failuresByVerdict: failureShares(tallyBy(dayRows, 'verdict')),
    recovered: { count: total.recovered, amountMinor: total.recoveredMinor },
    lost: { count: total.lost, amountMinor: total.lostMinor, windowMinutes: rescueWindowMsDefault / 60_000 },
    trend,
    worst: {
      from: new Date(worstWindow.fromMs).toISOString(),
      to: new Date(worstWindow.toMs).toISOString(),
      minimumAnswered: minimum,
      terminals: worstOf(terminalRows, 'terminal'),
      channels: worstOf(channelRows, 'channel'),
    },
  };
}
