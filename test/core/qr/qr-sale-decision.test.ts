// Goal: the QR sale rules never pay twice, never approve after a cancel, and stay inside the budget.
// Method: decision-table rows for each provider answer, then fast-check properties over random
// sequences of provider answers and clock steps, checking the invariants after every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decideQrNext,
  defaultQrSaleSettings,
  firstQrAction,
  fitsAnotherQuery,
  initialQrSaleProgress,
  queryDelayMs,
  recordQrAction,
  recordQrObservation,
  type QrNextAction,
  type QrObservation,
  type QrSaleProgress,
} from '../../../src/core/qr/qr-sale-decision.ts';
import { decidePendingQrRecovery, decideQrFollowUp, followUpBackoffMs } from '../../../src/core/qr/qr-follow-up-rules.ts';
import type { QrCallResult, QrCancelResult, QrTradeState } from '../../../src/core/ports/qr-channel.ts';

const settings = defaultQrSaleSettings;
const facts = { providerTradeNo: null, paidAmountMinor: null, paidAtMs: null, buyerLabel: null, fundSource: null };
const answer = (state: QrTradeState, providerCode: string | null = null): QrCallResult => ({ kind: 'answer', state, providerCode, providerMessage: null, facts, sentAtMs: 0, latencyMs: 1 });
const noAnswer: QrCallResult = { kind: 'no_answer', reason: 'timeout', detail: 't', sentAtMs: 0 };
const notSent: QrCallResult = { kind: 'not_sent', reason: 'no_connection', detail: 'refused' };
const cancelAnswer = (cancelled: boolean, callAgain: boolean): QrCancelResult => ({ kind: 'answer', cancelled, callAgain, action: null, providerCode: null, providerMessage: null, sentAtMs: 0, latencyMs: 1 });

function after(action: QrNextAction, observation: QrObservation, nowMs = 0, budgetEndMs = 60_000): QrNextAction {
  const progress = recordQrAction(initialQrSaleProgress(budgetEndMs), action);
  return decideQrNext(settings, progress, observation, nowMs);
}

test('a pay answered paid approves; failed or closed declines with the provider code', () => {
  assert.deepEqual(after(firstQrAction(), { call: 'pay', result: answer('paid') }), { kind: 'approve' });
  assert.deepEqual(after(firstQrAction(), { call: 'pay', result: answer('failed', 'NOTENOUGH') }), { kind: 'decline', providerCode: 'NOTENOUGH', state: 'failed' });
  assert.deepEqual(after(firstQrAction(), { call: 'pay', result: answer('closed', 'TRADE_CLOSED') }), { kind: 'decline', providerCode: 'TRADE_CLOSED', state: 'closed' });
});

test('paying, a system error and no answer are queried, never paid again', () => {
  assert.deepEqual(after(firstQrAction(), { call: 'pay', result: answer('paying', 'USERPAYING') }), { kind: 'query', afterMs: 2000 });
  assert.deepEqual(after(firstQrAction(), { call: 'pay', result: answer('unknown', 'SYSTEMERROR') }), { kind: 'query', afterMs: 2000 });
  assert.deepEqual(after(firstQrAction(), { call: 'pay', result: noAnswer }), { kind: 'query', afterMs: 0 });
});

test('a pay that was not sent is sent once more, then declined as not sent', () => {
  assert.deepEqual(after(firstQrAction(), { call: 'pay', result: notSent }), { kind: 'pay' });
  const twice = recordQrAction({ ...recordQrAction(initialQrSaleProgress(60_000), { kind: 'pay' }), paysNotSent: 1 }, { kind: 'pay' });
  assert.deepEqual(decideQrNext(settings, twice, { call: 'pay', result: notSent }, 0), { kind: 'decline', providerCode: null, state: 'not_sent' });
});

test('the query schedule is 2 s, 3 s, 5 s, then 5 s again', () => {
  assert.deepEqual([0, 1, 2, 3, 9].map((n) => queryDelayMs(settings, n)), [2000, 3000, 5000, 5000, 5000]);
});

test('paying near the end of the budget cancels instead of querying', () => {
  const progress: QrSaleProgress = { ...initialQrSaleProgress(30_000), paysSent: 1, queriesSent: 2 };
  // 20 s + 5 s wait + 10 s timeout + 12 s reserve > 30 s
  assert.equal(fitsAnotherQuery(settings, progress, 20_000, 5000), false);
  assert.deepEqual(decideQrNext(settings, progress, { call: 'query', result: answer('paying') }, 20_000), { kind: 'cancel', afterMs: 0 });
  assert.deepEqual(decideQrNext(settings, progress, { call: 'query', result: answer('paid') }, 20_000), { kind: 'approve' });
});

test('a confirmed cancel finishes not charged; call-again repeats within the budget; the rest is the follow-up queue', () => {
  const cancelling: QrSaleProgress = { ...initialQrSaleProgress(60_000), paysSent: 1, cancelsSent: 1, cancelling: true };
  assert.deepEqual(decideQrNext(settings, cancelling, { call: 'cancel', result: cancelAnswer(true, false) }, 0), { kind: 'cancelled' });
  assert.deepEqual(decideQrNext(settings, cancelling, { call: 'cancel', result: cancelAnswer(false, true) }, 0), { kind: 'cancel', afterMs: 1000 });
  assert.equal(decideQrNext(settings, { ...cancelling, cancelsSent: 3 }, { call: 'cancel', result: cancelAnswer(false, true) }, 0).kind, 'follow_up');
  assert.equal(decideQrNext(settings, cancelling, { call: 'cancel', result: cancelAnswer(false, false) }, 0).kind, 'follow_up');
  assert.equal(decideQrNext(settings, cancelling, { call: 'cancel', result: noAnswer as QrCancelResult }, 59_000).kind, 'follow_up');
  // A late "paid" after the cancel went out never approves.
  assert.equal(decideQrNext(settings, cancelling, { call: 'query', result: answer('paid') }, 0).kind, 'follow_up');
});

test('the follow-up queue backs off, confirms, and gives up after its tries', () => {
  const s = { triesMax: 3, backoffMs: 1000, backoffMsMax: 5000 };
  assert.deepEqual([1, 2, 3, 4, 10].map((t) => followUpBackoffMs(s, t)), [1000, 2000, 4000, 5000, 5000]);
  assert.deepEqual(decideQrFollowUp(s, 1, cancelAnswer(true, false), 0), { kind: 'done' });
  assert.deepEqual(decideQrFollowUp(s, 1, cancelAnswer(false, true), 100), { kind: 'again', nextAtMs: 1100, lastError: 'cancel not confirmed (call again)' });
  assert.equal(decideQrFollowUp(s, 3, noAnswer as QrCancelResult, 0).kind, 'dead');
});

test('recovery declines a refused trade and cancels everything else', () => {
  assert.deepEqual(decidePendingQrRecovery(answer('failed', 'AUTHCODEEXPIRE')), { kind: 'declined', providerCode: 'AUTHCODEEXPIRE' });
  for (const r of [answer('paid'), answer('paying'), answer('not_found'), noAnswer, notSent]) assert.deepEqual(decidePendingQrRecovery(r), { kind: 'cancel' });
});

const tradeStates: QrTradeState[] = ['paid', 'paying', 'failed', 'closed', 'refunded', 'not_found', 'unknown'];
const callResultArb: fc.Arbitrary<QrCallResult> = fc.oneof(
  fc.constantFrom(...tradeStates).map((state) => answer(state)),
  fc.constant(noAnswer),
  fc.constant(notSent),
);
const cancelResultArb: fc.Arbitrary<QrCancelResult> = fc.oneof(
  fc.tuple(fc.boolean(), fc.boolean()).map(([c, a]) => cancelAnswer(c, a)),
  fc.constant(noAnswer as QrCancelResult),
  fc.constant(notSent as QrCancelResult),
);

test('property: no sequence of answers leads to a second pay after one that may have arrived, to approved-and-cancelled, or past the budget', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ call: callResultArb, cancel: cancelResultArb, stepMs: fc.integer({ min: 0, max: 15_000 }) }), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 5_000, max: 120_000 }),
      (answers, budgetMs) => {
        let progress = initialQrSaleProgress(budgetMs);
        let action: QrNextAction = firstQrAction();
        let nowMs = 0;
        let mayHaveArrived = false;
        for (const step of answers) {
          if (action.kind !== 'pay' && action.kind !== 'query' && action.kind !== 'cancel') break;
          if (action.kind === 'pay') assert.equal(mayHaveArrived, false, 'a second pay after one that may have arrived');
          if (action.kind === 'pay' && progress.cancelling) assert.fail('a pay after a cancel');
          nowMs += action.kind === 'pay' ? 0 : action.afterMs;
          progress = recordQrAction(progress, action);
          const observation: QrObservation = action.kind === 'cancel' ? { call: 'cancel', result: step.cancel } : { call: action.kind, result: step.call };
          if (action.kind === 'pay' && step.call.kind !== 'not_sent') mayHaveArrived = true;
          nowMs += step.stepMs;
          action = decideQrNext(settings, progress, observation, nowMs);
          progress = recordQrObservation(progress, observation);
          if (progress.cancelling) assert.notEqual(action.kind, 'approve', 'approved after a cancel was sent');
          assert.ok(progress.queriesSent <= settings.queriesMax);
          assert.ok(progress.cancelsSent <= settings.cancelsMax);
          assert.ok(progress.paysSent <= settings.notSentPaysMax);
          if (action.kind === 'decline' && action.state === 'not_sent') assert.equal(mayHaveArrived, false, 'told not sent although a pay may have arrived');
        }
      },
    ),
    { numRuns: 2000 },
  );
});
