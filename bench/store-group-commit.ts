// Benchmark: durable SQLite writes per second (synchronous=FULL, WAL) with one unit per
// transaction, the baseline, against group commit under concurrency, measured in the same run.
// Each unit is what the engine writes for a sale: a payment, its attempt and an event.
// Usage: npm run bench:store [-- --units 4000 --concurrency 256 --dir /path/on/real/disk]
// Add `--postgres postgres://postgres@127.0.0.1:5432/test` to measure PostgreSQL the same way
// (in a throwaway schema, dropped afterwards).
// The last line is JSON for scripts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../src/adapters/store/open-store.ts';
import type { Store } from '../src/core/ports/store.ts';
import { fingerprintPan, maskPan } from '../src/core/cards/pan.ts';
import { pendingBenchAttempt, pendingBenchSale } from './bench-records.ts';

const { values } = parseArgs({
  options: {
    units: { type: 'string', default: '4000' },
    'baseline-units': { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '256' },
    dir: { type: 'string' },
    postgres: { type: 'string' },
  },
});
const units = Number(values.units);
const baselineUnits = Number(values['baseline-units']);
const concurrency = Number(values.concurrency);
for (const [name, value] of [['units', units], ['baseline-units', baselineUnits], ['concurrency', concurrency]] as const) {
  if (!Number.isSafeInteger(value) || value < 1 || value > 1_000_000) throw new Error(`--${name} must be an integer in 1..1000000`);
}

const pan = '6222021234567890123';
const panFingerprint = fingerprintPan(pan, 'bench-pan-key');
const panMasked = maskPan(pan);

async function writeSale(store: Store, run: string, n: number): Promise<void> {
  const id = `${run}-${n}`;
  const atMs = 1_764_000_000_000 + n;
  await store.write(async (tx) => {
    const payment = pendingBenchSale(
      { id, merchantId: 'm1', terminalId: 't1', amountMinor: 10_000 + n, panFingerprint, panMasked, cardIssuer: null, terminalStan: String(n % 1_000_000).padStart(6, '0'), terminalTransmittedAt: `${run}${n}` },
      atMs,
    );
    await tx.insertPayment(payment);
    await tx.insertAttempt(pendingBenchAttempt(payment, 'bank-a', await tx.nextStan('bank-a'), atMs));
    await tx.appendEvent({ type: 'payment.created', subjectId: id, payload: { amountMinor: 10_000 + n }, atMs });
  });
}

/** Runs `count` units with at most `parallel` in flight; returns units per second. */
async function measure(store: Store, run: string, count: number, parallel: number): Promise<{ perSecond: number; commits: number; elapsedMs: number }> {
  const before = store.stats?.() ?? { commits: 0, units: 0 };
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const n = next;
      next += 1;
      await writeSale(store, run, n);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const commits = (store.stats?.().commits ?? 0) - before.commits;
  return { perSecond: (count / elapsedMs) * 1000, commits, elapsedMs };
}

async function openBenchStore(dir: string, name: string, groupCommitMax: number): Promise<Store> {
  const store =
    values.postgres === undefined
      ? await openStore(`sqlite:${join(dir, `${name}.db`)}`, { synchronous: 'full', groupCommitMax })
      : await openStore(values.postgres, { postgresSchema: `${benchSchema}_${name}`, groupCommitMax });
  await store.write(async (tx) => {
    await tx.upsertMerchant({ id: 'm1', name: 'bench', mcc: '5411', accepts: ['debit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: 0, updatedAtMs: 0 });
    await tx.upsertTerminal({ id: 't1', merchantId: 'm1', state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: 0, updatedAtMs: 0 });
  });
  return store;
}

const benchSchema = `reswipe_bench_${randomBytes(4).toString('hex')}`;
const database = values.postgres === undefined ? 'SQLite WAL synchronous=FULL' : 'PostgreSQL';

async function dropBenchSchemas(): Promise<void> {
  if (values.postgres === undefined) return;
  const client = new pg.Client({ connectionString: values.postgres });
  await client.connect();
  try {
    for (const name of ['baseline', 'group']) await client.query(`DROP SCHEMA IF EXISTS ${benchSchema}_${name} CASCADE`);
  } finally {
    await client.end();
  }
}

const dir = mkdtempSync(join(values.dir ?? tmpdir(), 'reswipe-bench-store-'));
try {
  // Baseline: the same concurrency, but each unit is its own transaction and its own fsync.
  const baselineStore = await openBenchStore(dir, 'baseline', 1);
  const baseline = await measure(baselineStore, 'b', baselineUnits, concurrency);
  await baselineStore.close();

  const groupStore = await openBenchStore(dir, 'group', 256);
  const grouped = await measure(groupStore, 'g', units, concurrency);
  await groupStore.close();

  const ratio = grouped.perSecond / baseline.perSecond;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`store group commit, ${database}${values.postgres === undefined ? `, ${dir}` : ''}`);
  console.log(`baseline (1 unit per commit):  ${baselineUnits} units, ${baseline.commits} commits, ${baseline.perSecond.toFixed(0)} units/s`);
  console.log(`group commit (<=256 per commit): ${units} units, ${grouped.commits} commits (${(units / Math.max(grouped.commits, 1)).toFixed(1)} units/commit), ${grouped.perSecond.toFixed(0)} units/s`);
  console.log(`ratio ${ratio.toFixed(1)}x, concurrency ${concurrency}, peak RSS ${peakRssMb.toFixed(0)} MB`);
  console.log(
    JSON.stringify({
      bench: 'store-group-commit',
      database: values.postgres === undefined ? 'sqlite' : 'postgres',
      concurrency,
      baselineUnits,
      baselineUnitsPerSecond: Math.round(baseline.perSecond),
      baselineCommits: baseline.commits,
      groupUnits: units,
      groupUnitsPerSecond: Math.round(grouped.perSecond),
      groupCommits: grouped.commits,
      ratio: Number(ratio.toFixed(2)),
      peakRssMb: Math.round(peakRssMb),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await dropBenchSchemas();
}
