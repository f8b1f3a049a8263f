// `tsx bench/limit-totals.ts [--payments 1000,100000]`: what one limit total costs (store.sumApprovedMinor,
// read by every sale of a merchant or terminal with a per-day or per-month limit: check-sale.ts) against
// the number of the merchant's payments inside the limit's window. For each N a fresh SQLite file gets N
// payments of one merchant (bench/prefill-history.ts: 93 % approved, spread over its 90 days on 10
// terminals, every one projected) and the bench times the merchant's and one terminal's sum over a window
// holding all of them (as a month limit reads a month of sales), median of many calls.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/adapters/store/open-store.ts';
import { prefillHistory } from './prefill-history.ts';

const dayMs = 86_400_000;
const merchantId = 'bench-merchant';
const terminalIds = Array.from({ length: 10 }, (_, i) => `T${String(i + 1).padStart(7, '0')}`);

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function measure(payments: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'limit-totals-'));
  const path = join(dir, 'bench.db');
  const nowMs = Date.now();
  try {
    const setup = await openStore(`sqlite:${path}`);
    await setup.write(async (tx) => {
      await tx.upsertMerchant({ id: merchantId, name: 'Bench shop', mcc: '5411', accepts: ['debit', 'credit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
      for (const id of terminalIds) await tx.upsertTerminal({ id, merchantId, state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: nowMs, createdAtMs: nowMs, updatedAtMs: nowMs });
    });
    await setup.close();
    prefillHistory(path, { payments, merchantId, terminalIds, nowMs, log: () => {} });
    const store = await openStore(`sqlite:${path}`);
    try {
      const fromMs = nowMs - 100 * dayMs;
      for (const [name, scope] of [
        ['merchant', { merchantId }],
        ['terminal', { merchantId, terminalId: terminalIds[0] ?? '' }],
      ] as const) {
        const calls = Math.max(20, Math.min(2000, Math.round(2_000_000 / payments)));
        let total = 0;
        for (let i = 0; i < 10; i++) total = await store.sumApprovedMinor(scope, fromMs, nowMs + 1);
        const samples: number[] = [];
        for (let i = 0; i < calls; i++) {
          const started = process.hrtime.bigint();
          await store.sumApprovedMinor(scope, fromMs, nowMs + 1);
          samples.push(Number(process.hrtime.bigint() - started) / 1e3);
        }
        console.log(`${payments} payments, ${name} sum (${total} minor): median ${median(samples).toFixed(1)} us per call over ${calls} calls`);
      }
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const payments of option('payments', '1000,100000').split(',').map(Number)) await measure(payments);
