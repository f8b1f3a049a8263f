// Goal: recovery of a payment left pending never leaves money unaccounted for: every attempt that may
// have moved money gets a reversal unless it has one, a payment whose attempts are final is finished
// with what they say, and a dead reversal is flagged once. Method: table rows through planPendingRecovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReversalState } from '../../../src/core/ports/store.ts';
import { planPendingRecovery } from '../../../src/core/payments/pending-recovery.ts';
import { saleAttempt, salePayment } from './sale-records.ts';

const nowMs = 9_000;
const none = (): ReversalState | null => null;

test('a pending attempt becomes unknown and is reversed; the payment stays pending and is announced unknown', () => {
  const plan = planPendingRecovery({ payment: salePayment(), attempts: [saleAttempt(1)], reversalStateOf: none, nowMs });
  assert.deepEqual(plan.markUnknown.map((a) => [a.id, a.outcome, a.completedAtMs]), [['att_1', 'unknown', nowMs]]);
  assert.deepEqual(plan.reverse.map((a) => [a.id, a.outcome]), [['att_1', 'unknown']]);
  assert.equal(plan.finish, null);
  assert.equal(plan.announceUnknown, true);
  assert.equal(plan.flagManualHandling, false);
});

test('an unknown attempt keeps its completion time, is not rewritten, and is reversed', () => {
  const plan = planPendingRecovery({ payment: salePayment(), attempts: [saleAttempt(1, { outcome: 'unknown', completedAtMs: 2_000 })], reversalStateOf: none, nowMs });
  assert.equal(plan.markUnknown.length, 0);
  assert.deepEqual(plan.reverse.map((a) => [a.id, a.completedAtMs]), [['att_1', 2_000]]);
});

test('an attempt whose reversal is already queued is left to the reversal worker: nothing announced', () => {
  const plan = planPendingRecovery({ payment: salePayment(), attempts: [saleAttempt(1, { outcome: 'unknown' })], reversalStateOf: () => 'pending', nowMs });
  assert.equal(plan.reverse.length, 0);
  assert.equal(plan.announceUnknown, false);
  assert.equal(plan.flagManualHandling, false);
  assert.equal(plan.finish, null);
});

test('a dead reversal without the flag is flagged for manual handling; with the flag, nothing', () => {
  const dead = () => 'dead' as const;
  const attempts = [saleAttempt(1, { outcome: 'unknown' })];
  assert.equal(planPendingRecovery({ payment: salePayment(), attempts, reversalStateOf: dead, nowMs }).flagManualHandling, true);
  assert.equal(planPendingRecovery({ payment: salePayment({ manualHandlingSinceMs: 5 }), attempts, reversalStateOf: dead, nowMs }).flagManualHandling, false);
});

test('a crash after the approval was written but before the answer: finished approved with its codes', () => {
  const attempts = [saleAttempt(1, { outcome: 'approved', responseCode: '00', authCode: 'A1', rrn: 'R1' })];
  const plan = planPendingRecovery({ payment: salePayment(), attempts, reversalStateOf: none, nowMs });
  assert.equal(plan.reverse.length, 0);
  assert.equal(plan.finish?.payment.status, 'approved');
  assert.equal(plan.finish?.payment.authCode, 'A1');
  assert.equal(plan.finish?.payment.updatedAtMs, nowMs);
  assert.equal(plan.finish?.diagnosis.code, '00');
});

test('final attempts without approval: finished with the last attempt\'s diagnosis', () => {
  const declined = planPendingRecovery({ payment: salePayment(), attempts: [saleAttempt(1, { outcome: 'not_sent' }), saleAttempt(2, { outcome: 'declined', responseCode: '51' })], reversalStateOf: none, nowMs });
  assert.equal(declined.finish?.payment.status, 'declined');
  assert.equal(declined.finish?.diagnosis.code, '51');
  const reversed = planPendingRecovery({ payment: salePayment(), attempts: [saleAttempt(1, { outcome: 'reversed' })], reversalStateOf: none, nowMs });
  assert.equal(reversed.finish?.payment.status, 'reversed');
  assert.equal(reversed.finish?.payment.decline?.code, reversed.finish?.diagnosis.code);
});

test('an approval next to an unresolved attempt: the unresolved one is still reversed and the payment is finished approved', () => {
  const plan = planPendingRecovery({ payment: salePayment(), attempts: [saleAttempt(1, { outcome: 'unknown' }), saleAttempt(2, { outcome: 'approved', responseCode: '00' })], reversalStateOf: none, nowMs });
  assert.deepEqual(plan.reverse.map((a) => a.id), ['att_1']);
  assert.equal(plan.finish?.payment.status, 'approved');
});
