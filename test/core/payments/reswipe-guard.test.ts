// Goal: the pure rules of the re-swipe guard and the double-approval check: which earlier payment is a
// twin of a sale, which twin may still have moved money, and which of two approved twins is reversed.
// Method: table cases over plain records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doubleApprovalToReverse, isReswipeTwin, isUnsettledTwin, mayBeDoubleApproval } from '../../../src/core/payments/reswipe-guard.ts';

const sale = { merchantId: 'm1', terminalId: 't1', amountMinor: 100, currency: 'CNY', kind: 'sale' as const };

test('a twin has the same amount, currency and kind, and the same terminal (or, without one, the same merchant)', () => {
  assert.equal(isReswipeTwin(sale, sale), true);
  assert.equal(isReswipeTwin({ ...sale, amountMinor: 101 }, sale), false);
  assert.equal(isReswipeTwin({ ...sale, currency: 'USD' }, sale), false);
  assert.equal(isReswipeTwin({ ...sale, kind: 'preauth' }, sale), false);
  assert.equal(isReswipeTwin({ ...sale, terminalId: 't2' }, sale), false);
  assert.equal(isReswipeTwin({ ...sale, terminalId: null }, sale), false);
  const http = { ...sale, terminalId: null };
  assert.equal(isReswipeTwin(http, http), true);
  assert.equal(isReswipeTwin({ ...http, merchantId: 'm2' }, http), false);
  assert.equal(isReswipeTwin(sale, http), false, 'a terminal sale is no twin of a sale without a terminal');
});

test('a twin is unsettled while pending, or while an attempt is open or its approval is being reversed', () => {
  const settledAttempt = { outcome: 'approved' as const, reversalPending: false };
  assert.equal(isUnsettledTwin({ payment: { id: 'p', status: 'pending' }, attempts: [] }), true);
  assert.equal(isUnsettledTwin({ payment: { id: 'p', status: 'approved' }, attempts: [settledAttempt] }), false);
  assert.equal(isUnsettledTwin({ payment: { id: 'p', status: 'approved' }, attempts: [{ ...settledAttempt, reversalPending: true }] }), true);
  assert.equal(isUnsettledTwin({ payment: { id: 'p', status: 'declined' }, attempts: [{ outcome: 'unknown', reversalPending: false }] }), true);
  assert.equal(isUnsettledTwin({ payment: { id: 'p', status: 'declined' }, attempts: [{ outcome: 'declined', reversalPending: false }] }), false);
});

test('of two approved twins the newer is reversed when it arrived before the earlier was approved, whichever is asked', () => {
  const earlier = { id: 'pay_a', createdAtMs: 1_000, approvedAtMs: 1_300 };
  const raced = { id: 'pay_b', createdAtMs: 1_100, approvedAtMs: 1_150 };
  assert.equal(doubleApprovalToReverse(earlier, raced), 'pay_b');
  assert.equal(doubleApprovalToReverse(raced, earlier), 'pay_b', 'symmetric');
  // Approved before the newer one arrived: a separate purchase.
  const later = { id: 'pay_c', createdAtMs: 1_400, approvedAtMs: 1_450 };
  assert.equal(doubleApprovalToReverse(earlier, later), null);
  assert.equal(doubleApprovalToReverse(later, earlier), null);
  // Same instant: the id breaks the tie; an unrecorded approval time counts as unsettled.
  const tie = { id: 'pay_0', createdAtMs: 1_100, approvedAtMs: null };
  assert.equal(doubleApprovalToReverse(raced, tie), 'pay_b');
  assert.equal(doubleApprovalToReverse({ ...earlier, approvedAtMs: null }, later), 'pay_c');
});

test('two approved twins are certainly separate when the earlier was last updated before the newer arrived', () => {
  const earlier = { id: 'pay_a', createdAtMs: 1_000, updatedAtMs: 1_200 };
  assert.equal(mayBeDoubleApproval(earlier, { id: 'pay_b', createdAtMs: 1_300, updatedAtMs: 1_350 }), false);
  assert.equal(mayBeDoubleApproval({ id: 'pay_b', createdAtMs: 1_300, updatedAtMs: 1_350 }, earlier), false, 'symmetric');
  // Updated (perhaps approved) after the newer arrived: the attempts must be read.
  assert.equal(mayBeDoubleApproval(earlier, { id: 'pay_b', createdAtMs: 1_100, updatedAtMs: 1_150 }), true);
  assert.equal(mayBeDoubleApproval({ id: 'pay_b', createdAtMs: 1_100, updatedAtMs: 1_150 }, earlier), true);
  assert.equal(mayBeDoubleApproval(earlier, { id: 'pay_b', createdAtMs: 1_200, updatedAtMs: 1_250 }), true, 'the same millisecond is not certainly before');
});
