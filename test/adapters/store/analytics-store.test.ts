// Goal: the analytics rollup part of the store (migration 0020) behaves the same on SQLite and
// PostgreSQL: deltas add up per key (and take back), sums group by dimension and time bucket with the
// merchant, terminal, channel and `only` filters and the row bound, contributions round-trip, rescue
// peers are found by card, amount and terminal (also without terminal), and the analytics projector
// keeps the rollup right when a payment changes (approved -> voided), rescues a failure across batches,
// and a rebuild from the journal gives the same rollup as the incremental run.
// Method: the same behaviour run against a temporary SQLite file and a fresh PostgreSQL schema
// (RESWIPE_TEST_POSTGRES_URL; skipped when unreachable, failed with RESWIPE_REQUIRE_POSTGRES=1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { AnalyticsProjector } from '../../../src/app/projector/analytics-projector.ts';
import { contributionOf, emptyValues, type RollupKey } from '../../../src/core/analytics/rollup.ts';
import type { PaymentRecord, Store } from '../../../src/core/ports/store.ts';
import { attempt, baseAtMs, merchant, payment, terminal } from './store-fixtures.ts';
import { dropPostgresSchemas, probePostgres, testPostgresUrl } from '../../support/postgres-schemas.ts';

const url = testPostgresUrl;
const required = process.env.RESWIPE_REQUIRE_POSTGRES === '1';
const hourMs = 3_600_000;
const hour0 = Math.floor(baseAtMs / hourMs) * hourMs;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function keyOf(overrides: Partial<RollupKey> = {}): RollupKey {
  return { hourMs: hour0, dayMs: hour0 - (hour0 % (24 * hourMs)), merchantId: 'M1', terminalId: 'T1', channel: 'bank-a', cause: 'approved', responseCode: '00', party: '', verdict: 'none', cardType: 'debit', brand: 'unionpay', outcome: 'approved', ...overrides };
}

function valuesOf(payments: number, amountMinor: number) {
  const values = emptyValues();
  values.payments = payments;
  values.amountMinor = amountMinor;
  values.latencyBuckets[3] = payments;
  return values;
}

const declineOf = (code: string, category: 'insufficient_funds' | 'card_data') => ({
  code, category, party: 'cardholder', verdict: 'fix' as const, waitSeconds: null, advice: { cashier: { zh: '-', en: '-' }, customer: { zh: '-', en: '-' } },
});

let stanCounter = 0;

/** A sale as the engine writes it: pending (not journalled), then answered (journalled). */
async function answered(store: Store, record: PaymentRecord): Promise<PaymentRecord> {
  const pending: PaymentRecord = { ...record, status: 'pending', responseCode: null, decline: null, version: 1 };
  await store.write((tx) => tx.insertPayment(pending));
  await store.write((tx) => tx.insertAttempt(attempt(`att_${record.id}`, record.id, { channel: 'bank-a', stan: String(++stanCounter).padStart(6, '0'), outcome: record.status === 'approved' ? 'approved' : 'declined', latencyMs: 90 })));
  const done: PaymentRecord = { ...pending, status: record.status, responseCode: record.responseCode, decline: record.decline, updatedAtMs: pending.updatedAtMs + 10 };
  assert.equal(await store.write((tx) => tx.updatePayment(pending, done)), true);
  return { ...done, version: 2 };
}

function defineAnalyticsBehaviour(kind: string, open: () => Promise<Store>, cleanup: () => Promise<void>): void {
  async function withStore(run: (store: Store) => Promise<void>): Promise<void> {
    const store = await open();
    try {
      await store.write(async (tx) => {
        await tx.upsertMerchant(merchant('M1'));
        await tx.upsertMerchant(merchant('M2'));
        await tx.upsertTerminal(terminal('T1', 'M1'));
        await tx.upsertTerminal(terminal('T2', 'M1'));
      });
      await run(store);
    } finally {
      await store.close();
      await cleanup();
    }
  }

  test(`${kind}: rollup deltas add up per key, group by dimension and bucket, and honour every filter and the row bound`, async () => {
    await withStore(async (store) => {
      await store.write((tx) =>
        tx.addRollupDeltas([
          { key: keyOf(), values: valuesOf(2, 300) },
          { key: keyOf({ hourMs: hour0 + hourMs, terminalId: 'T2' }), values: valuesOf(1, 50) },
          { key: keyOf({ cause: 'insufficient_funds', responseCode: '51', outcome: 'declined', party: 'cardholder', verdict: 'fix' }), values: valuesOf(1, 700) },
          { key: keyOf({ merchantId: 'M2', channel: 'bank-b' }), values: valuesOf(5, 5_000) },
        ]),
      );
      // The same key again adds; a negative delta takes back.
      await store.write((tx) => tx.addRollupDeltas([{ key: keyOf(), values: valuesOf(1, 100) }]));
      const minus = valuesOf(1, 100);
      minus.payments = -1;
      minus.amountMinor = -100;
      minus.latencyBuckets[3] = -1;
      await store.write((tx) => tx.addRollupDeltas([{ key: keyOf(), values: minus }]));

      const range = { fromMs: hour0, toMs: hour0 + 2 * hourMs, rowsMax: 100 };
      const byOutcome = await store.sumRollup({ ...range, merchantId: 'M1', groupBy: ['outcome'] });
      const outcome = Object.fromEntries(byOutcome.map((row) => [row.group.outcome, [row.values.payments, row.values.amountMinor, row.values.latencyBuckets[3]]]));
      assert.deepEqual(outcome, { approved: [3, 350, 3], declined: [1, 700, 1] });
      const byTerminalBucket = await store.sumRollup({ ...range, merchantId: 'M1', groupBy: ['terminal'], bucket: { originMs: hour0, bucketMs: hourMs } });
      assert.deepEqual(byTerminalBucket.map((row) => [row.group.terminal, row.bucket, row.values.payments]).sort(), [['T1', 0, 3], ['T2', 1, 1]]);
      const byDay = await store.sumRollup({ ...range, groupBy: [], bucket: { originMs: hour0, bucketMs: 24 * hourMs } });
      assert.deepEqual(byDay.map((row) => [row.bucket, row.values.payments]), [[0, 9]], 'integer buckets, not fractions');
      assert.equal((await store.sumRollup({ ...range, channel: 'bank-b', groupBy: [] }))[0]?.values.payments, 5);
      assert.equal((await store.sumRollup({ ...range, terminalId: 'T2', groupBy: [] }))[0]?.values.amountMinor, 50);
      assert.deepEqual((await store.sumRollup({ ...range, only: { dimension: 'cause', values: ['insufficient_funds'] }, groupBy: ['responseCode'] })).map((row) => row.group.responseCode), ['51']);
      assert.deepEqual(await store.sumRollup({ ...range, fromMs: hour0 + 2 * hourMs, toMs: hour0 + 3 * hourMs, groupBy: [] }), [], 'nothing in the range: no rows');
      await assert.rejects(store.sumRollup({ ...range, rowsMax: 1, groupBy: ['merchant'] }), /exceeds 1 rows/);

      await store.write((tx) => tx.clearRollup());
      assert.deepEqual(await store.sumRollup({ ...range, groupBy: [] }), []);
    });
  });

  test(`${kind}: contributions round-trip and rescue peers are found by card, amount and terminal`, async () => {
    await withStore(async (store) => {
      const sale = payment('p1', 'M1', { terminalId: 'T1', amountMinor: 700 });
      const contribution = contributionOf(sale, [], false, 'Asia/Shanghai');
      await store.write((tx) => tx.putRollupContributions([{ paymentId: 'p1', contribution }], baseAtMs));
      await store.write((tx) => tx.putRollupContributions([{ paymentId: 'p1', contribution: { ...contribution, rescued: true } }], baseAtMs + 1));
      const read = await store.getRollupContributions(['p1', 'missing']);
      assert.deepEqual([...read.keys()], ['p1']);
      assert.deepEqual(read.get('p1'), { ...contribution, rescued: true });

      await store.write(async (tx) => {
        await tx.insertPayment(sale);
        await tx.insertPayment(payment('p2', 'M1', { terminalId: 'T1', amountMinor: 700, createdAtMs: baseAtMs + 60_000, status: 'declined' }));
        await tx.insertPayment(payment('p3', 'M1', { terminalId: 'T2', amountMinor: 700 }));
        await tx.insertPayment(payment('p4', 'M1', { terminalId: null, amountMinor: 700 }));
        await tx.insertPayment(payment('p5', 'M1', { terminalId: 'T1', amountMinor: 701 }));
        await tx.insertPayment(payment('p6', 'M1', { terminalId: 'T1', amountMinor: 700, createdAtMs: baseAtMs + 3_600_000 }));
      });
      const peers = await store.findRescuePeers([{ panFingerprint: sale.panFingerprint, amountMinor: 700, terminalId: 'T1' }], baseAtMs - 1, baseAtMs + 600_000, 100);
      assert.deepEqual(peers.map((peer) => peer.id).sort(), ['p1', 'p2']);
      const noTerminal = await store.findRescuePeers([{ panFingerprint: sale.panFingerprint, amountMinor: 700, terminalId: null }], baseAtMs - 1, baseAtMs + 600_000, 100);
      assert.deepEqual(noTerminal.map((peer) => peer.id), ['p4']);
      const attempts = await store.listAttemptsOfPayments(['p1']);
      assert.deepEqual(attempts, []);
    });
  });

  test(`${kind}: the analytics projector follows changes (approved -> voided), rescues a failure from a later batch, and a rebuild gives the same rollup`, async () => {
    await withStore(async (store) => {
      const clock = { nowMs: () => baseAtMs + 10 * hourMs };
      const projector = new AnalyticsProjector({ store, clock, logger: silent, batchMax: 2, timeZone: 'Asia/Shanghai' });
      const sale = await answered(store, payment('s1', 'M1', { terminalId: 'T1', amountMinor: 1_000 }));
      await answered(store, payment('d1', 'M1', { terminalId: 'T2', amountMinor: 500, status: 'declined', responseCode: '51', decline: declineOf('51', 'insufficient_funds') }));
      await answered(store, payment('d2', 'M1', { terminalId: 'T2', amountMinor: 300, status: 'declined', responseCode: '14', decline: declineOf('14', 'card_data') }));
      assert.equal(await projector.drain(), 3);
      const sum = async () => {
        const rows = await store.sumRollup({ fromMs: hour0 - hourMs, toMs: hour0 + 3 * hourMs, merchantId: 'M1', groupBy: ['outcome'], rowsMax: 100 });
        const byOutcome = Object.fromEntries(rows.map((row) => [row.group.outcome, row.values.payments]));
        const total = rows.reduce((acc, row) => ({ lost: acc.lost + row.values.lost, lostMinor: acc.lostMinor + row.values.lostMinor, attempts: acc.attempts + row.values.attempts }), { lost: 0, lostMinor: 0, attempts: 0 });
        return { byOutcome, ...total };
      };
      assert.deepEqual(await sum(), { byOutcome: { approved: 1, declined: 2 }, lost: 2, lostMinor: 800, attempts: 3 });

      // The sale is voided: its approved contribution is taken back and a voided one added.
      const voided: PaymentRecord = { ...sale, status: 'voided', updatedAtMs: sale.updatedAtMs + 1_000 };
      assert.equal(await store.write((tx) => tx.updatePayment(sale, voided)), true);
      // The customer of d1 pays with the same card, amount and terminal two minutes later: d1 is not lost any more.
      await answered(store, payment('a1', 'M1', { terminalId: 'T2', amountMinor: 500, createdAtMs: baseAtMs + 120_000 }));
      assert.equal(await projector.drain(), 2);
      const incremental = await sum();
      assert.deepEqual(incremental, { byOutcome: { voided: 1, approved: 1, declined: 2 }, lost: 1, lostMinor: 300, attempts: 4 });
      // Projecting the same entries again (a crash before the checkpoint) changes nothing.
      await store.write((tx) => tx.setProjectorCheckpoint('analytics', 0, clock.nowMs()));
      await projector.drain();
      assert.deepEqual(await sum(), incremental);
      // A rebuild from the journal's start gives the same figures.
      await projector.reset();
      assert.deepEqual(await sum(), { byOutcome: {}, lost: 0, lostMinor: 0, attempts: 0 });
      await projector.drain();
      assert.deepEqual(await sum(), incremental);
      assert.equal(await projector.lagEntries(), 0);
    });
  });
}

// ---- SQLite ----
const dirs: string[] = [];
defineAnalyticsBehaviour(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reswipe-analytics-store-'));
    dirs.push(dir);
    return openStore(`sqlite:${join(dir, 'a.db')}`);
  },
  async () => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  },
);

// ---- PostgreSQL ----
const runId = randomBytes(4).toString('hex');
const schemas: string[] = [];
const unreachable = await probePostgres(url);
if (unreachable !== null) {
  const reason = `PostgreSQL is unreachable (${unreachable}); set RESWIPE_TEST_POSTGRES_URL`;
  if (required) test('postgres analytics store (RESWIPE_REQUIRE_POSTGRES=1)', () => assert.fail(reason));
  else test('postgres analytics store', { skip: reason }, () => undefined);
} else {
  defineAnalyticsBehaviour(
    'postgres',
    async () => {
      const schema = `reswipe_analytics_${runId}_${schemas.length}`;
      schemas.push(schema);
      return openStore(url, { postgresSchema: schema, detectNestedWrites: true });
    },
    () => dropPostgresSchemas(schemas, url),
  );
}
