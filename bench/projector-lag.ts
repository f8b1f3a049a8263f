// `tsx bench/projector-lag.ts [--seconds 8 --writers 1000 --interval-ms 50 --queued]`: the
// payment projector's lag when the store is saturated (docs/projector.md, "Lag"). A fresh SQLite file
// (synchronous=FULL) and the two projectors wired as composeGateway wires them (shared journal reads, fee
// hooks, a pass every --interval-ms that drains the journal); --writers loops each write a sale as the
// engine's two units do (a pending payment with its attempt, then its answer: one journal entry) as fast
// as the store takes them, so the group commit's queue holds about one unit per writer, as it holds one
// per busy terminal in bench:auth. Prints the sales per second, the sale units' p50/p99 wait, the largest
// lag sampled every 100 ms (the age of the oldest entry not projected, as /metrics shows it) and of each
// second, how long the journal took to drain after the writers stopped, and the
// longest event loop delay. Compare --queued (the projectors' units wait in the queue like the sales', as
// before 2026-12-06) with the default (written ahead), back to back: the store is the bottleneck here, so
// the figures move with the machine's load, the difference between the two less.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openStore } from '../src/adapters/store/open-store.ts';
import { createPaymentFeeHooks } from '../src/app/fees/payment-fee-hooks.ts';
import { PaymentProjector } from '../src/app/projector/payment-projector.ts';
import { AnalyticsProjector } from '../src/app/projector/analytics-projector.ts';
import { SharedJournalReads } from '../src/app/projector/shared-journal-reads.ts';
import { builtinFeePlans } from '../src/core/fees/index.ts';
import type { PaymentRecord } from '../src/core/ports/store.ts';
import { pendingBenchAttempt, pendingBenchSale } from './bench-records.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    writers: { type: 'string', default: '1000' },
    'interval-ms': { type: 'string', default: '50' },
    queued: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const writers = Number(values.writers);
const intervalMs = Number(values['interval-ms']);
const writeAhead = !values.queued;
const clock = { nowMs: () => Date.now() };
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const merchantId = 'M0000000000001';

const terminalIdOf = (terminal: number): string => `T${String(terminal).padStart(7, '0')}`;

/** The n-th sale of the run, on a terminal (its STAN counts that terminal's sales). */
function sale(n: number, terminal: number, stan: number, nowMs: number): PaymentRecord {
  const terminalStan = String(stan).padStart(6, '0');
  return pendingBenchSale(
    { id: `pay_${String(n).padStart(12, '0')}`, merchantId, terminalId: terminalIdOf(terminal), amountMinor: 1 + (terminal % 499), panFingerprint: `fp${terminal % 2000}`, panMasked: '622202******0018', cardIssuer: 'Bench Bank', terminalStan, terminalTransmittedAt: '1206120000' },
    nowMs,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'projector-lag-'));
  const store = await openStore(`sqlite:${join(dir, 'lag.db')}`, { synchronous: 'full' });
  try {
    const startMs = Date.now();
    await store.write(async (tx) => {
      await tx.upsertMerchant({ id: merchantId, name: 'Bench shop', mcc: '5411', accepts: ['debit', 'credit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: startMs, updatedAtMs: startMs });
      for (let terminal = 0; terminal < writers; terminal += 1) {
        await tx.upsertTerminal({ id: terminalIdOf(terminal), merchantId, state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: startMs, createdAtMs: startMs, updatedAtMs: startMs });
      }
    });
    const fees = createPaymentFeeHooks({ plans: () => builtinFeePlans, settings: { timeZone: 'Asia/Shanghai', settleMode: 't1', cutoff: '23:00' }, clock, logger: silent, approvedFees: 'projector' });
    const journal = new SharedJournalReads(store, clock);
    const projector = new PaymentProjector({ store, clock, logger: silent, fees, journal, writeAhead });
    const analytics = new AnalyticsProjector({ store, clock, logger: silent, timeZone: 'Asia/Shanghai', journal, writeAhead });
    // composeGateway's loop: a pass every interval that drains, skipped while the last one still runs.
    const passes = [projector, analytics].map((follower) => {
      let running: Promise<unknown> | null = null;
      return setInterval(() => {
        running ??= follower.drain().finally(() => (running = null));
      }, intervalMs);
    });
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    let stopping = false;
    let sales = 0;
    const waitsMs: number[] = [];
    let lagMaxMs = 0;
    /** The largest lag of each second of the run, in ms. */
    const lagBySecond: number[] = [];
    const sampler = setInterval(() => {
      const second = Math.floor((Date.now() - startMs) / 1000);
      void projector.lag().then((lag) => {
        lagMaxMs = Math.max(lagMaxMs, lag.ageMs);
        lagBySecond[second] = Math.max(lagBySecond[second] ?? 0, lag.ageMs);
      });
    }, 100);
    let next = 0;
    const loops = Array.from({ length: writers }, async (_, terminal) => {
      for (let stan = 1; !stopping; stan += 1) {
        const n = next++;
        const pending = sale(n, terminal, stan, Date.now());
        let startedMs = Date.now();
        await store.write(async (tx) => {
          await tx.insertPayment(pending);
          await tx.insertAttempt(pendingBenchAttempt(pending, 'sim', String(n % 1_000_000).padStart(6, '0'), pending.createdAtMs));
        });
        waitsMs.push(Date.now() - startedMs);
        startedMs = Date.now();
        // As the engine's outcome unit: the answer's time is taken when the unit runs, not when it is queued.
        await store.write((tx) => tx.updatePayment(pending, { ...pending, status: 'approved', responseCode: '00', authCode: '123456', rrn: '000000000001', updatedAtMs: clock.nowMs() }));
        waitsMs.push(Date.now() - startedMs);
        sales += 1;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    stopping = true;
    await Promise.all(loops);
    clearInterval(sampler);
    for (const pass of passes) clearInterval(pass);
    const measuredSales = sales;
    const drainStartedMs = Date.now();
    await projector.drain();
    await analytics.drain();
    const sorted = waitsMs.sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    console.log(
      JSON.stringify({
        bench: 'projector-lag',
        writers,
        intervalMs,
        projectorUnits: writeAhead ? 'ahead' : 'queued',
        salesPerSec: Math.round(measuredSales / seconds),
        unitWaitP50Ms: at(0.5),
        unitWaitP99Ms: at(0.99),
        projectorLagMaxS: Math.round(lagMaxMs) / 1000,
        projectorLagMaxBySecondS: Array.from(lagBySecond, (ms) => Math.round(ms ?? 0) / 1000),
        drainAfterMs: Date.now() - drainStartedMs,
        loopDelayMaxMs: Math.round(delay.max / 1e6),
        loopDelayP99Ms: Math.round(delay.percentile(99) / 1e6),
      }),
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
