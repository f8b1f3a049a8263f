// Goal: the payment projector writes each answered payment's fee line, payment.completed event and payment
// list row exactly once, off the answer's path, from the payment journal: idempotent when run again, resumed from its
// checkpoint after a restart, and a refund or removal never depends on it having run.
// Method: a temporary SQLite store; payments written as the engine writes them (insert pending, then update).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { createPaymentFeeHooks } from '../../../src/app/fees/payment-fee-hooks.ts';
import { PaymentProjector, projectorName } from '../../../src/app/projector/payment-projector.ts';
import { builtinFeePlans } from '../../../src/core/fees/index.ts';
import type { PaymentRecord, Store } from '../../../src/core/ports/store.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { merchant, payment } from '../../adapters/store/store-fixtures.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function withStore(run: (store: Store, url: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-projector-'));
  const url = `sqlite:${join(dir, 'p.db')}`;
  const store = await openStore(url);
  try {
    await store.write((tx) => tx.upsertMerchant(merchant('M1', { feePlan: 'standard' })));
    await run(store, url);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function setup(store: Store) {
  const clock = new ManualClock(1_764_000_100_000);
  const hooks = createPaymentFeeHooks({ plans: () => builtinFeePlans, settings: { timeZone: 'Asia/Shanghai', settleMode: 't1', cutoff: '23:00' }, clock, logger: silent, approvedFees: 'projector' });
  const projector = new PaymentProjector({ store, clock, logger: silent, fees: hooks, batchMax: 2 });
  return { clock, hooks, projector };
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
