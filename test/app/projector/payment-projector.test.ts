// Goal: the payment projector writes each answered payment's fee line, payment.completed event and payment
// list row exactly once, off the answer's path, from the payment journal: idempotent when run again, resumed from its
// checkpoint after a restart, and a refund or removal never depends on it having run.
// Method: a temporary SQLite store; payments written as the engine writes them (insert pending, then update).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { createPaymentFeeHooks } from '../../../src/app/fees/payment-fee-hooks.ts';
import { PaymentProjector, projectorName } from '../../../src/app/projector/payment-projector.ts';
import { AnalyticsProjector } from '../../../src/app/projector/analytics-projector.ts';
import { builtinFeePlans } from '../../../src/core/fees/index.ts';
import type { PaymentRecord, Store } from '../../../src/core/ports/store.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { merchant, payment } from '../../adapters/store/store-fixtures.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

const postgresUrl = process.env.RESWIPE_TEST_POSTGRES_URL;

async function withStore(run: (store: Store) => Promise<void>, on: 'sqlite' | 'postgres' = 'sqlite'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-projector-'));
  const schema = `reswipe_projector_${randomBytes(4).toString('hex')}`;
  const store = on === 'postgres' ? await openStore(postgresUrl as string, { postgresSchema: schema }) : await openStore(`sqlite:${join(dir, 'p.db')}`);
  try {
    await store.write((tx) => tx.upsertMerchant(merchant('M1', { feePlan: 'standard' })));
    await run(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    if (on === 'postgres') {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
}

/** The store, except that the unit of the next `failures` projector batches throws just before it would move the checkpoint (a crash there). */
function crashingBeforeCheckpoint(store: Store, failures: number): Store {
  let left = failures;
  const write: Store['write'] = (unit) =>
    store.write((tx) =>
      unit(
        new Proxy(tx, {
          get(target, property, receiver) {
            if (property === 'setProjectorCheckpoint' && left > 0) {
              return async () => {
                left -= 1;
                throw new Error('crash between the writes and the checkpoint');
              };
            }
            const value: unknown = Reflect.get(target, property, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
      ),
    );
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function setup(store: Store, batchMax = 2) {
  const clock = new ManualClock(1_764_000_100_000);
  const hooks = createPaymentFeeHooks({ plans: () => builtinFeePlans, settings: { timeZone: 'Asia/Shanghai', settleMode: 't1', cutoff: '23:00' }, clock, logger: silent, approvedFees: 'projector' });
  const projector = new PaymentProjector({ store, clock, logger: silent, fees: hooks, batchMax });
  return { clock, hooks, projector };
}

/** Many sales answered in one unit, as the engine writes each (pending, then its answer); every fourth declined. */
async function answeredSales(store: Store, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `s${String(i).padStart(4, '0')}`);
  await store.write(async (tx) => {
    for (const [i, id] of ids.entries()) {
      const pending = payment(id, 'M1', { status: 'pending', responseCode: null, authCode: null, rrn: null, decline: null, cardType: 'credit', terminalId: null, amountMinor: 1_000 + i });
      await tx.insertPayment(pending);
      const status = i % 4 === 3 ? 'declined' : 'approved';
      assert.equal(await tx.updatePayment(pending, { ...pending, status, responseCode: status === 'approved' ? '00' : '51', updatedAtMs: pending.updatedAtMs + 10 }), true);
    }
  });
  return ids;
}

/** Every event of a type, paging through the stream. */
async function allEvents(store: Store, type: string) {
  const events: Awaited<ReturnType<Store['listEvents']>> = [];
  for (let page = await store.listEvents(0, 1000, type); page.length > 0; page = await store.listEvents(page[page.length - 1]?.seq ?? 0, 1000, type)) events.push(...page);
  return events;
}

async function batchRepeatedAfterCrashes(on: 'sqlite' | 'postgres'): Promise<void> {
  await withStore(async (store) => {
    // 400 sales in one batch: their 300 fee lines bind 3,600 parameters, more than one statement of the store holds.
    const ids = await answeredSales(store, 400);
    const approvedIds = ids.filter((_, i) => i % 4 !== 3);
    const crashing = crashingBeforeCheckpoint(store, 1);
    const { projector } = setup(crashing, 1000);
    await assert.rejects(projector.drain(), /crash between the writes and the checkpoint/);
    assert.equal(await store.getProjectorCheckpoint(projectorName), 0);
    assert.deepEqual(await store.listFeeLines({ merchantId: 'M1' }), [], 'the crashed unit wrote nothing');
    assert.deepEqual(await allEvents(store, 'payment.completed'), []);
    // Repeated: the whole batch, once.
    assert.equal(await projector.drain(), 400);
    const lines = await store.listFeeLines({ merchantId: 'M1' });
    assert.deepEqual(lines.map((line) => line.paymentId).sort(), approvedIds);
    assert.ok(lines.every((line) => line.id === `fee_${line.paymentId}` && line.kind === 'fee' && line.feeMinor > 0));
    const events = await allEvents(store, 'payment.completed');
    assert.deepEqual(events.map((event) => event.subjectId), ids, 'one event per answered sale, in journal order');
    assert.deepEqual(events[3]?.payload, { status: 'declined', code: '51', category: null, verdict: null, amountMinor: 1_003, currency: 'CNY', merchantId: 'M1', terminalId: null, by: 'projector' });
    // As if the writes had committed without the checkpoint: the batch runs again from the middle and from the start.
    const head = await store.getProjectorCheckpoint(projectorName);
    for (const rewound of [head - 150, 0]) {
      await store.write((tx) => tx.setProjectorCheckpoint(projectorName, rewound, 1));
      assert.equal(await projector.drain(), head - rewound);
      assert.deepEqual(await store.listFeeLines({ merchantId: 'M1' }), lines, 'no fee line twice, none changed');
      assert.equal((await allEvents(store, 'payment.completed')).length, 400, 'no event twice');
    }
    assert.equal(await store.getProjectorCheckpoint(projectorName), head);
    assert.equal((await store.listPayments({ limit: 500, merchantId: 'M1' })).data.length, 400);
  }, on);
}

/** A sale as the engine writes it: pending at intake (not journalled), then its answer (journalled). */
async function answeredSale(store: Store, id: string, status: 'approved' | 'declined'): Promise<PaymentRecord> {
  const pending = payment(id, 'M1', { status: 'pending', responseCode: null, authCode: null, rrn: null, decline: null, cardType: 'credit', terminalId: null });
  await store.write((tx) => tx.insertPayment(pending));
  const answered: PaymentRecord = { ...pending, status, responseCode: status === 'approved' ? '00' : '51', updatedAtMs: pending.updatedAtMs + 10 };
  assert.equal(await store.write((tx) => tx.updatePayment(pending, answered)), true);
  return { ...answered, version: pending.version + 1 };
}

test('fee lines and payment.completed events are written once per answered payment, in journal order, and the lag drops to zero', async () => {
  await withStore(async (store) => {
    const { projector } = setup(store);
    await answeredSale(store, 'p1', 'approved');
    await answeredSale(store, 'p2', 'declined');
    await answeredSale(store, 'p3', 'approved');
    await store.write((tx) => tx.insertPayment(payment('p4', 'M1', { status: 'pending', terminalId: null, responseCode: null })));
    assert.deepEqual(await store.listFeeLines({ merchantId: 'M1' }), [], 'nothing derived is written on the answer path');
    const before = await projector.lag();
    assert.equal(before.entries, 3, 'three answered payments, the pending one is not journalled');
    assert.equal(await projector.drain(), 3);
    const fees = await store.listFeeLines({ merchantId: 'M1' });
    assert.deepEqual(fees.map((line) => line.paymentId).sort(), ['p1', 'p3']);
    const completed = (await store.listEvents(0, 100, 'payment.completed')).map((event) => [event.subjectId, event.payload.status]);
    assert.deepEqual(completed, [['p1', 'approved'], ['p2', 'declined'], ['p3', 'approved']]);
    assert.deepEqual(await projector.lag(), { entries: 0, ageMs: 0, checkpoint: before.head, head: before.head });
    // The payment list (migration 0027) holds the projected payments: past the checkpoint, lists read it alone.
    assert.deepEqual((await store.listPayments({ limit: 10, status: 'approved' })).data.map((p) => p.id).sort(), ['p1', 'p3']);
    assert.deepEqual((await store.listPayments({ limit: 10, merchantId: 'M1' })).data.map((p) => p.id).sort(), ['p1', 'p2', 'p3', 'p4']);
    // Run again (a second node, a restart): nothing new.
    assert.equal(await projector.drain(), 0);
    assert.equal((await store.listFeeLines({ merchantId: 'M1' })).length, 2);
  });
});

test('a payment updated again moves up the journal; a crash after the write but before the checkpoint repeats the batch without duplicates', async () => {
  await withStore(async (store) => {
    const { projector } = setup(store);
    await answeredSale(store, 'p1', 'approved');
    await projector.drain();
    // Rewind the checkpoint as if the unit's checkpoint had not committed: the batch is projected again.
    await store.write((tx) => tx.setProjectorCheckpoint(projectorName, 0, 1));
    assert.equal(await projector.drain(), 1);
    assert.equal((await store.listFeeLines({ paymentId: 'p1' })).length, 1);
    assert.equal((await store.listEvents(0, 100, 'payment.completed')).length, 1);
  });
});

test('a refund or a fee removal before the projector ran writes the approved fee line it needs first', async () => {
  await withStore(async (store) => {
    const { hooks } = setup(store);
    const sale = await answeredSale(store, 'p1', 'approved');
    const reversed: PaymentRecord = { ...sale, status: 'reversed' };
    await store.write((tx) => hooks.removeForPayment(tx, reversed));
    const lines = await store.listFeeLines({ paymentId: 'p1' });
    assert.deepEqual(lines.map((line) => line.kind).sort(), ['fee', 'fee_removed']);
    assert.equal(lines.reduce((sum, line) => sum + line.feeMinor, 0), 0, 'the removal cancels the fee it needed');
  });
});

test('a batch larger than one statement may bind, crashed before its checkpoint and repeated, writes every fee line and event once', async () => {
  await batchRepeatedAfterCrashes('sqlite');
});

test('the same on PostgreSQL (RESWIPE_TEST_POSTGRES_URL)', { skip: postgresUrl === undefined ? 'RESWIPE_TEST_POSTGRES_URL is not set' : false }, async () => {
  await batchRepeatedAfterCrashes('postgres');
});

/** The store, except that each unit written takes `unitMs` on the clock (a slow batch). */
function slowWrites(store: Store, clock: ManualClock, unitMs: number): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'write') {
        return async (...args: Parameters<Store['write']>) => {
          const result = await target.write(...args);
          clock.advance(unitMs);
          return result;
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

test('a drain bounded in time (shutdown) stops after the batch that reaches its end, and the next drain goes on from the checkpoint', async () => {
  await withStore(async (store) => {
    await answeredSales(store, 10);
    const { clock, hooks } = setup(store);
    const slow = slowWrites(store, clock, 1_000);
    const payments = new PaymentProjector({ store: slow, clock, logger: silent, fees: hooks, batchMax: 2 });
    const analytics = new AnalyticsProjector({ store: slow, clock, logger: silent, batchMax: 2, timeZone: 'Asia/Shanghai' });
    for (const projector of [payments, analytics]) {
      // Batches end 1, 2 and 3 s after the start: the third is the first at or past 2.5 s.
      assert.equal(await projector.drain({ untilMs: clock.nowMs() + 2_500 }), 6);
      assert.equal(await projector.drain(), 4, 'the rest, after the next start');
      assert.equal(await projector.drain({ untilMs: clock.nowMs() }), 0, 'nothing left: an expired bound still reads once');
    }
    assert.equal((await payments.lag()).entries, 0);
    assert.equal(await analytics.lagEntries(), 0);
    assert.equal((await allEvents(store, 'payment.completed')).length, 10);
  });
});
