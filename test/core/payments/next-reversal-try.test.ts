// Goal: the reversal queue's backoff doubles from backoffMs, is capped, and dead-letters exactly at
// triesMax. Method: table rows over tries and outcomes, plus a walk of one row to its dead letter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextReversalTry, reversalBackoffMs, type ReversalRetryPolicy } from '../../../src/core/payments/next-reversal-try.ts';
import type { ReversalRecord } from '../../../src/core/ports/store.ts';

const policy: ReversalRetryPolicy = { triesMax: 5, backoffMs: 1000, backoffMsMax: 5000 };
const pending: ReversalRecord = {
  id: 'rev_a',
  attemptId: 'a',
  paymentId: 'p',
  channel: 'bank-a',
  reasonCode: '98',
  stan: '000002',
  transmittedAt: '1125103031',
  state: 'pending',
  tries: 0,
  nextAtMs: 0,
  lastError: null,
  createdAtMs: 0,
  completedAtMs: null,
};

test('backoff doubles after each failed try and stops at the cap', () => {
  const rows: Array<[triesDone: number, delayMs: number]> = [
    [0, 0],
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 5000],
    [60, 5000],
  ];
  for (const [triesDone, delayMs] of rows) assert.equal(reversalBackoffMs(triesDone, policy), delayMs, `after ${triesDone} tries`);
});

test('a failed try schedules the next one; the try that reaches triesMax dead-letters', () => {
  let record = pending;
  const dueAt: number[] = [];
  for (let nowMs = 10_000, step = 0; step < policy.triesMax; step++) {
    record = nextReversalTry(record, { kind: 'failed', lastError: 'no reply: timeout' }, policy, nowMs);
    dueAt.push(record.nextAtMs - nowMs);
    nowMs = record.nextAtMs;
  }
  assert.equal(record.state, 'dead');
  assert.equal(record.tries, 5);
  assert.equal(record.lastError, 'no reply: timeout');
  assert.notEqual(record.completedAtMs, null);
  assert.deepEqual(dueAt.slice(0, 4), [1000, 2000, 4000, 5000]);
});

test('a completed try finishes the row whatever the count', () => {
  const done = nextReversalTry({ ...pending, tries: 3, lastError: 'x' }, { kind: 'completed', responseCode: '25' }, policy, 77);
  assert.equal(done.state, 'done');
  assert.equal(done.tries, 4);
  assert.equal(done.completedAtMs, 77);
  assert.equal(done.lastError, null);
});

test('trying a row that is already final is a broken invariant', () => {
  assert.throws(() => nextReversalTry({ ...pending, state: 'done' }, { kind: 'failed', lastError: 'x' }, policy, 1), /broken invariant/);
});

test('triesMax 1 dead-letters on the first failure', () => {
  const dead = nextReversalTry(pending, { kind: 'failed', lastError: 'x' }, { ...policy, triesMax: 1 }, 5);
  assert.equal(dead.state, 'dead');
});
