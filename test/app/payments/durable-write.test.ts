// Goal: a sale's write unit is re-run (with fresh reads) when it lost a race on a payment's version, at
// most three times in all, and any other error is not retried. Method: a store whose write runs the
// unit against a fake transaction whose updatePayment refuses as often as a test says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { updatePaymentChecked, VersionConflict, writeDurably } from '../../../src/app/payments/durable-write.ts';
import type { PaymentRecord, Store, StoreTx } from '../../../src/core/ports/store.ts';

function storeRefusing(refusals: number): { store: Store; runs: () => number } {
  let runs = 0;
  let left = refusals;
  const tx = { updatePayment: async () => left-- <= 0 } as unknown as StoreTx;
  const store = { write: async <T>(unit: (tx: StoreTx) => Promise<T>) => { runs += 1; return unit(tx); } } as unknown as Store;
  return { store, runs: () => runs };
}

const payment = { id: 'pay_1', version: 1 } as PaymentRecord;

test('a unit that lost the race twice succeeds on its third run', async () => {
  const { store, runs } = storeRefusing(2);
  const result = await writeDurably(store, async (tx) => {
    await updatePaymentChecked(tx, payment, { ...payment, version: 2 });
    return 'written';
  });
  assert.equal(result, 'written');
  assert.equal(runs(), 3);
});

test('a third lost race is thrown as VersionConflict', async () => {
  const { store, runs } = storeRefusing(3);
  await assert.rejects(writeDurably(store, (tx) => updatePaymentChecked(tx, payment, payment)), VersionConflict);
  assert.equal(runs(), 3);
});

test('any other error is thrown at once, never retried', async () => {
  const { store, runs } = storeRefusing(0);
  await assert.rejects(
    writeDurably(store, async () => {
      throw new Error('disk full');
    }),
    /disk full/,
  );
  assert.equal(runs(), 1);
});
