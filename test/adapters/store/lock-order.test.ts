// Goal: two gateway nodes on one PostgreSQL database never deadlock, whatever units their batches mix
// and in whatever order (docs/cluster.md, "Lock order"). Method: two stores on one schema (two nodes),
// each firing units that take the store's locks in every order (STAN counter row, events advisory
// lock, cache_versions row, a payment FOR UPDATE, a terminal row), at once, many rounds; any
// RSW_STORE_BUSY is a failure. The test can fail: the same race on stores opened with the old order
// (`eventLockFirst: false`) must hit PostgreSQL's deadlock detector (40P01), and two raw connections
// taking the STAN row and the events lock in opposite orders (the start-up deadlock of issue 19) do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PostgresStore } from '../../../src/adapters/store/postgres-store.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import type { StoreTx } from '../../../src/core/ports/store.ts';
import { baseAtMs, channel, idempotency, merchant, payment, terminal } from './store-fixtures.ts';
import { postgresTestUrl, requirePostgres, TestSchemas } from '../../support/postgres-test-database.ts';

const schemas = new TestSchemas('reswipe_lock');

type Unit = (tx: StoreTx, tag: string) => Promise<void>;

const event = (tx: StoreTx, tag: string) => tx.appendEvent({ type: 'lock.test', subjectId: tag, payload: {}, atMs: baseAtMs });

/** Units taking the store's locks in different orders; with the events lock taken first by the batch, none can deadlock. */
const units: Record<string, Unit> = {
  // The sale's intent: key, payment, STAN (counter row with blocks of 1), event.
  sale: async (tx, tag) => {
    await tx.insertIdempotency(idempotency('lock', tag, { paymentId: `pay-${tag}` }));
    await tx.insertPayment(payment(`pay-${tag}`, 'm1', { terminalId: 't1', terminalStan: null }));
    await tx.nextStan('ch1');
    await event(tx, tag);
  },
  // The reverse order of the sale: the events lock, then the STAN counter row (the start-up deadlock).
  eventThenStan: async (tx, tag) => {
    await event(tx, tag);
    await tx.nextStan('ch1');
  },
  // A management change: the channel row and the cache_versions row, then an event and a STAN.
  configChange: async (tx, tag) => {
    await tx.upsertChannel(channel('ch1', { updatedAtMs: baseAtMs + tag.length }));
    await event(tx, tag);
    await tx.nextStan('ch1');
  },
  // A follow-up: the original payment FOR UPDATE, then a terminal row, then an event.
  followUp: async (tx, tag) => {
    await tx.lockPaymentForUpdate('pay-original');
    await tx.touchTerminal('t1', baseAtMs + Number.parseInt(tag.replace(/\D/g, '').slice(-9) || '0', 10));
    await event(tx, tag);
  },
  // The reverse: a terminal row, the STAN row, the original payment, a config bump.
  terminalFirst: async (tx, tag) => {
    await tx.touchTerminal('t1', baseAtMs + Number.parseInt(tag.replace(/\D/g, '').slice(-9) || '0', 10));
    await tx.nextStan('ch1');
    await tx.lockPaymentForUpdate('pay-original');
    await tx.upsertTerminal(terminal('t1', 'm1', { updatedAtMs: baseAtMs }));
  },
};

async function openPair(schema: string, eventLockFirst: boolean): Promise<[PostgresStore, PostgresStore]> {
  const open = () => PostgresStore.open(postgresTestUrl, { schema, stanBlockSize: 1, eventLockFirst, listenForConfigChanges: false, poolMax: 4 });
  const first = open();
  await first.migrate();
  await first.write(async (tx) => {
    await tx.upsertMerchant(merchant('m1'));
    await tx.upsertTerminal(terminal('t1', 'm1'));
    await tx.upsertChannel(channel('ch1'));
    await tx.insertPayment(payment('pay-original', 'm1', { terminalId: 't1', terminalStan: null }));
  });
  return [first, open()];
}

/** Every ordered pair of unit kinds, each store firing a few units at once (batched together), `rounds` times; returns the busy errors seen. */
async function race(stores: [PostgresStore, PostgresStore], rounds: number): Promise<Array<{ code: string; reason: string }>> {
  const kinds = Object.keys(units);
  const busy: Array<{ code: string; reason: string }> = [];
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    for (const kindA of kinds) {
      for (const kindB of kinds) {
        const fire = (store: PostgresStore, order: string[]) =>
          order.map((kind) => {
            n += 1;
            const tag = `${kind}-${round}-${n}`;
            const unit = units[kind];
            if (unit === undefined) throw new Error(kind);
            return store.write((tx) => unit(tx, tag));
          });
        const results = await Promise.allSettled([...fire(stores[0], [kindA, kindB]), ...fire(stores[1], [kindB, kindA])]);
        for (const result of results) {
          if (result.status === 'fulfilled') continue;
          const error = result.reason;
          if (isReswipeError(error, 'RSW_STORE_BUSY')) busy.push({ code: error.code, reason: String(error.params.reason) });
          else throw error;
        }
      }
    }
  }
  return busy;
}

if (await requirePostgres('lock order on PostgreSQL')) {
  test('two nodes racing every pair of units in both orders never deadlock (the events lock is taken first by every batch)', { timeout: 240_000 }, async () => {
    const schema = schemas.fresh();
    const stores = await openPair(schema, true);
    try {
      const busy = await race(stores, 8);
      assert.deepEqual(busy, [], `deadlocks or lock timeouts: ${busy.slice(0, 3).map((b) => b.reason).join('; ')}`);
      // The race really ran: every STAN handed out (blocks of one) moved the shared counter.
      const client = new pg.Client({ connectionString: postgresTestUrl });
      await client.connect();
      const counter = await client.query(`SELECT value FROM ${schema}.stan_counters WHERE channel = 'ch1'`).finally(() => client.end());
      assert.ok(Number(counter.rows[0]?.value) >= 8 * 25 * 2, `counter at ${String(counter.rows[0]?.value)}`);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await schemas.dropAll();
    }
  });

  test('control: the same race with the old order (events lock taken when the first event is appended) deadlocks', { timeout: 240_000 }, async () => {
    const stores = await openPair(schemas.fresh(), false);
    try {
      let deadlocks = 0;
      // Bounded: a deadlock shows within a few rounds on a local server; 40 rounds is 1 000 races.
      for (let round = 0; round < 40 && deadlocks === 0; round++) {
        deadlocks = (await race(stores, 1)).filter((busy) => busy.reason.startsWith('40P01')).length;
      }
      assert.ok(deadlocks > 0, 'the old lock order never deadlocked: the race does not exercise the locks');
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await schemas.dropAll();
    }
  });

  test('control: the start-up deadlock of issue 19 (STAN row then events lock, against the reverse) is reported as 40P01', async () => {
    const schema = schemas.fresh();
    const [store] = await openPair(schema, true);
    await store.close();
    const a = new pg.Client({ connectionString: postgresTestUrl });
    const b = new pg.Client({ connectionString: postgresTestUrl });
    await a.connect();
    await b.connect();
    const eventLock = `SELECT pg_advisory_xact_lock(hashtext('reswipe.events:${schema}'))`;
    const stanRow = `UPDATE ${schema}.stan_counters SET value = value + 1 WHERE channel = 'ch1'`;
    try {
      await a.query(`INSERT INTO ${schema}.stan_counters (channel, value) VALUES ('ch1', 0)`);
      // A wrong set-up must fail the test, not hang it.
      await a.query(`SET lock_timeout = '10s'`);
      await b.query(`SET lock_timeout = '10s'`);
      await a.query('BEGIN');
      await b.query('BEGIN');
      await a.query(stanRow);
      await b.query(eventLock);
      const results = await Promise.allSettled([a.query(eventLock), b.query(stanRow)]);
      const codes = results.map((result) => (result.status === 'rejected' ? (result.reason as { code?: string }).code : 'ok'));
      assert.ok(codes.includes('40P01'), `expected one side to be chosen as the deadlock victim, got ${codes.join(', ')}`);
    } finally {
      await a.query('ROLLBACK').catch(() => undefined);
      await b.query('ROLLBACK').catch(() => undefined);
      await a.end();
      await b.end();
      await schemas.dropAll();
    }
  });
}
