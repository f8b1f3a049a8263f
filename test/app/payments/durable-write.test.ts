// Goal: a sale's write unit is re-run (with fresh reads) when it lost a race on a payment's version, at
// most three times in all, and any other error is not retried; calls a unit issued together are awaited
// as if they had run one after another. Method: a store whose write runs the unit against a fake
// transaction whose updatePayment refuses as often as a test says; promises settled by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { awaitInOrder, updatePaymentChecked, VersionConflict, writeDurably } from '../../../src/app/payments/durable-write.ts';
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

function settledByHand<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

test('awaitInOrder gives every value in the order issued, undefined for a call not needed', async () => {
  assert.deepEqual(await awaitInOrder([Promise.resolve(1), undefined, Promise.resolve('two')]), [1, undefined, 'two']);
});

test('awaitInOrder throws the first failure in issue order, after every call settled, and a later failure is never unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const first = settledByHand<number>();
    const second = settledByHand<number>();
    const third = settledByHand<number>();
    let settled = false;
    const all = awaitInOrder([first.promise, second.promise, third.promise]).finally(() => {
      settled = true;
    });
    // The third fails first, while the first is still awaited (a statement refused at once, one before it still on the wire).
    third.reject(new Error('third'));
    await nextTurn();
    second.reject(new Error('second'));
    await nextTurn();
    assert.equal(settled, false, 'not before the first call settled');
    first.resolve(1);
    await assert.rejects(all, /second/);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
