// Goal: a projector that has fallen behind writes its batch ahead of the sales waiting for the store
// (catch-up.ts), and only then: the decision follows the age of the batch's oldest entry, and the
// analytics projector takes it as the payment projector does (test/app/projector/payment-projector.test.ts).
// Method: the pure decision on journal entries; the analytics projector on a temporary SQLite store whose
// write options are recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catchUpWriteOptions } from '../../../src/app/projector/catch-up.ts';
import { AnalyticsProjector } from '../../../src/app/projector/analytics-projector.ts';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import type { PaymentRecord, Store, WriteOptions } from '../../../src/core/ports/store.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { baseAtMs, merchant, payment } from '../../adapters/store/store-fixtures.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

test('a batch goes ahead when its oldest entry waited longer than the bound; its newer entries do not matter', () => {
  const entries = [
    { seq: 7, payment: payment('p7', 'M1', { updatedAtMs: 1_000 }) },
    { seq: 8, payment: payment('p8', 'M1', { updatedAtMs: 1_900 }) },
  ];
  assert.equal(catchUpWriteOptions(entries, 1_250, 250), undefined);
  assert.deepEqual(catchUpWriteOptions(entries, 1_251, 250), { ahead: true });
  assert.equal(catchUpWriteOptions([], 1_000_000, 250), undefined, 'nothing to write');
});

test('the analytics projector writes its batch ahead while behind, and in turn once caught up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-catch-up-'));
  const store = await openStore(`sqlite:${join(dir, 'c.db')}`);
  try {
    await store.write((tx) => tx.upsertMerchant(merchant('M1')));
    const answer = async (id: string): Promise<void> => {
      const pending: PaymentRecord = payment(id, 'M1', { status: 'pending', responseCode: null, authCode: null, rrn: null, decline: null, terminalId: null });
      await store.write(async (tx) => {
        await tx.insertPayment(pending);
        await tx.updatePayment(pending, { ...pending, status: 'approved', responseCode: '00' });
      });
    };
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
    const clock = new ManualClock(baseAtMs + 2_000);
    const analytics = new AnalyticsProjector({ store: recording, clock, logger: silent, batchMax: 2, timeZone: 'Asia/Shanghai', aheadAfterMs: 1_000 });
    await answer('p1');
    await answer('p2');
    await answer('p3');
    assert.equal(await analytics.drain(), 3);
    assert.deepEqual(options, [{ ahead: true }, { ahead: true }], 'two batches, both of entries 2 s old');
    options.length = 0;
    await answer('p4');
    const fresh = new AnalyticsProjector({ store: recording, clock: new ManualClock(baseAtMs + 500), logger: silent, batchMax: 2, timeZone: 'Asia/Shanghai', aheadAfterMs: 1_000 });
    assert.equal(await fresh.drain(), 1);
    assert.deepEqual(options, [undefined]);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
