// Goal: the payment state machine keeps the money-safety rules (one approval, no attempt while an earlier
// one is unresolved, one answer before the deadline). Method: decision-table rows plus a fast-check property
// over random event sequences that checks "never two approved unreversed attempts" after every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decide,
  derivePaymentStatus,
  initialDecisionState,
  mayStartAttempt,
  type PaymentDecisionState,
  type PaymentEvent,
} from '../../../src/core/payments/payment-decision.ts';
import type { Diagnosis } from '../../../src/core/declines/index.ts';
import type { RetryDecision } from '../../../src/core/declines/index.ts';

function diag(code: string, outcome: Diagnosis['outcome']): Diagnosis {
  return {
    code,
    meaning: code,
    outcome,
    category: outcome === 'approved' ? 'approved' : 'other',
    party: 'issuer',
    verdict: outcome === 'approved' ? 'none' : outcome === 'unknown' ? 'wait' : 'later',
    waitSeconds: null,
    automaticRetry: false,
    advice: { cashier: { zh: '', en: '' }, customer: { zh: '', en: '' } },
  };
}

const approved = diag('00', 'approved');
const insufficient = diag('51', 'declined');
const unavailable = diag('91', 'declined');
const notSent = diag('96', 'not_sent');
const noReply = diag('98', 'unknown');
const reversedDiag = diag('98', 'reversed');
const stop: RetryDecision = { action: 'stop', reason: 'final' };
const now: RetryDecision = { action: 'retry_now' };

function fresh(overrides: Partial<PaymentDecisionState> = {}): PaymentDecisionState {
  return { ...initialDecisionState({ channels: ['a', 'b'], replyByMs: 60_000, attemptsMax: 4, attemptMinMs: 1_000 }), ...overrides };
}

function run(events: PaymentEvent[], state = fresh()) {
  const effects = [];
  for (const event of events) {
    const decision = decide(state, event);
    state = decision.state;
    effects.push(...decision.effects);
  }
  return { state, effects };
}

test('table: each path ends with the right attempts, answer and effects', () => {
  const rows: Array<{ name: string; events: PaymentEvent[]; outcomes: string[]; answer: string | null; sends: string[]; reversals: number }> = [
    { name: 'local decline: no attempt, declined', events: [{ type: 'checked', nowMs: 0, decline: diag('14', 'declined') }], outcomes: [], answer: 'declined:14', sends: [], reversals: 0 },
    {
      name: 'approved at once',
      events: [{ type: 'checked', nowMs: 0, decline: null }, { type: 'replied', nowMs: 10, seq: 1, diagnosis: approved, retry: stop }],
      outcomes: ['approved'], answer: 'approved', sends: ['a'], reversals: 0,
    },
    {
      name: 'final decline stops',
      events: [{ type: 'checked', nowMs: 0, decline: null }, { type: 'replied', nowMs: 10, seq: 1, diagnosis: insufficient, retry: stop }],
      outcomes: ['declined'], answer: 'declined:51', sends: ['a'], reversals: 0,
    },
    {
      name: 'not sent fails over to the next channel at once',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'not_sent', nowMs: 5, seq: 1, diagnosis: notSent, retry: now },
        { type: 'replied', nowMs: 20, seq: 2, diagnosis: approved, retry: stop },
      ],
      outcomes: ['not_sent', 'approved'], answer: 'approved', sends: ['a', 'b'], reversals: 0,
    },
    {
      name: 'retryable decline waits then retries on the same channel',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'replied', nowMs: 10, seq: 1, diagnosis: unavailable, retry: { action: 'retry_after', waitMs: 2_000 } },
        { type: 'timer', nowMs: 1_000 },
        { type: 'timer', nowMs: 2_010 },
        { type: 'replied', nowMs: 2_100, seq: 2, diagnosis: approved, retry: stop },
      ],
      outcomes: ['declined', 'approved'], answer: 'approved', sends: ['a', 'a'], reversals: 0,
    },
    {
      name: 'retry wait that does not fit the deadline stops with the decline',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'replied', nowMs: 10, seq: 1, diagnosis: unavailable, retry: { action: 'retry_after', waitMs: 59_500 } },
      ],
      outcomes: ['declined'], answer: 'declined:91', sends: ['a'], reversals: 0,
    },
    {
      name: 'no reply, reversal not confirmed by the deadline: WAIT answered at the deadline',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'no_reply', nowMs: 30_000, seq: 1, diagnosis: noReply, retry: stop },
        { type: 'timer', nowMs: 45_000 },
        { type: 'timer', nowMs: 60_000 },
      ],
      outcomes: ['unknown'], answer: 'wait:98', sends: ['a'], reversals: 1,
    },
    {
      name: 'no reply, reversal confirmed in time, no retry allowed: answered reversed (not charged)',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'no_reply', nowMs: 30_000, seq: 1, diagnosis: noReply, retry: stop },
        { type: 'reversal_settled', nowMs: 31_000, seq: 1, result: 'reversed', diagnosis: reversedDiag },
      ],
      outcomes: ['reversed'], answer: 'declined:98', sends: ['a'], reversals: 1,
    },
    {
      name: 'no reply at the deadline itself: WAIT at once',
      events: [{ type: 'checked', nowMs: 0, decline: null }, { type: 'no_reply', nowMs: 60_000, seq: 1, diagnosis: noReply, retry: now }],
      outcomes: ['unknown'], answer: 'wait:98', sends: ['a'], reversals: 1,
    },
    {
      name: 'no reply with retry: waits for the reversal, then retries on the next channel (the reversal proves no money moved)',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'no_reply', nowMs: 10_000, seq: 1, diagnosis: noReply, retry: now },
        { type: 'reversal_settled', nowMs: 12_000, seq: 1, result: 'reversed', diagnosis: reversedDiag },
        { type: 'replied', nowMs: 12_100, seq: 2, diagnosis: approved, retry: stop },
      ],
      outcomes: ['reversed', 'approved'], answer: 'approved', sends: ['a', 'b'], reversals: 1,
    },
    {
      name: 'channel-side decline (issuer unavailable) with a retry: fails over to the next channel',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'replied', nowMs: 10, seq: 1, diagnosis: { ...unavailable, category: 'issuer_unavailable' }, retry: now },
        { type: 'replied', nowMs: 20, seq: 2, diagnosis: approved, retry: stop },
      ],
      outcomes: ['declined', 'approved'], answer: 'approved', sends: ['a', 'b'], reversals: 0,
    },
    {
      name: 'card-side decline with a retry (re-enter): never fails over, same channel',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'replied', nowMs: 10, seq: 1, diagnosis: { ...diag('19', 'declined'), category: 'card_data', party: 'cardholder' }, retry: now },
        { type: 'replied', nowMs: 20, seq: 2, diagnosis: approved, retry: stop },
      ],
      outcomes: ['declined', 'approved'], answer: 'approved', sends: ['a', 'a'], reversals: 0,
    },
    {
      name: 'no reply with retry but the reversal is late: WAIT at the deadline, no new attempt after',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'no_reply', nowMs: 10_000, seq: 1, diagnosis: noReply, retry: now },
        { type: 'timer', nowMs: 60_000 },
        { type: 'reversal_settled', nowMs: 70_000, seq: 1, result: 'reversed', diagnosis: reversedDiag },
      ],
      outcomes: ['reversed'], answer: 'wait:98', sends: ['a'], reversals: 1,
    },
    {
      name: 'no reply, reversal confirmed, the policy picks the channel healthy at settle time: the new attempt goes there',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'no_reply', nowMs: 10_000, seq: 1, diagnosis: noReply, retry: now },
        { type: 'reversal_settled', nowMs: 12_000, seq: 1, result: 'reversed', diagnosis: reversedDiag, retry: { action: 'retry_now', channel: 'a' } },
        { type: 'replied', nowMs: 12_100, seq: 2, diagnosis: approved, retry: stop },
      ],
      outcomes: ['reversed', 'approved'], answer: 'approved', sends: ['a', 'a'], reversals: 1,
    },
    {
      name: 'no reply, reversal confirmed, the policy says stop at settle time: answered reversed, no new attempt',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'no_reply', nowMs: 10_000, seq: 1, diagnosis: noReply, retry: now },
        { type: 'reversal_settled', nowMs: 59_500, seq: 1, result: 'reversed', diagnosis: reversedDiag, retry: { action: 'stop', reason: 'time_budget' } },
      ],
      outcomes: ['reversed'], answer: 'declined:98', sends: ['a'], reversals: 1,
    },
    {
      name: 'dead reversal: attempt stays unknown, WAIT',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'no_reply', nowMs: 10_000, seq: 1, diagnosis: noReply, retry: now },
        { type: 'reversal_settled', nowMs: 20_000, seq: 1, result: 'dead', diagnosis: noReply },
      ],
      outcomes: ['unknown'], answer: 'wait:98', sends: ['a'], reversals: 1,
    },
    {
      name: 'a duplicate result for a finished attempt changes nothing',
      events: [
        { type: 'checked', nowMs: 0, decline: null },
        { type: 'replied', nowMs: 10, seq: 1, diagnosis: insufficient, retry: stop },
        { type: 'replied', nowMs: 11, seq: 1, diagnosis: approved, retry: stop },
      ],
      outcomes: ['declined'], answer: 'declined:51', sends: ['a'], reversals: 0,
    },
  ];
  for (const row of rows) {
    const { state, effects } = run(row.events);
    assert.deepEqual(state.attempts.map((a) => a.outcome), row.outcomes, row.name);
    const answers = effects.filter((e) => e.kind === 'reply');
    assert.ok(answers.length <= 1, `${row.name}: one answer at most`);
    const answer = state.answer === null ? null : state.answer.kind === 'approved' ? 'approved' : `${state.answer.kind}:${state.answer.diagnosis.code}`;
    assert.equal(answer, row.answer, row.name);
    assert.deepEqual(effects.flatMap((e) => (e.kind === 'send' ? [e.channel] : [])), row.sends, row.name);
    assert.equal(effects.filter((e) => e.kind === 'enqueue_reversal').length, row.reversals, row.name);
  }
});

test('status is derived from attempts', () => {
  assert.equal(derivePaymentStatus([]), 'declined');
  assert.equal(derivePaymentStatus([{ outcome: 'not_sent' }, { outcome: 'approved' }]), 'approved');
  assert.equal(derivePaymentStatus([{ outcome: 'unknown' }]), 'pending');
  assert.equal(derivePaymentStatus([{ outcome: 'pending' }]), 'pending');
  assert.equal(derivePaymentStatus([{ outcome: 'reversed' }]), 'reversed');
  assert.equal(derivePaymentStatus([{ outcome: 'reversed' }, { outcome: 'declined' }]), 'declined');
});

test('no attempt may start while an earlier one is unknown', () => {
  const state = fresh({ attempts: [{ seq: 1, channel: 'a', outcome: 'unknown' }] });
  assert.equal(mayStartAttempt(state), false);
  const decision = decide(fresh({ attempts: [{ seq: 1, channel: 'a', outcome: 'unknown' }], lastDiagnosis: noReply, pendingRetry: { atMs: 0, channel: 'a' } }), { type: 'timer', nowMs: 1 });
  assert.equal(decision.effects.filter((e) => e.kind === 'send').length, 0);
  assert.equal(decision.state.attempts.length, 1);
});

const retryArb: fc.Arbitrary<RetryDecision> = fc.oneof(
  fc.constant<RetryDecision>({ action: 'retry_now' }),
  fc.integer({ min: 0, max: 20_000 }).map<RetryDecision>((waitMs) => ({ action: 'retry_after', waitMs })),
  fc.constant<RetryDecision>({ action: 'stop', reason: 'x' }),
);
const diagnosisArb = fc.constantFrom(approved, insufficient, unavailable);
const stepArb = fc.record({
  kind: fc.constantFrom('replied', 'not_sent', 'no_reply', 'settle_reversed', 'settle_dead', 'timer', 'late'),
  diagnosis: diagnosisArb,
  retry: retryArb,
  seqPick: fc.nat(5),
  advanceMs: fc.integer({ min: 0, max: 15_000 }),
});

test('property: never two approved unreversed attempts, never an attempt beside an unresolved one, at most one answer', () => {
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
      let state = fresh({ attemptsMax: 6 });
      let nowMs = 0;
      let answers = 0;
      let decision = decide(state, { type: 'checked', nowMs, decline: null });
      state = decision.state;
      for (const step of steps) {
        nowMs += step.advanceMs;
        const seq = (step.seqPick % Math.max(1, state.attempts.length)) + 1;
        const pending = state.attempts.find((a) => a.outcome === 'pending')?.seq ?? seq;
        let event: PaymentEvent;
        switch (step.kind) {
          case 'replied':
            event = { type: 'replied', nowMs, seq: pending, diagnosis: step.diagnosis, retry: step.retry };
            break;
          case 'not_sent':
            event = { type: 'not_sent', nowMs, seq: pending, diagnosis: notSent, retry: step.retry };
            break;
          case 'no_reply':
          case 'late':
            event = { type: 'no_reply', nowMs, seq: pending, diagnosis: noReply, retry: step.retry };
            break;
          case 'settle_reversed':
          case 'settle_dead':
            event = { type: 'reversal_settled', nowMs, seq, result: step.kind === 'settle_dead' ? 'dead' : 'reversed', diagnosis: reversedDiag };
            break;
          default:
            event = { type: 'timer', nowMs };
        }
        decision = decide(state, event);
        state = decision.state;
        answers += decision.effects.filter((e) => e.kind === 'reply').length;
        const approvedCount = state.attempts.filter((a) => a.outcome === 'approved').length;
        assert.ok(approvedCount <= 1, 'at most one approved attempt');
        const unresolved = state.attempts.filter((a) => a.outcome === 'pending' || a.outcome === 'unknown').length;
        assert.ok(unresolved <= 1, 'never two attempts unresolved at once');
        if (decision.effects.some((e) => e.kind === 'send')) {
          const earlier = state.attempts.slice(0, -1);
          assert.ok(earlier.every((a) => a.outcome !== 'approved' && a.outcome !== 'pending' && a.outcome !== 'unknown'), 'send only after earlier attempts resolved');
          assert.equal(state.answer, null, 'no send after the answer');
        }
        assert.ok(answers <= 1, 'one answer at most');
        if (state.answer?.kind === 'approved') assert.equal(approvedCount, 1, 'told approved means one approved attempt');
      }
    }),
    { numRuns: 500 },
  );
});
