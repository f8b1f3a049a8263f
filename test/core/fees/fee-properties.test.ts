// Goal: the fee bounds hold for every amount, not just the table rows: 0 <= fee <= amount, the fee never falls as the amount grows (below the cap and within one tier), pro-rata refunds never return more than the fee, and batch totals equal the sums of their lines. Method: fast-check properties over random amounts, rates, caps, minimums and random payment days.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildSettlementBatch,
  builtinFeePlans,
  computeFee,
  getFeePlan,
  refundFee,
  validateFeePlans,
  type FeePlan,
} from '../../../src/core/fees/index.ts';
import { paymentMethods } from '../../../src/core/vocabulary.ts';
import type { FeeLineRecord, PaymentKind } from '../../../src/core/ports/store.ts';
import type { PaymentStatus } from '../../../src/core/vocabulary.ts';
import { samplePayment } from './fee-fixtures.ts';

const atMs = Date.parse('2026-06-15T10:00:00+08:00');
const amountArb = fc.integer({ min: 0, max: 999_999_999_999 });

const planArb = fc
  .record({
    rateBps: fc.integer({ min: 0, max: 10_000 }),
    capMinor: fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: undefined }),
    minMinor: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
    perTransactionMinor: fc.integer({ min: 0, max: 1_000 }),
    surchargeBps: fc.integer({ min: 0, max: 100 }),
  })
  .filter((p) => p.capMinor === undefined || p.minMinor === undefined || p.capMinor >= p.minMinor)
  .map((p): FeePlan => {
    const set = validateFeePlans(
      {
        plans: [
          {
            name: 'random',
            methods: { credit: { rateBps: p.rateBps, capMinor: p.capMinor, minMinor: p.minMinor } },
            settlement: { d0: { perTransactionMinor: p.perTransactionMinor, rateBps: p.surchargeBps } },
          },
        ],
      },
      'property',
    );
    return getFeePlan(set, 'random');
  });

test('0 <= fee <= amount and net = amount - fee, for every plan, amount and settle mode', () => {
  fc.assert(
    fc.property(planArb, amountArb, fc.constantFrom('t1' as const, 'd0' as const), (plan, amountMinor, settleMode) => {
      const quote = computeFee({ amountMinor, method: 'credit', plan, atMs, settleMode });
      assert.ok(quote.feeMinor >= 0 && quote.feeMinor <= amountMinor, `fee ${quote.feeMinor} for ${amountMinor}`);
      assert.equal(quote.netMinor, amountMinor - quote.feeMinor);
      assert.ok(Number.isSafeInteger(quote.feeMinor));
    }),
    { numRuns: 2000 },
  );
});

test('the fee never decreases as the amount grows (flat rate, cap, minimum)', () => {
  fc.assert(
    fc.property(planArb, amountArb, fc.integer({ min: 1, max: 1_000_000 }), (plan, amountMinor, growthMinor) => {
      const larger = Math.min(999_999_999_999, amountMinor + growthMinor);
      const small = computeFee({ amountMinor, method: 'credit', plan, atMs, settleMode: 't1' });
      const big = computeFee({ amountMinor: larger, method: 'credit', plan, atMs, settleMode: 't1' });
      assert.ok(big.feeMinor >= small.feeMinor, `${amountMinor} → ${small.feeMinor}, ${larger} → ${big.feeMinor}`);
    }),
    { numRuns: 2000 },
  );
});

test('the standard plan: every method stays within bounds and monotone up to its cap', () => {
  const standard = getFeePlan(builtinFeePlans, 'standard');
  fc.assert(
    fc.property(fc.constantFrom(...paymentMethods), amountArb, amountArb, (method, a, b) => {
      const [low, high] = a <= b ? [a, b] : [b, a];
      const lowQuote = computeFee({ amountMinor: low, method, plan: standard, atMs, settleMode: 't1' });
      const highQuote = computeFee({ amountMinor: high, method, plan: standard, atMs, settleMode: 't1' });
      assert.ok(lowQuote.feeMinor <= highQuote.feeMinor);
      assert.ok(highQuote.feeMinor <= high);
      if (method === 'debit') assert.ok(highQuote.feeMinor <= 2500);
    }),
    { numRuns: 2000 },
  );
});

test('pro-rata refunds in any split return exactly the fee in total and never more on the way', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 100_000 }), fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }), (originalMinor, feeSeed, weights) => {
      const originalFeeMinor = Math.min(feeSeed, originalMinor);
      const totalWeight = weights.reduce((s, w) => s + w, 0);
      let refundedBeforeMinor = 0;
      let feeRefundedBeforeMinor = 0;
      weights.forEach((weight, index) => {
        const isLast = index === weights.length - 1;
        const refundAmountMinor = isLast ? originalMinor - refundedBeforeMinor : Math.floor((originalMinor * weight) / totalWeight);
        const clamped = Math.min(refundAmountMinor, originalMinor - refundedBeforeMinor);
        const result = refundFee({ policy: 'pro_rata', originalPaymentId: 'p', originalAmountMinor: originalMinor, originalFeeMinor, refundAmountMinor: clamped, refundedBeforeMinor, feeRefundedBeforeMinor });
        assert.ok(result.feeRefundMinor >= 0);
        refundedBeforeMinor += clamped;
        feeRefundedBeforeMinor += result.feeRefundMinor;
        assert.ok(feeRefundedBeforeMinor <= originalFeeMinor);
      });
      assert.equal(refundedBeforeMinor, originalMinor);
      assert.equal(feeRefundedBeforeMinor, originalFeeMinor);
    }),
    { numRuns: 1000 },
  );
});

const kinds: PaymentKind[] = ['sale', 'completion', 'refund', 'void', 'preauth'];
const statuses: PaymentStatus[] = ['approved', 'approved', 'approved', 'declined', 'voided', 'reversed'];

test('batch totals equal the sums of their statement lines, and net = gross - refunds - fees', () => {
  const paymentArb = fc.record({ kind: fc.constantFrom(...kinds), status: fc.constantFrom(...statuses), amountMinor: fc.integer({ min: 0, max: 10_000_000 }), feeMinor: fc.integer({ min: -5000, max: 5000 }), hasFee: fc.boolean() });
  fc.assert(
    fc.property(fc.array(paymentArb, { maxLength: 60 }), (rows) => {
      const payments = rows.map((row, index) => samplePayment(`p${index}`, row.kind, row.status, row.amountMinor, index));
      const feeLines = rows.flatMap((row, index) => (row.hasFee ? [sampleFeeLine(`p${index}`, row.feeMinor, index)] : []));
      const { batch, lines } = buildSettlementBatch('M1', '2026-06-15', payments, feeLines, { settleMode: 't1', payoutDate: '2026-06-16', createdAtMs: 0 });
      assert.equal(batch.netMinor, batch.grossMinor - batch.refundsMinor - batch.feesMinor);
      assert.equal(lines.reduce((s, l) => s + l.amountMinor, 0), batch.grossMinor - batch.refundsMinor);
      assert.equal(lines.reduce((s, l) => s + l.feeMinor, 0), batch.feesMinor);
      assert.equal(lines.reduce((s, l) => s + l.netMinor, 0), batch.netMinor);
      assert.equal(batch.feesMinor, feeLines.reduce((s, l) => s + l.feeMinor, 0));
    }),
    { numRuns: 500 },
  );
});

function sampleFeeLine(paymentId: string, feeMinor: number, index: number): FeeLineRecord {
  return { id: `f${index}`, paymentId, merchantId: 'M1', kind: feeMinor >= 0 ? 'fee' : 'fee_refund', method: 'debit', plan: 'standard', rule: 'base', amountMinor: 0, feeMinor, rateBps: 50, businessDate: '2026-06-15', createdAtMs: index };
}
