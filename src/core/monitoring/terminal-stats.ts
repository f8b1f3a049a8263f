// Terminal health from its payments of the day: attempts, failure rate, top codes, chip-read failures and
// the fallback rate (entry mode 80x, `fallback`: the chip could not be read and the magnetic stripe was
// used; 2 % of chip reads is the industry alarm level), stuck payments, and whether the terminal has gone
// quiet. Pure: the caller loads the payments and passes the time.
import type { PaymentRecord, TerminalRecord } from '../ports/store.ts';

export interface TerminalStats {
  readonly terminalId: string;
  readonly lastSeenAtMs: number | null;
  readonly signedOn: boolean;
  readonly attemptsToday: number;
  readonly approvedToday: number;
  readonly failedToday: number;
  /** Not approved / all, in basis points. */
  readonly failureRateBps: number;
  readonly topCodes: ReadonlyArray<{ readonly code: string; readonly count: number }>;
  /** Sales read by fallback: each one is a chip read that failed first. */
  readonly chipReadFailures: number;
  /** Fallback / (chip + fallback), in basis points. */
  readonly fallbackRateBps: number;
  readonly stuckPayments: ReadonlyArray<{ readonly id: string; readonly createdAtMs: number }>;
  /** True when the payments list hit its bound, so the counts cover only part of the day. */
  readonly truncated: boolean;
}

export interface TerminalAlarmSettings {
  readonly quietAfterMs: number;
  readonly failureRateAlarmBps: number;
  readonly fallbackRateAlarmBps: number;
  readonly rateAttemptsMin: number;
  readonly stuckAfterMs: number;
}

const topCodesMax = 5;
const stuckListedMax = 20;

/** Stats over the terminal's payments of the day (sales and pre-authorizations; any order). */
export function computeTerminalStats(
  terminal: Pick<TerminalRecord, 'id' | 'signedOn' | 'lastSeenAtMs'>,
  payments: ReadonlyArray<Pick<PaymentRecord, 'id' | 'kind' | 'status' | 'responseCode' | 'entryMode' | 'createdAtMs'>>,
  nowMs: number,
  settings: Pick<TerminalAlarmSettings, 'stuckAfterMs'>,
  truncated = false,
): TerminalStats {
  let attempts = 0;
  let approved = 0;
  let chip = 0;
  let fallback = 0;
  let lastPaymentAtMs: number | null = null;
  const codes = new Map<string, number>();
  const stuck: Array<{ id: string; createdAtMs: number }> = [];
  for (const payment of payments) {
    if (payment.kind !== 'sale' && payment.kind !== 'preauth') continue;
    attempts += 1;
    if (lastPaymentAtMs === null || payment.createdAtMs > lastPaymentAtMs) lastPaymentAtMs = payment.createdAtMs;
    if (payment.entryMode === 'chip') chip += 1;
    if (payment.entryMode === 'fallback') fallback += 1;
    if (payment.status === 'approved') {
      approved += 1;
      continue;
    }
    if (payment.status === 'pending') {
      if (nowMs - payment.createdAtMs >= settings.stuckAfterMs) stuck.push({ id: payment.id, createdAtMs: payment.createdAtMs });
      continue;
    }
    const code = payment.responseCode ?? 'none';
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  const failed = [...codes.values()].reduce((sum, count) => sum + count, 0);
  const topCodes = [...codes]
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1))
    .slice(0, topCodesMax);
  const lastSeenAtMs = terminal.lastSeenAtMs === null ? lastPaymentAtMs : lastPaymentAtMs === null ? terminal.lastSeenAtMs : Math.max(terminal.lastSeenAtMs, lastPaymentAtMs);
  return {
    terminalId: terminal.id,
    lastSeenAtMs,
    signedOn: terminal.signedOn,
    attemptsToday: attempts,
    approvedToday: approved,
    failedToday: failed,
    failureRateBps: rateBps(failed, attempts),
    topCodes,
    chipReadFailures: fallback,
    fallbackRateBps: rateBps(fallback, chip + fallback),
    stuckPayments: stuck.sort((a, b) => a.createdAtMs - b.createdAtMs).slice(0, stuckListedMax),
    truncated,
  };
}

export type TerminalAlarm =
  | { readonly kind: 'quiet'; readonly quietForMs: number }
  | { readonly kind: 'failure_rate'; readonly rateBps: number; readonly attempts: number }
  | { readonly kind: 'fallback_rate'; readonly rateBps: number; readonly reads: number }
  | { readonly kind: 'stuck_payments'; readonly count: number };

/**
 * The alarms a terminal raises now. Quiet only counts for an active, signed-on terminal that has been seen
 * (one signed off at closing time is not quiet); rates only once the day has rateAttemptsMin sales.
 */
export function terminalAlarms(stats: TerminalStats, terminalState: TerminalRecord['state'], nowMs: number, settings: TerminalAlarmSettings): TerminalAlarm[] {
  const alarms: TerminalAlarm[] = [];
  if (terminalState === 'active' && stats.signedOn && stats.lastSeenAtMs !== null && nowMs - stats.lastSeenAtMs >= settings.quietAfterMs) {
    alarms.push({ kind: 'quiet', quietForMs: nowMs - stats.lastSeenAtMs });
  }
  if (stats.attemptsToday >= settings.rateAttemptsMin && stats.failureRateBps > settings.failureRateAlarmBps) {
    alarms.push({ kind: 'failure_rate', rateBps: stats.failureRateBps, attempts: stats.attemptsToday });
  }
  const reads = stats.attemptsToday;
  if (reads >= settings.rateAttemptsMin && stats.fallbackRateBps > settings.fallbackRateAlarmBps) {
    alarms.push({ kind: 'fallback_rate', rateBps: stats.fallbackRateBps, reads });
  }
  if (stats.stuckPayments.length > 0) alarms.push({ kind: 'stuck_payments', count: stats.stuckPayments.length });
  return alarms;
}

function rateBps(count: number, total: number): number {
  return total === 0 ? 0 : Math.floor((count * 10_000) / total);
}
