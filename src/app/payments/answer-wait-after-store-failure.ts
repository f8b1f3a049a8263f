// The outcome of a sent attempt could not be written. Money may have moved (an approval included), so
// the outcome is unknown: the client gets 98 WAIT now, and the attempt's reversal is held in memory and
// written (then sent and retried by the reversal worker) as soon as the store takes writes again
// (held-reversals.ts).
import { classifyOutcome } from '../../core/declines/index.ts';
import { toPaymentView } from '../../core/payments/payment-view.ts';
import { toStoredDecline } from '../../core/payments/stored-decline.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import { errorText } from './error-text.ts';
import { heldReversalsMax } from './held-reversals.ts';
import type { SaleContext } from './sale-context.ts';
import type { SaleDeps } from './sale-deps.ts';

/** Sets the sale's result to 98 WAIT; `seq` is the attempt whose outcome was not written, null when only the answer was not. */
export function answerWaitAfterStoreFailure(deps: SaleDeps, context: SaleContext, seq: number | null, error: unknown): void {
  const { heldReversals, logger } = deps;
  heldReversals.countStoreFailureAfterSend();
  const diagnosis = classifyOutcome('no_reply');
  const payment: PaymentRecord = { ...context.payment, status: 'pending', responseCode: diagnosis.code, decline: toStoredDecline(diagnosis) };
  if (seq === null) {
    // Every sent attempt's outcome is already durable, its reversal queued: only the answer could not be written.
    logger.error({ paymentId: context.payment.id, error: errorText(error) }, 'STORE FAILED WHILE AN ATTEMPT IS UNRESOLVED: answered 98 WAIT; its reversal is queued');
    context.result = { kind: 'completed', view: toPaymentView(payment, [...context.attempts.values()]), diagnosis };
    return;
  }
  const attempt = context.attempts.get(seq);
  if (attempt === undefined) throw new Error(`broken invariant: attempt ${seq} not recorded`);
  const attempts = [...context.attempts.values()].map((candidate) => (candidate.seq === seq ? { ...candidate, outcome: 'unknown' as const } : candidate));
  const view = toPaymentView(payment, attempts);
  const { scope, key } = context.request.idempotency;
  logger.error(
    { paymentId: context.payment.id, attemptSeq: seq, channel: attempt.channel, stan: attempt.stan, outcome: attempt.outcome, error: errorText(error), reversalsHeld: heldReversals.size + 1 },
    'STORE FAILED AFTER THE REQUEST WENT UPSTREAM: outcome unknown, answered 98 WAIT, reversal held in memory until the store takes writes',
  );
  const held = heldReversals.hold({ attempt: { ...attempt, outcome: 'unknown' }, payment: context.payment, idempotency: { scope, key }, answer: view, heldAtMs: deps.clock.nowMs() });
  if (!held) logger.error({ paymentId: context.payment.id, heldReversalsMax }, 'held reversals full: this one is left to the recovery sweep (its attempt is stored pending)');
  context.result = { kind: 'completed', view, diagnosis };
}
