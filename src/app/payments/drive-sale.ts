// The pipeline of one sale after its intent is durable: the pure state machine (payment-decision.ts)
// decides, the outcome unit persists the decision, then its effects are performed (an attempt sent, a
// wait for a retry time or a reversal) and their results come back as the next event. Bounded by
// stepsMax; a store failure after a send answers 98 WAIT, never a 96 "not sent".
import type { Decision, PaymentDecisionState, PaymentEvent } from '../../core/payments/payment-decision.ts';
import { decide, initialDecisionState, isUnresolved } from '../../core/payments/payment-decision.ts';
import type { EngineSettings } from '../../core/ports/payments.ts';
import { answerWaitAfterStoreFailure } from './answer-wait-after-store-failure.ts';
import { findEffect, writeOutcomeUnit } from './outcome-unit.ts';
import { runAttempt } from './run-attempt.ts';
import type { SaleContext } from './sale-context.ts';
import type { SaleDeps } from './sale-deps.ts';
import { waitForReversalOrTime } from './wait-for-reversal.ts';

const stepsMax = 64;

/** The pure first step of a sale that passed its checks: which channel to send to first. */
export function firstDecision(settings: EngineSettings, channels: readonly string[], replyByMs: number, nowMs: number): Decision {
  const state: PaymentDecisionState = initialDecisionState({
    channels,
    replyByMs,
    attemptsMax: settings.autoRetriesMax + 1 + channels.length,
    attemptMinMs: settings.attemptMinMs,
  });
  return decide(state, { type: 'checked', nowMs, decline: null });
}

/** Runs the state machine until it has nothing more to do; each transition is persisted before its effects run. */
export async function driveSale(deps: SaleDeps, context: SaleContext, first: Decision | null): Promise<void> {
  let state: PaymentDecisionState;
  let decision = first ?? firstDecision(deps.settings, context.recovery.route, context.replyByMs, deps.clock.nowMs());
  for (let step = 0; step < stepsMax; step++) {
    state = decision.state;
    const send = findEffect(decision.effects, 'send');
    const wake = findEffect(decision.effects, 'wake_at');
    let event: PaymentEvent;
    if (send !== undefined) {
      event = await runAttempt(deps, context, state, send);
    } else if (wake !== undefined) {
      event = await waitForReversalOrTime(deps, context, state, wake.atMs);
    } else {
      break;
    }
    decision = decide(state, event);
    try {
      await writeOutcomeUnit(deps, context, event, decision);
    } catch (error) {
      // A request went upstream and its outcome could not be written (the bank may have approved it), or an
      // earlier attempt's reversal is still open: either way the outcome is unknown, never a 96 "not sent".
      const sentSeq = event.type === 'replied' || event.type === 'no_reply' ? event.seq : null;
      const unresolved = [...context.attempts.values()].some((attempt) => isUnresolved(attempt.outcome));
      if (sentSeq === null && !unresolved) throw error;
      answerWaitAfterStoreFailure(deps, context, sentSeq, error);
      return;
    }
  }
  if (context.result === null) {
    // A bound was reached without an answer: answer from what is known rather than hang.
    deps.logger.error({ paymentId: context.payment.id }, 'payment decision loop hit its step bound');
    const fallback: Decision = decide({ ...decision.state, retryAfterReversalSeq: null, pendingRetry: null }, { type: 'timer', nowMs: deps.clock.nowMs() });
    await writeOutcomeUnit(deps, context, { type: 'timer', nowMs: deps.clock.nowMs() }, fallback);
  }
}
