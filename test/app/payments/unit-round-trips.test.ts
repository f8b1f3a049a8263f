// Goal: a sale's two durable units stay as few round trips as they are now (docs/benchmarks.md,
// "Round trips per sale on PostgreSQL" and "The reads of a sale"): the intent unit sends its writes
// together, and so does the outcome unit when it holds the payment row and the attempts as it last wrote
// them; after a version conflict (another write changed the payment) it reads both again. Method: counting, never timing. The store's `write` is wrapped
// so every unit gets a tx that records which calls it issued together (a call made while none of the
// unit's earlier calls is pending starts a trip); on PostgreSQL the store's own count of the write
// connection's round trips is read around each unit as well. Runs on SQLite, and on PostgreSQL when
// RESWIPE_TEST_POSTGRES_URL answers (RESWIPE_REQUIRE_POSTGRES=1 makes its absence a failure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { PostgresStore } from '../../../src/adapters/store/postgres-store.ts';
import type { Store, StoreTx } from '../../../src/core/ports/store.ts';
import { createFixture, reply, sale, type Script } from './sale-fixture.ts';
import { postgresTestUrl, requirePostgres, TestSchemas } from '../../support/postgres-test-database.ts';

interface UnitTrips {
  /** The tx calls of each trip, in the order issued. */
  trips: string[][];
  /** The unit threw (it was rolled back; writeDurably tries a version conflict again). */
  failed: boolean;
  /** PostgreSQL only: the round trips the unit cost its batch (its first rides with the BEGIN or savepoint sent before it). */
  roundTrips: number | null;
  /** For each updateAttempt call: whether it named the attempt as last written (then only changed columns are written). */
  attemptBefore: boolean[];
}

/** Wraps `store.write` so that every unit's tx calls are recorded, grouped by trip. */
function recordUnitTrips(store: Store): UnitTrips[] {
  const units: UnitTrips[] = [];
  const write = store.write.bind(store);
  const counted = store instanceof PostgresStore ? store : null;
  store.write = <T>(unit: (tx: StoreTx) => Promise<T>): Promise<T> =>
    write(async (tx) => {
      const record: UnitTrips = { trips: [], failed: false, roundTrips: null, attemptBefore: [] };
      units.push(record);
      let pending = 0;
      const recording = new Proxy(tx, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function' || typeof property !== 'string') return value;
          return (...args: unknown[]) => {
            if (pending === 0) record.trips.push([]);
            record.trips[record.trips.length - 1]?.push(property);
            if (property === 'updateAttempt') record.attemptBefore.push(args[1] !== undefined);
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
      } catch (error) {
        record.failed = true;
        throw error;
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
// The payment row and the attempts are the sale's own (outcome-unit.ts): nothing to read first.
const outcomeCalls = 'updatePayment + updateAttempt + updateIdempotency';

test('sqlite: the intent unit issues its writes together, and so does the outcome unit', async () => {
  const { intent, outcome } = await unitsOfOneSale(await openStore('sqlite::memory:', { detectNestedWrites: true }));
  assert.equal(calls(intent), intentCalls);
  assert.equal(calls(outcome), outcomeCalls);
  // The attempt's update names the row as the intent wrote it: only the answer's columns are written.
  assert.deepEqual(outcome?.attemptBefore, [true]);
});

if (await requirePostgres('postgres: round trips of the sale units')) {
  const schemas = new TestSchemas('reswipe_trips');
  test('postgres: the intent unit is one round trip, and so is the outcome unit', async (t) => {
    t.after(() => schemas.dropAll());
    const { intent, outcome } = await unitsOfOneSale(await openStore(postgresTestUrl, { postgresSchema: schemas.fresh(), detectNestedWrites: true }));
    assert.equal(calls(intent), intentCalls);
    assert.equal(calls(outcome), outcomeCalls);
    assert.equal(intent?.roundTrips, 1);
    assert.equal(outcome?.roundTrips, 1);
  });
}

test('an outcome unit whose payment another write changed (its reversal settled) reads the payment and the attempts on its retry', async () => {
  const store = await openStore('sqlite::memory:', { detectNestedWrites: true });
  const units = recordUnitTrips(store);
  let sales = 0;
  // The first request's reply is lost: its reversal (confirmed) is settled by the reversal worker while the
  // sale waits, which updates the attempt and the payment row; the retry on a new STAN is approved.
  const lostFirst: Script = (request) => {
    if (request.mti.startsWith('04')) return reply(request, '00');
    sales += 1;
    return sales === 1 ? { kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() } : reply(request, '00');
  };
  const fixture = await createFixture({ store, scripts: [lostFirst] });
  try {
    const result = await fixture.engine.authorize(sale());
    assert.equal(result.kind === 'completed' && result.view.status, 'approved');
    assert.deepEqual(result.kind === 'completed' && result.view.attempts.map((attempt) => attempt.outcome), ['reversed', 'approved']);
    // The unit written for the settled reversal trusted the row of the sale's previous unit: refused on its version...
    const refused = units.findIndex((unit) => unit.failed && calls(unit).startsWith('updatePayment'));
    assert.ok(refused >= 0, `a first try refused on the payment's version: ${units.map(calls).join(' || ')}`);
    assert.doesNotMatch(calls(units[refused]), /listAttempts|getPayment/, 'the first try read nothing');
    // ...and its retry read the payment and the attempts as stored, the reversal's change included.
    const retry = units.slice(refused + 1).find((unit) => !unit.failed && calls(unit).includes('updatePayment'));
    assert.equal(retry?.trips[0]?.join(' + '), 'getPayment + listAttempts', units.map(calls).join(' || '));
  } finally {
    await fixture.close();
  }
});
