// Goal: fee lines follow payments through the real store: one fee per approved sale (idempotent), voids cancel it with a fee_removed line, refunds follow the plan's refund policy across partial refunds, settlement refuses paid batches and stale statements, and the what-if comparison prices a period under another plan. Method: a temporary SQLite store opened with openStore, records written through store.write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { compareFeePlans } from '../../../src/app/fees/compare-fee-plans.ts';
import { recordFeesForApprovedPayment, recordFeesForRefund, removeFeesForPayment, type PaymentFeeContext } from '../../../src/app/fees/record-payment-fees.ts';
import { exportStatement, settleMerchantDay } from '../../../src/app/fees/settle-day.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { builtinFeePlans, builtinHolidayCalendar, mergeFeePlanSets, validateFeePlans } from '../../../src/core/fees/index.ts';
import type { PaymentRecord, Store } from '../../../src/core/ports/store.ts';
import { merchant, payment } from '../../adapters/store/store-fixtures.ts';

const plans = mergeFeePlanSets(
  builtinFeePlans,
  validateFeePlans({ plans: [{ name: 'shop', refundPolicy: 'pro_rata', methods: { credit: { rateBps: 60 }, debit: { rateBps: 45, capMinor: 2000 } } }] }, 'test'),
);
const at = (local: string): number => Date.parse(`${local}+08:00`);
const context = (overrides: Partial<PaymentFeeContext> = {}): PaymentFeeContext => ({ plans, merchantFeePlan: 'shop', mcc: '5411', timeZone: 'Asia/Shanghai', settleMode: 't1', nowMs: at('2026-06-18T23:59:00'), ...overrides });
const settings = { timeZone: 'Asia/Shanghai', cutoff: '23:00', settleMode: 't1' as const, calendar: builtinHolidayCalendar };

async function withStore(run: (store: Store) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-fees-'));
  const store = await openStore(`sqlite:${join(dir, 'fees.db')}`);
  try {
    await store.write(async (tx) => tx.upsertMerchant(merchant('M1', { feePlan: 'shop' })));
    await run(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function sale(id: string, amountMinor: number, createdAt: string, overrides: Partial<PaymentRecord> = {}): PaymentRecord {
  return payment(id, 'M1', { amountMinor, cardType: 'credit', createdAtMs: at(createdAt), updatedAtMs: at(createdAt), rrn: null, ...overrides });
}

test('an approved sale gets one fee line, however often the engine asks', async () => {
  await withStore(async (store) => {
    const s1 = sale('s1', 33_333, '2026-06-18T10:00:00');
    const first = await store.write(async (tx) => {
      await tx.insertPayment(s1);
      return recordFeesForApprovedPayment(tx, s1, context());
    });
    const second = await store.write((tx) => recordFeesForApprovedPayment(tx, s1, context()));
    assert.deepEqual(second, first);
    assert.equal(first.feeMinor, 200);
    assert.equal(first.businessDate, '2026-06-18');
    assert.equal(first.plan, 'shop');
    assert.equal((await store.listFeeLines({ paymentId: 's1' })).length, 1);
  });
});

test('an unknown card type is priced as credit, and D0 shows its surcharge in the rule', async () => {
  await withStore(async (store) => {
    const s1 = sale('s1', 10_000, '2026-06-18T10:00:00', { cardType: 'unknown' });
    const line = await store.write(async (tx) => {
      await tx.insertPayment(s1);
      return recordFeesForApprovedPayment(tx, s1, context({ merchantFeePlan: 'standard', settleMode: 'd0' }));
    });
    assert.equal(line.method, 'credit');
    assert.equal(line.feeMinor, 60 + 200);
    assert.equal(line.rule, 'base+d0:200');
  });
});

test('a void cancels the fee with a fee_removed line on the same business date, once', async () => {
  await withStore(async (store) => {
    const s1 = sale('s1', 10_000, '2026-06-18T22:30:00');
    await store.write(async (tx) => {
      await tx.insertPayment(s1);
      await recordFeesForApprovedPayment(tx, s1, context());
    });
    const voided = { ...s1, status: 'voided' as const, version: 2, updatedAtMs: at('2026-06-18T23:10:00') };
    const removed = await store.write(async (tx) => {
      assert.equal(await tx.updatePayment(s1, voided), true);
      return removeFeesForPayment(tx, voided, { nowMs: at('2026-06-18T23:10:00') });
    });
    assert.equal(removed?.kind, 'fee_removed');
    assert.equal(removed?.feeMinor, -60);
    assert.equal(removed?.businessDate, '2026-06-18');
    assert.equal(await store.write((tx) => removeFeesForPayment(tx, voided, { nowMs: 0 })), null);
    const lines = await store.listFeeLines({ paymentId: 's1' });
    assert.equal(lines.reduce((sum, line) => sum + line.feeMinor, 0), 0);
  });
});

test('pro-rata refunds give back the fee in proportion and exactly all of it after a full refund; not_refunded gives back nothing', async () => {
  await withStore(async (store) => {
    const s1 = sale('s1', 33_333, '2026-06-18T10:00:00');
    const s2 = sale('s2', 10_000, '2026-06-18T10:05:00');
    await store.write(async (tx) => {
      await tx.insertPayment(s1);
      await tx.insertPayment(s2);
      await recordFeesForApprovedPayment(tx, s1, context());
      await recordFeesForApprovedPayment(tx, s2, context({ merchantFeePlan: 'standard' }));
    });
    const refund = (id: string, original: string, amountMinor: number, when: string): PaymentRecord =>
      sale(id, amountMinor, when, { kind: 'refund', originalPaymentId: original });
    const refunds = [refund('r1', 's1', 11_111, '2026-06-19T09:00:00'), refund('r2', 's1', 11_111, '2026-06-20T09:00:00'), refund('r3', 's1', 11_111, '2026-06-21T09:00:00')];
    const feesBack: number[] = [];
    for (const r of refunds) {
      const line = await store.write(async (tx) => {
        await tx.insertPayment(r);
        return recordFeesForRefund(tx, r, context());
      });
      feesBack.push(-line.feeMinor);
    }
    // 200 fen over three thirds: 66.67 → 67 cumulative, 133.33 → 133, 200 → 200.
    assert.deepEqual(feesBack, [67, 66, 67]);
    const tooMuch = refund('r4', 's1', 1, '2026-06-22T09:00:00');
    await assert.rejects(
      store.write(async (tx) => {
        await tx.insertPayment(tooMuch);
        return recordFeesForRefund(tx, tooMuch, context());
      }),
      (error: unknown) => isReswipeError(error, 'RSW_FEE_REFUND_EXCEEDS_ORIGINAL'),
    );
    const r5 = refund('r5', 's2', 5_000, '2026-06-19T09:00:00');
    const standardRefund = await store.write(async (tx) => {
      await tx.insertPayment(r5);
      return recordFeesForRefund(tx, r5, context());
    });
    assert.equal(standardRefund.feeMinor, 0);
    assert.equal(standardRefund.rule, 'refund:not_refunded');
  });
});

test('a refund of a payment without a fee line is refused', async () => {
  await withStore(async (store) => {
    const s1 = sale('s1', 1_000, '2026-06-18T10:00:00');
    const r1 = sale('r1', 1_000, '2026-06-18T11:00:00', { kind: 'refund', originalPaymentId: 's1' });
    await assert.rejects(
      store.write(async (tx) => {
        await tx.insertPayment(s1);
        await tx.insertPayment(r1);
        return recordFeesForRefund(tx, r1, context());
      }),
      (error: unknown) => isReswipeError(error, 'RSW_FEE_ORIGINAL_NOT_FOUND'),
    );
  });
});

test('settlement stores the batch, refuses a stale statement and never rebuilds a paid batch', async () => {
  await withStore(async (store) => {
    const s1 = sale('s1', 100_000, '2026-06-18T10:00:00');
    await store.write(async (tx) => {
      await tx.insertPayment(s1);
      await recordFeesForApprovedPayment(tx, s1, context());
    });
    const day = await settleMerchantDay(store, 'M1', '2026-06-18', settings, 1);
    assert.equal(day.reconciliation.ok, true);
    assert.equal(day.batch.payoutDate, '2026-06-22'); // Dragon Boat Festival 19-21 June
    assert.deepEqual(await store.getSettlementBatch('M1', '2026-06-18'), day.batch);
    // A late sale without a fee line makes the stored batch stale.
    await store.write((tx) => tx.insertPayment(sale('s2', 5_000, '2026-06-18T12:00:00')));
    await assert.rejects(exportStatement(store, 'M1', '2026-06-18', settings), (error: unknown) => isReswipeError(error, 'RSW_FEE_BATCH_MISMATCH'));
    await assert.rejects(exportStatement(store, 'M1', '2026-06-17', settings), (error: unknown) => isReswipeError(error, 'RSW_FEE_BATCH_NOT_FOUND'));
    await store.write((tx) => tx.upsertSettlementBatch({ ...day.batch, state: 'paid' }));
    await assert.rejects(settleMerchantDay(store, 'M1', '2026-06-18', settings, 2), (error: unknown) => isReswipeError(error, 'RSW_FEE_BATCH_PAID'));
  });
});

test('compare prices the period under another plan next to the recorded fees', async () => {
  await withStore(async (store) => {
    const payments = [sale('s1', 1_000_000, '2026-06-18T10:00:00', { cardType: 'debit' }), sale('s2', 33_333, '2026-06-18T11:00:00'), sale('s3', 50_000, '2026-06-18T12:00:00', { status: 'declined' })];
    await store.write(async (tx) => {
      for (const p of payments) await tx.insertPayment(p);
      await recordFeesForApprovedPayment(tx, payments[0] as PaymentRecord, context());
      await recordFeesForApprovedPayment(tx, payments[1] as PaymentRecord, context());
    });
    const result = await compareFeePlans(store, { merchantId: 'M1', fromDate: '2026-06-18', toDate: '2026-06-18', plan: 'standard', plans, timeZone: 'Asia/Shanghai', settleMode: 't1' });
    assert.equal(result.payments, 2);
    assert.equal(result.currentPlan, 'shop');
    assert.equal(result.currentFeesMinor, 2000 + 200); // shop: debit 0.45 % capped at ¥20
    assert.equal(result.whatIfFeesMinor, 2500 + 200); // standard: debit capped at ¥25
    assert.equal(result.differenceMinor, 500);
    assert.deepEqual(result.byMethod.map((row) => row.method), ['credit', 'debit']);
  });
});
