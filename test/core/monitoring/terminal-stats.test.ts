// Goal: a terminal's stats of the day and its alarms follow the documented rules (failure rate, fallback
// rate over chip reads with the 2 % alarm level, stuck payments, quiet only when active and signed on).
// Method: table rows of hand-built payments through the pure computeTerminalStats and terminalAlarms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeTerminalStats, terminalAlarms, type TerminalAlarmSettings } from '../../../src/core/monitoring/terminal-stats.ts';
import type { PaymentRecord } from '../../../src/core/ports/store.ts';

const settings: TerminalAlarmSettings = { quietAfterMs: 60_000, failureRateAlarmBps: 3_000, fallbackRateAlarmBps: 200, rateAttemptsMin: 10, stuckAfterMs: 300_000 };
const nowMs = 10_000_000;
type Row = Pick<PaymentRecord, 'id' | 'kind' | 'status' | 'responseCode' | 'entryMode' | 'createdAtMs'>;

function payments(spec: Array<[count: number, status: PaymentRecord['status'], code: string | null, entryMode: string, ageMs?: number]>): Row[] {
  const rows: Row[] = [];
  for (const [count, status, code, entryMode, ageMs] of spec) {
    for (let i = 0; i < count; i++) rows.push({ id: `p${rows.length}`, kind: 'sale', status, responseCode: code, entryMode, createdAtMs: nowMs - (ageMs ?? 1_000) - i });
  }
  return rows;
}

const terminal = { id: 'T0000001', signedOn: true, lastSeenAtMs: nowMs - 500 };

test('rates, top codes and chip-read failures', () => {
  const stats = computeTerminalStats(terminal, payments([[60, 'approved', '00', 'chip'], [20, 'declined', '51', 'chip'], [10, 'declined', '55', 'fallback'], [8, 'declined', '51', 'contactless'], [2, 'reversed', '98', 'swipe']]), nowMs, settings);
  assert.equal(stats.attemptsToday, 100);
  assert.equal(stats.approvedToday, 60);
  assert.equal(stats.failedToday, 40);
  assert.equal(stats.failureRateBps, 4_000);
  assert.deepEqual(stats.topCodes, [{ code: '51', count: 28 }, { code: '55', count: 10 }, { code: '98', count: 2 }]);
  assert.equal(stats.chipReadFailures, 10);
  assert.equal(stats.fallbackRateBps, Math.floor((10 * 10_000) / 90), 'fallback over chip reads (chip + fallback)');
  assert.deepEqual(terminalAlarms(stats, 'active', nowMs, settings).map((alarm) => alarm.kind), ['failure_rate', 'fallback_rate']);
});

const alarmRows: Array<{ name: string; rows: Row[]; terminal?: Partial<typeof terminal>; state?: 'active' | 'disabled'; alarms: string[] }> = [
  { name: 'healthy', rows: payments([[30, 'approved', '00', 'chip']]), alarms: [] },
  { name: 'fallback exactly 2 % is not over the alarm level', rows: payments([[98, 'approved', '00', 'chip'], [2, 'approved', '00', 'fallback']]), alarms: [] },
  { name: 'fallback 3 % raises it', rows: payments([[97, 'approved', '00', 'chip'], [3, 'approved', '00', 'fallback']]), alarms: ['fallback_rate'] },
  { name: 'too few sales for rates', rows: payments([[5, 'declined', '51', 'fallback']]), alarms: [] },
  { name: 'a payment pending past stuckAfterMs', rows: payments([[1, 'pending', null, 'chip', 400_000], [1, 'pending', null, 'chip', 1_000]]), alarms: ['stuck_payments'] },
  { name: 'quiet: signed on, not heard from', rows: [], terminal: { lastSeenAtMs: nowMs - 120_000 }, alarms: ['quiet'] },
  { name: 'not quiet when signed off', rows: [], terminal: { lastSeenAtMs: nowMs - 120_000, signedOn: false }, alarms: [] },
  { name: 'not quiet when disabled', rows: [], terminal: { lastSeenAtMs: nowMs - 120_000 }, state: 'disabled', alarms: [] },
  { name: 'a recent sale counts as seen', rows: payments([[1, 'approved', '00', 'chip', 1_000]]), terminal: { lastSeenAtMs: nowMs - 120_000 }, alarms: [] },
];

for (const row of alarmRows) {
  test(`alarms: ${row.name}`, () => {
    const stats = computeTerminalStats({ ...terminal, ...row.terminal }, row.rows, nowMs, settings);
    assert.deepEqual(terminalAlarms(stats, row.state ?? 'active', nowMs, settings).map((alarm) => alarm.kind), row.alarms);
  });
}

test('refunds and other kinds are not sales', () => {
  const rows = payments([[3, 'approved', '00', 'chip']]).map((row, index) => (index === 0 ? { ...row, kind: 'refund' as const } : row));
  assert.equal(computeTerminalStats(terminal, rows, nowMs, settings).attemptsToday, 2);
});
