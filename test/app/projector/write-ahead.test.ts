// Goal: both projectors write each batch ahead of the units waiting for the store (so a saturated
// store's queue cannot push them back a whole trip per batch: docs/projector.md, "Lag"), and with
// writeAhead false they queue like any unit; what a batch writes is the same either way. The order
// itself is group commit's (test/adapters/store/group-commit.test.ts).
// Method: both projectors on a temporary SQLite store whose write options are recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PaymentProjector } from '../../../src/app/projector/payment-projector.ts';
import { AnalyticsProjector } from '../../../src/app/projector/analytics-projector.ts';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import type { PaymentRecord, Store, WriteOptions } from '../../../src/core/ports/store.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { baseAtMs, merchant, payment } from '../../adapters/store/store-fixtures.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function derivedWith(writeAhead: boolean | undefined): Promise<{ options: Array<WriteOptions | undefined>; events: string[]; rollupPayments: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-write-ahead-'));
  const store = await openStore(`sqlite:${join(dir, 'w.db')}`);
  try {
    await store.write((tx) => tx.upsertMerchant(merchant('M1')));
    for (const id of ['p1', 'p2', 'p3']) {
      const pending: PaymentRecord = payment(id, 'M1', { status: 'pending', responseCode: null, authCode: null, rrn: null, decline: null, terminalId: null });
      await store.write(async (tx) => {
        await tx.insertPayment(pending);
        await tx.updatePayment(pending, { ...pending, status: 'approved', responseCode: '00' });
      });
    }
    const options: Array<WriteOptions | undefined> = [];
    const recording = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'write') {
          return (unit: Parameters<Store['write']>[0], writeOptions?: WriteOptions) => {
            options.push(writeOptions);
            return target.write(unit, writeOptions);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const clock = new ManualClock(baseAtMs + 1_000);
    const choice = writeAhead === undefined ? {} : { writeAhead };
    assert.equal(await new PaymentProjector({ store: recording, clock, logger: silent, batchMax: 2, ...choice }).drain(), 3);
    assert.equal(await new AnalyticsProjector({ store: recording, clock, logger: silent, batchMax: 2, timeZone: 'Asia/Shanghai', ...choice }).drain(), 3);
    const rollup = await store.sumRollup({ fromMs: 0, toMs: 4_000_000_000_000, groupBy: ['outcome'], rowsMax: 10 });
    return {
      options,
      events: (await store.listEvents(0, 100, 'payment.completed')).map((event) => event.subjectId ?? ''),
      rollupPayments: rollup.reduce((sum, row) => sum + row.values.payments, 0),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('each batch of both projectors is written ahead by default, and queued like any unit with writeAhead false; what they write is the same', async () => {
  const ahead = await derivedWith(undefined);
  assert.deepEqual(ahead.options, [{ ahead: true }, { ahead: true }, { ahead: true }, { ahead: true }], 'two batches of two and one entries, per projector');
  const queued = await derivedWith(false);
  assert.deepEqual(queued.options, [undefined, undefined, undefined, undefined]);
  assert.deepEqual(ahead.events, ['p1', 'p2', 'p3']);
  assert.deepEqual({ ...queued, options: [] }, { ...ahead, options: [] });
  assert.equal(ahead.rollupPayments, 3);
});
