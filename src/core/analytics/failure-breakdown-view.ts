// What GET /v1/analytics/failures answers (docs/analytics.md), and its CSV form. The use case
// (src/app/analytics/load-failure-breakdown.ts) fills it; the route sends it as JSON or as CSV.
import { csvOf, yuanOf } from './analytics-report.ts';
import { articleCauseLabels } from './article-cause-labels.ts';
import type { RollupDimension } from '../ports/analytics-store.ts';
import type { AnalyticsInterval } from './analytics-range.ts';

/** `by` of the API and the rollup dimension behind it. */
export const breakdownDimensions = {
  cause: 'cause',
  party: 'party',
  verdict: 'verdict',
  code: 'responseCode',
  terminal: 'terminal',
  channel: 'channel',
  cardType: 'cardType',
  brand: 'brand',
  merchant: 'merchant',
} as const satisfies Record<string, RollupDimension>;
export type BreakdownBy = keyof typeof breakdownDimensions;
export const breakdownBys = Object.keys(breakdownDimensions) as BreakdownBy[];

/** Dimensions whose groups are kinds of failure: a group without failures (approved) is left out. */
export const failureDimensions: ReadonlySet<BreakdownBy> = new Set<BreakdownBy>(['cause', 'party', 'verdict', 'code']);

export interface GroupFigures {
  payments: number;
  sales: number;
  salesMinor: number;
  failures: number;
  failuresMinor: number;
  failureRateBps: number | null;
  lost: number;
  lostMinor: number;
  recovered: number;
  recoveredMinor: number;
  extraAttempts: number;
}

export interface BreakdownGroup {
  key: string;
  /** by=cause: which of the article's five causes the category counts as. */
  articleCause?: string;
  totals: GroupFigures;
  previous?: GroupFigures;
  /** One entry per bucket, in the order of `buckets`. */
  series: GroupFigures[];
  /** GET /v1/payments lists this group's failed payments with this query; `exact` false when the list has no filter for the dimension (the query then narrows by range and scope only). */
  drillDown: { path: '/v1/payments'; query: string; exact: boolean };
}

export interface FailureBreakdown {
  by: BreakdownBy;
  interval: AnalyticsInterval;
  timeZone: string;
  merchantId: string | null;
  from: string;
  to: string;
  buckets: string[];
  totals: GroupFigures;
  previous?: { from: string; to: string; totals: GroupFigures };
  /** What failures cost: the lost sales and the extra attempts (retries, failovers) made for them. */
  cost: { lostMinor: number; lost: number; extraAttempts: number; retryFeesMinor: number };
  groups: BreakdownGroup[];
  groupsTotal: number;
  truncated: boolean;
}


export const failureCsvHeader = [
  'by',
  'group',
  'article_cause',
  'article_cause_zh',
  'bucket_start',
  'payments',
  'sales',
  'sales_yuan',
  'sales_minor',
  'failures',
  'failure_rate_pct',
  'failures_yuan',
  'failures_minor',
  'lost',
  'lost_yuan',
  'lost_minor',
  'recovered',
  'recovered_yuan',
  'recovered_minor',
  'extra_attempts',
] as const;

function figuresCells(figures: GroupFigures): Array<string | number> {
  return [
    figures.payments,
    figures.sales,
    yuanOf(figures.salesMinor),
    figures.salesMinor,
    figures.failures,
    figures.failureRateBps === null ? '' : (figures.failureRateBps / 100).toFixed(2),
    yuanOf(figures.failuresMinor),
    figures.failuresMinor,
    figures.lost,
    yuanOf(figures.lostMinor),
    figures.lostMinor,
    figures.recovered,
    yuanOf(figures.recoveredMinor),
    figures.recoveredMinor,
    figures.extraAttempts,
  ];
}

/** One row per group and bucket, then the group's total (bucket_start `total`); UTF-8 with BOM, CRLF lines. */
export function failureBreakdownCsv(report: FailureBreakdown): string {
  const rows: Array<Array<string | number>> = [];
  for (const group of report.groups) {
    const article = group.articleCause ?? '';
    const articleZh = group.articleCause === undefined ? '' : (articleCauseLabels[group.articleCause as keyof typeof articleCauseLabels]?.zh ?? '');
    const lead = [report.by, group.key, article, articleZh];
    group.series.forEach((figures, index) => rows.push([...lead, report.buckets[index] ?? '', ...figuresCells(figures)]));
    rows.push([...lead, 'total', ...figuresCells(group.totals)]);
  }
  return csvOf(failureCsvHeader, rows);
}
