// GET /v1/analytics/terminals (docs/analytics.md): per terminal, what the terminals table knows (last
// seen, signed on) beside what the rollup counts over the range (sales, failure and fallback rates) and
// the payments still pending now.
import { emptyTally, tallyBy } from '../../core/analytics/analytics-report.ts';
import type { AnalyticsRange } from '../../core/analytics/analytics-range.ts';
import { merchantFilterOf, rollupRowsMax, type AnalyticsDeps, type AnalyticsScope } from './analytics-scope.ts';

/** Pending payments read to count them per terminal (newest first); beyond it `pendingTruncated` is true. */
export const pendingReadMax = 500;
/** A payment pending for longer than this is stuck (the recovery sweep settles it; docs/engine.md). */
export const stuckAfterMs = 60_000;
export const terminalsMax = 1000;

export interface TerminalAnalytics {
  terminalId: string;
  merchantId: string;
  state: string;
  signedOn: boolean;
  lastSeenAt: string | null;
  payments: number;
  sales: number;
  salesMinor: number;
  failures: number;
  failureRateBps: number | null;
  fallbacks: number;
  fallbackRateBps: number | null;
  pending: number;
  stuck: number;
}

export interface TerminalAnalyticsReport {
  from: string;
  to: string;
  merchantId: string | null;
  data: TerminalAnalytics[];
  pendingTruncated: boolean;
  truncated: boolean;
}

export async function loadTerminalAnalytics(deps: AnalyticsDeps, scope: AnalyticsScope, range: AnalyticsRange, limit: number): Promise<TerminalAnalyticsReport> {
  const frame = { from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString(), merchantId: scope.merchantId ?? null };
  if (scope.none === true) return { ...frame, data: [], pendingTruncated: false, truncated: false };
  const merchantFilter = merchantFilterOf(scope);
  const [terminals, rows, pending] = await Promise.all([
    deps.store.listTerminals(scope.merchantId).then((terminals) => (scope.merchantIds === undefined ? terminals : terminals.filter((terminal) => scope.merchantIds?.includes(terminal.merchantId)))),
    deps.store.sumRollup({ fromMs: range.fromMs, toMs: range.toMs, ...merchantFilter, groupBy: ['terminal', 'outcome'], dayAligned: true, rowsMax: rollupRowsMax }),
    deps.store.listPayments({ status: 'pending', ...merchantFilter, limit: pendingReadMax }),
  ]);
  const tallies = tallyBy(rows, 'terminal');
  const nowMs = deps.clock.nowMs();
  const pendingByTerminal = new Map<string, { pending: number; stuck: number }>();
  for (const payment of pending.data) {
    const entry = pendingByTerminal.get(payment.terminalId ?? '') ?? { pending: 0, stuck: 0 };
    entry.pending += 1;
    if (nowMs - payment.createdAtMs > stuckAfterMs) entry.stuck += 1;
    pendingByTerminal.set(payment.terminalId ?? '', entry);
  }
  const sorted = [...terminals].sort((a, b) => a.id.localeCompare(b.id));
  const data = sorted.slice(0, limit).map((terminal): TerminalAnalytics => {
    const tally = tallies.get(terminal.id) ?? emptyTally;
    const open = pendingByTerminal.get(terminal.id) ?? { pending: 0, stuck: 0 };
    return {
      terminalId: terminal.id,
      merchantId: terminal.merchantId,
      state: terminal.state,
      signedOn: terminal.signedOn,
      lastSeenAt: terminal.lastSeenAtMs === null ? null : new Date(terminal.lastSeenAtMs).toISOString(),
      payments: tally.payments,
      sales: tally.sales,
      salesMinor: tally.salesMinor,
      failures: tally.failures,
      failureRateBps: tally.failureRateBps,
      fallbacks: tally.fallbacks,
      fallbackRateBps: tally.fallbackRateBps,
      pending: open.pending,
      stuck: open.stuck,
    };
  });
  return { ...frame, data, pendingTruncated: pending.nextCursor !== null, truncated: sorted.length > limit };
}
