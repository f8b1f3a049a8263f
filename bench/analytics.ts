// Benchmark: the analytics API's reads on a large history (docs/analytics.md, docs/benchmarks.md).
// A SQLite store gets N payments of history (default 1,000,000; bench/prefill-history.ts, spread over
// the 90 days up to now on 100 terminals), the rollup is rebuilt from the journal by the analytics
// projector (as `reswipe analytics rebuild` does), then each query is timed (median of 5 runs):
//   - GET /v1/analytics/today's figures (loadToday);
//   - failures by cause by day over 30 days (loadFailureBreakdown by=cause interval=day);
//   - failures by terminal by day over 30 days (by=terminal).
// The baseline, from the same run and the same file: the by-cause breakdown computed by scanning the
// merchant's payments in the payment list directly (one GROUP BY over the 30 days). Prints each figure, its ratio to the
// baseline, and the peak RSS. Usage: npm run bench:analytics [-- --payments 1000000 --dir /tmp/x]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { openStore } from '../src/adapters/store/open-store.ts';
import { AnalyticsProjector } from '../src/app/projector/analytics-projector.ts';
import { loadToday } from '../src/app/analytics/load-today.ts';
import { loadFailureBreakdown } from '../src/app/analytics/load-failure-breakdown.ts';
import { addDays, dateRange } from '../src/core/analytics/analytics-range.ts';
import { businessDateOf } from '../src/core/fees/business-date.ts';
import { prefillHistory } from './prefill-history.ts';

const { values } = parseArgs({ options: { payments: { type: 'string', default: '1000000' }, dir: { type: 'string' }, terminals: { type: 'string', default: '100' } } });
const payments = Number(values.payments);
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'reswipe-bench-analytics-'));
const path = join(dir, 'analytics.db');
const merchantId = 'M00000000000001';
const terminalIds = Array.from({ length: Number(values.terminals) }, (_, i) => `T${String(i + 1).padStart(7, '0')}`);
const timeZone = 'Asia/Shanghai';
const dayMs = 86_400_000;
const log = (line: string) => console.log(line);

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function timed(runs: number, run: () => Promise<unknown> | unknown): Promise<number> {
  await run(); // warm the page cache and the statement cache
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(samples);
}

async function main(): Promise<void> {
  const nowMs = Date.now();
  // The schema, the merchant and its terminals first; then the history straight into the file. The
  // prefill's newest payment is a day before its `nowMs`: a day ahead puts history up to now.
  const setup = await openStore(`sqlite:${path}`);
  await setup.write(async (tx) => {
    await tx.upsertMerchant({ id: merchantId, name: 'Bench shop', mcc: '5411', accepts: ['debit', 'credit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
    for (const id of terminalIds) await tx.upsertTerminal({ id, merchantId, state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: nowMs, createdAtMs: nowMs, updatedAtMs: nowMs });
  });
  await setup.close();
  prefillHistory(path, { payments, merchantId, terminalIds, nowMs: nowMs + dayMs, log });
  console.log(`analytics.db with history: ${Math.round(statSync(path).size / 1e6)} MB`);

  const store = await openStore(`sqlite:${path}`);
  try {
    const clock = { nowMs: () => nowMs };
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const projector = new AnalyticsProjector({ store, clock, logger: silent, batchMax: 1000, timeZone });
    const rebuildStarted = Date.now();
    await projector.reset();
    const projected = await projector.drain();
    const rebuildSeconds = (Date.now() - rebuildStarted) / 1000;
    console.log(`rollup rebuilt from the journal: ${projected} entries in ${rebuildSeconds.toFixed(1)} s (${Math.round(projected / rebuildSeconds)} entries/s)`);

    const deps = { store, clock, timeZone };
    const today = businessDateOf(nowMs, timeZone, '00:00');
    const from = addDays(today, -29);
    const range = dateRange(from, today, timeZone, 'day');
    if ('error' in range) throw new Error(range.error);
    const scope = { merchantId };
    const todayMs = await timed(5, () => loadToday(deps, scope, {}));
    const byCauseMs = await timed(5, () => loadFailureBreakdown(deps, scope, { range, by: 'cause', interval: 'day', comparePrevious: false, groupsMax: 20 }));
    const byCauseCompareMs = await timed(5, () => loadFailureBreakdown(deps, scope, { range, by: 'cause', interval: 'day', comparePrevious: true, groupsMax: 20 }));
    const byTerminalMs = await timed(5, () => loadFailureBreakdown(deps, scope, { range, by: 'terminal', interval: 'day', comparePrevious: false, groupsMax: 100 }));

    // Baseline: the by-cause breakdown by scanning the merchant's payments in the payment list (what the console
    // would run without the rollup; payment_list_merchant_idx, migration 0027).
    const db = new Database(path, { readonly: true });
    const scan = db.prepare(
      `SELECT decline_category, status, CAST((created_at_ms - ?) / ? AS INTEGER) AS day, COUNT(*) AS n, SUM(amount_minor) AS amount
       FROM payment_list WHERE merchant_id = ? AND created_at_ms >= ? AND created_at_ms < ? AND kind IN ('sale', 'preauth')
       GROUP BY decline_category, status, day`,
    );
    let scannedGroups = 0;
    const baselineMs = await timed(5, () => {
      scannedGroups = scan.all(range.fromMs, dayMs, merchantId, range.fromMs, range.toMs).length;
    });
    db.close();
    const rollupRows = (await store.sumRollup({ fromMs: 0, toMs: nowMs + dayMs, groupBy: [], rowsMax: 1 }))[0]?.values.payments ?? 0;

    console.log(`\n${payments} payments of history; rollup holds ${rollupRows} payments; baseline scan returned ${scannedGroups} groups`);
    console.log(`baseline: by cause by day over 30 days, scanning payments = ${baselineMs.toFixed(1)} ms`);
    const rows: Array<[string, number]> = [
      ['today (loadToday)', todayMs],
      ['failures by cause by day, 30 days', byCauseMs],
      ['failures by cause by day, 30 days, compare=previous', byCauseCompareMs],
      ['failures by terminal by day, 30 days', byTerminalMs],
    ];
    for (const [name, ms] of rows) console.log(`${name.padEnd(54)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / baselineMs).toFixed(3)}x baseline  ${ms < 1000 ? 'under' : 'OVER'} 1 s`);
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(`peak RSS: ${peakRssMb} MB`);
    console.log(
      JSON.stringify({
        payments,
        rebuildSeconds: Math.round(rebuildSeconds * 10) / 10,
        baselineMs: Math.round(baselineMs * 10) / 10,
        todayMs: Math.round(todayMs * 10) / 10,
        byCauseMs: Math.round(byCauseMs * 10) / 10,
        byCauseCompareMs: Math.round(byCauseCompareMs * 10) / 10,
        byTerminalMs: Math.round(byTerminalMs * 10) / 10,
        peakRssMb,
      }),
    );
  } finally {
    await store.close();
    if (values.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
