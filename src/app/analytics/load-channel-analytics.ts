// GET /v1/analytics/channels (docs/analytics.md): per upstream channel over the range, sales, failure
// rate, attempts, failovers and the latency percentiles of its attempts, from the rollup. A payment is
// counted on the channel of its last attempt; local declines (nothing sent) on no channel.
import { tallyBy, type Tally } from '../../core/analytics/analytics-report.ts';
import type { AnalyticsRange } from '../../core/analytics/analytics-range.ts';
import { merchantFilterOf, rollupRowsMax, type AnalyticsDeps, type AnalyticsScope } from './analytics-scope.ts';

export interface ChannelAnalytics {
  channel: string;
  payments: number;
  sales: number;
  salesMinor: number;
  failures: number;
  failureRateBps: number | null;
  attempts: number;
  extraAttempts: number;
  failovers: number;
  recovered: number;
  latency: Tally['latency'];
}

export interface ChannelAnalyticsReport {
  from: string;
  to: string;
  merchantId: string | null;
  data: ChannelAnalytics[];
}

export async function loadChannelAnalytics(deps: AnalyticsDeps, scope: AnalyticsScope, range: AnalyticsRange): Promise<ChannelAnalyticsReport> {
  const frame = { from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString(), merchantId: scope.merchantId ?? null };
  if (scope.none === true) return { ...frame, data: [] };
  const [channels, rows] = await Promise.all([
    deps.store.listChannels(),
    deps.store.sumRollup({ fromMs: range.fromMs, toMs: range.toMs, ...merchantFilterOf(scope), groupBy: ['channel', 'outcome'], dayAligned: true, rowsMax: rollupRowsMax }),
  ]);
  const tallies = tallyBy(
    rows.filter((row) => row.group.channel !== ''),
    'channel',
  );
  const names = new Set([...channels.map((channel) => channel.name), ...tallies.keys()]);
  const data = [...names].sort().map((name): ChannelAnalytics => {
    const tally = tallies.get(name);
    return {
      channel: name,
      payments: tally?.payments ?? 0,
      sales: tally?.sales ?? 0,
      salesMinor: tally?.salesMinor ?? 0,
      failures: tally?.failures ?? 0,
      failureRateBps: tally?.failureRateBps ?? null,
      attempts: tally?.attempts ?? 0,
      extraAttempts: tally?.extraAttempts ?? 0,
      failovers: tally?.failovers ?? 0,
      recovered: tally?.recovered ?? 0,
      latency: tally?.latency ?? { count: 0, meanMs: null, p50Ms: null, p95Ms: null, p99Ms: null },
    };
  });
  return { ...frame, data };
}
