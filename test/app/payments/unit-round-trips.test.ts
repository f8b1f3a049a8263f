// Goal: a sale's two durable units stay as few round trips as they are now (docs/benchmarks.md,
// "Round trips per sale on PostgreSQL"): the intent unit sends its writes together, the outcome unit
// its write and reads, then its writes. Method: counting, never timing. The store's `write` is wrapped
// so every unit gets a tx that records which calls it issued together (a call made while none of the
// unit's earlier calls is pending starts a trip); on PostgreSQL the store's own count of the write
// connection's round trips is read around each unit as well. Runs on SQLite, and on PostgreSQL when
// RESWIPE_TEST_POSTGRES_URL answers (RESWIPE_REQUIRE_POSTGRES=1 makes its absence a failure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { PostgresStore } from '../../../src/adapters/store/postgres-store.ts';
import type { Store, StoreTx } from '../../../src/core/ports/store.ts';
import { createFixture, sale } from './sale-fixture.ts';
import { postgresTestUrl, requirePostgres, TestSchemas } from '../../support/postgres-test-database.ts';

interface UnitTrips {
  /** The tx calls of each trip, in the order issued. */
  trips: string[][];
  /** PostgreSQL only: the round trips the unit cost its batch (its first rides with the BEGIN or savepoint sent before it). */
  roundTrips: number | null;
}

/** Wraps `store.write` so that every unit's tx calls are recorded, grouped by trip. */
function recordUnitTrips(store: Store): UnitTrips[] {
  const units: UnitTrips[] = [];
  const write = store.write.bind(store);
  const counted = store instanceof PostgresStore ? store : null;
  store.write = <T>(unit: (tx: StoreTx) => Promise<T>): Promise<T> =>
    write(async (tx) => {
      const record: UnitTrips = { trips: [], roundTrips: null };
      units.push(record);
      let pending = 0;
      const recording = new Proxy(tx, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function' || typeof property !== 'string') return value;
          return (...args: unknown[]) => {
            if (pending === 0) record.trips.push([]);
            record.trips[record.trips.length - 1]?.push(property);
            pending += 1;
            const result = Promise.resolve(value.apply(target, args));
            return result.finally(() => {
              pending -= 1;
            });
          };
        },
      });
      const before = counted?.writeRoundTrips ?? 0;
      try {
        return await unit(recording);
      } finally {
        if (counted !== null) record.roundTrips = 1 + counted.writeRoundTrips - before;
      }
    });
  return units;
}

const calls = (unit: UnitTrips | undefined): string => (unit?.trips ?? []).map((trip) => trip.join(' + ')).join(' | ');

/** Runs two approved sales one after another and returns the units of the second (the first also reserves a STAN block). */
async function unitsOfOneSale(store: Store): Promise<{ intent: UnitTrips | undefined; outcome: UnitTrips | undefined }> {
  const units = recordUnitTrips(store);
  const fixture = await createFixture({ store });
  try {
    assert.equal((await fixture.engine.authorize(sale())).kind, 'completed');
    const from = units.length;
    const result = await fixture.engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    const ofSale = units.slice(from);
    return {
      intent: ofSale.find((unit) => unit.trips.flat().includes('insertIdempotency')),
      outcome: ofSale.find((unit) => unit.trips.flat().includes('updateIdempotency')),
    };
  } finally {
    await fixture.close();
  }
}

// nextStan takes the attempt's STAN from the block in memory (a write once per 1 000 STANs, made by the first sale).
const intentCalls = 'nextStan | insertIdempotency + insertPayment + insertAttempt';
const outcomeCalls = 'updateAttempt + listAttempts | updatePayment + updateIdempotency';

test('sqlite: the intent unit issues its writes together, the outcome unit in two trips', async () => {
  const { intent, outcome } = await unitsOfOneSale(await openStore('sqlite::memory:', { detectNestedWrites: true }));
  assert.equal(calls(intent), intentCalls);
  assert.equal(calls(outcome), outcomeCalls);
});

if (await requirePostgres('postgres: round trips of the sale units')) {
  const schemas = new TestSchemas('reswipe_trips');
  test('postgres: the intent unit is one round trip, the outcome unit two', async (t) => {
    t.after(() => schemas.dropAll());
    const { intent, outcome } = await unitsOfOneSale(await openStore(postgresTestUrl, { postgresSchema: schemas.fresh(), detectNestedWrites: true }));
    assert.equal(calls(intent), intentCalls);
    assert.equal(calls(outcome), outcomeCalls);
    assert.equal(intent?.roundTrips, 1);
    assert.equal(outcome?.roundTrips, 2);
  });
}
