// GET /v1/analytics/failures (docs/analytics.md): failures over a range, grouped by one dimension, as
// totals and a series per interval, optionally against the previous period of the same length; each
// group carries the GET /v1/payments query that lists its payments.
import { tallyBy, tallyByBucket, tallyRows, emptyTally, type Tally } from '../../core/analytics/analytics-report.ts';
import { bucketStarts, intervalMs, previousRange, rollupHours, type AnalyticsInterval, type AnalyticsRange } from '../../core/analytics/analytics-range.ts';
import { articleCauseOf } from '../../core/analytics/rollup.ts';
import type { RollupDimension, RollupSumRow } from '../../core/ports/analytics-store.ts';
import { merchantFilterOf, rollupRowsMax, type AnalyticsDeps, type AnalyticsScope } from './analytics-scope.ts';
import { breakdownDimensions, failureDimensions, type BreakdownBy, type BreakdownGroup, type FailureBreakdown, type GroupFigures } from '../../core/analytics/failure-breakdown-view.ts';

export interface FailureBreakdownQuery {
  range: AnalyticsRange;
  by: BreakdownBy;
  interval: AnalyticsInterval;
  comparePrevious: boolean;
  groupsMax: number;
  terminalId?: string;
  channel?: string;
}

export function figuresOf(tally: Readonly<Tally>): GroupFigures {
  return {
    payments: tally.payments,
    sales: tally.sales,
    salesMinor: tally.salesMinor,
    failures: tally.failures,
    failuresMinor: tally.failuresMinor,
    failureRateBps: tally.failureRateBps,
    lost: tally.lost,
    lostMinor: tally.lostMinor,
    recovered: tally.recovered,
    recoveredMinor: tally.recoveredMinor,
    extraAttempts: tally.extraAttempts,
  };
}

export async function loadFailureBreakdown(deps: AnalyticsDeps, scope: AnalyticsScope, query: FailureBreakdownQuery): Promise<FailureBreakdown> {
  const dimension = breakdownDimensions[query.by];
  const filters = {
    ...merchantFilterOf(scope),
    ...(query.terminalId === undefined ? {} : { terminalId: query.terminalId }),
    ...(query.channel === undefined ? {} : { channel: query.channel }),
  };
  // Ranges are whole local days; by day or week the buckets are too, so the daily level may answer.
  const dayAligned = query.interval !== 'hour';
  const read = (range: { fromMs: number; toMs: number }, extra: { only?: { dimension: RollupDimension; values: string[] }; bucket?: { originMs: number; bucketMs: number } } = {}): Promise<RollupSumRow[]> =>
    scope.none === true ? Promise.resolve([]) : deps.store.sumRollup({ ...(dayAligned ? { fromMs: range.fromMs, toMs: range.toMs } : rollupHours(range)), ...filters, ...extra, groupBy: [dimension, 'outcome'], dayAligned, rowsMax: rollupRowsMax });

  const totalRows = await read(query.range);
  const totalsByGroup = tallyBy(totalRows, dimension);
  const ranked = [...totalsByGroup]
    .filter(([, tally]) => !failureDimensions.has(query.by) || tally.failures > 0)
    .sort(([nameA, a], [nameB, b]) => b.failures - a.failures || b.payments - a.payments || nameA.localeCompare(nameB));
  const shown = ranked.slice(0, query.groupsMax);
  const starts = bucketStarts(query.range, query.interval);
  const bucketMs = intervalMs[query.interval];
  const origin = dayAligned ? query.range.fromMs : rollupHours(query.range).fromMs;
  const seriesRows = shown.length === 0 ? [] : await read(query.range, { only: { dimension, values: shown.map(([name]) => name) }, bucket: { originMs: origin, bucketMs } });
  const series = tallyByBucket(seriesRows, dimension);
  const previousRangeOf = query.comparePrevious ? previousRange(query.range) : null;
  const previousRows = previousRangeOf === null ? [] : await read(previousRangeOf);
  const previousByGroup = tallyBy(previousRows, dimension);
  const total = tallyRows(totalRows);

  const groups: BreakdownGroup[] = shown.map(([name, tally]) => {
    const buckets = series.get(name) ?? new Map<number, Tally>();
    return {
      key: name,
      ...(query.by === 'cause' ? { articleCause: articleCauseOf(name) } : {}),
      totals: figuresOf(tally),
      ...(previousRangeOf === null ? {} : { previous: figuresOf(previousByGroup.get(name) ?? emptyTally) }),
      series: starts.map((_, index) => figuresOf(buckets.get(index) ?? emptyTally)),
      drillDown: drillDownOf(query, scope, name),
    };
  });
  return {
    by: query.by,
    interval: query.interval,
    timeZone: deps.timeZone,
    merchantId: scope.merchantId ?? null,
    from: new Date(query.range.fromMs).toISOString(),
    to: new Date(query.range.toMs).toISOString(),
    buckets: starts.map((at) => new Date(at).toISOString()),
    totals: figuresOf(total),
    ...(previousRangeOf === null ? {} : { previous: { from: new Date(previousRangeOf.fromMs).toISOString(), to: new Date(previousRangeOf.toMs).toISOString(), totals: figuresOf(tallyRows(previousRows)) } }),
    // Fee lines price approved sales only (docs/fees.md): a retry or failover adds no fee line, so its fee cost is 0.
    cost: { lostMinor: total.lostMinor, lost: total.lost, extraAttempts: total.extraAttempts, retryFeesMinor: 0 },
    groups,
    groupsTotal: ranked.length,
    truncated: ranked.length > shown.length,
  };
}

/** The GET /v1/payments query listing a group's failed payments (status=declined: the reversed ones are listed with status=reversed). */
function drillDownOf(query: FailureBreakdownQuery, scope: AnalyticsScope, name: string): BreakdownGroup['drillDown'] {
  const params = new URLSearchParams();
  params.set('from', new Date(query.range.fromMs).toISOString());
  params.set('to', new Date(query.range.toMs).toISOString());
  params.set('status', 'declined');
  if (scope.merchantId !== undefined) params.set('merchantId', scope.merchantId);
  if (query.terminalId !== undefined) params.set('terminalId', query.terminalId);
  let exact = query.channel === undefined;
  switch (query.by) {
    case 'cause':
      if (name === 'unknown_outcome') params.set('status', 'reversed');
      else params.set('category', name);
      break;
    case 'code':
      if (/^[0-9A-Z]{2}$/.test(name)) params.set('responseCode', name);
      else exact = false;
      break;
    case 'terminal':
      if (name === '') exact = false;
      else params.set('terminalId', name);
      break;
    case 'merchant':
      params.set('merchantId', name);
      break;
    case 'cardType':
      params.set('cardType', name);
      break;
    case 'brand':
      params.set('brand', name);
      break;
    case 'party':
    case 'verdict':
    case 'channel':
      exact = false;
      break;
  }
  return { path: '/v1/payments', query: params.toString(), exact };
}
