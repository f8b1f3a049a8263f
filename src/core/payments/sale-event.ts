// A classified channel answer as the event the sale's state machine (payment-decision.ts) takes, with
// the recovery policy's answer to "may the sale try again, and where?" (decide-recovery.ts) computed
// here, once: after a decline or a "not sent" at once, after an unknown outcome for the moment its
// reversal is confirmed (asked again then, with the channels healthy at that moment).
import type { RetryDecision } from '../declines/index.ts';
import { classifyOutcome } from '../declines/index.ts';
import type { ReplyClass } from './classify-reply.ts';
import { decideRecovery, type FailedAttempt } from './decide-recovery.ts';
import type { PaymentEvent } from './payment-decision.ts';
import type { RecoveryPolicy } from './recovery-policy.ts';

/** What the recovery policy needs to know of one sale, fixed when its checks passed. */
export interface SaleRecoveryInputs {
  readonly policy: RecoveryPolicy;
  /** The sale's route, best first. */
  readonly route: readonly string[];
  readonly schemeBudgetAllowed: boolean;
  readonly replyByMs: number;
  readonly autoRetriesMax: number;
  readonly attemptMinMs: number;
  /**
   * The sale pays with a one-time code (a UnionPay QR code, docs/qr-unionpay.md): once an attempt may
   * have reached the issuer the code may be spent, so after its reversal the sale stops instead of
   * sending the code again. A decline or a "not sent" may still move to the next channel.
   */
  readonly isOneTimeCode: boolean;
}

/** The recovery policy applied to one failed attempt of a sale. */
export function decideSaleRecovery(
  sale: SaleRecoveryInputs,
  failed: FailedAttempt,
  at: { failedChannel: string; attemptsSoFar: number; nowMs: number; healthyNow: readonly string[] },
): RetryDecision {
  if (failed.kind === 'unknown_reversed' && sale.isOneTimeCode) return { action: 'stop', reason: 'a one-time code is never sent again once it may have reached the issuer' };
  return decideRecovery({
    policy: sale.policy,
    failed,
    failedChannel: at.failedChannel,
    route: sale.route,
    healthyNow: at.healthyNow,
    attemptsSoFar: at.attemptsSoFar,
    autoRetriesMax: sale.autoRetriesMax,
    schemeBudgetAllowed: sale.schemeBudgetAllowed,
    nowMs: at.nowMs,
    replyByMs: sale.replyByMs,
    attemptMinMs: sale.attemptMinMs,
  });
}

/** The event of attempt `seq` (sent on `channel`, `attemptsSoFar` attempts before it in the state) answered as `classified`. */
export function saleEventOf(sale: SaleRecoveryInputs, classified: ReplyClass, at: { seq: number; channel: string; attemptsSoFar: number; nowMs: number }): PaymentEvent {
  const { seq, nowMs } = at;
  const diagnosis = classified.diagnosis;
  switch (classified.kind) {
    case 'approved':
      return { type: 'replied', nowMs, seq, diagnosis, retry: { action: 'stop', reason: 'approved' } };
    case 'declined':
      // A channel-side decline moved no money and says nothing about the card: the policy sends it to the
      // next channel at once (src/core/payments/recovery-policy.json).
      return { type: 'replied', nowMs, seq, diagnosis, retry: retryAfter(sale, { kind: 'declined', diagnosis }, at) };
    case 'not_sent':
      return { type: 'not_sent', nowMs, seq, diagnosis, retry: retryAfter(sale, { kind: 'not_sent', diagnosis }, at) };
    case 'unknown':
      // The question is "once it is confirmed reversed, may we try again?".
      return { type: 'no_reply', nowMs, seq, diagnosis, retry: retryAfter(sale, { kind: 'unknown_reversed', diagnosis: classifyOutcome('reversed') }, at) };
  }
}

/**
 * What to do after a failed attempt. Until a reversal settles, the channels of the route are taken as they
 * were when the sale began. (A module function, not a closure: tsx names closures bound to a const with a
 * slow Object.defineProperty, on every sale.)
 */
function retryAfter(sale: SaleRecoveryInputs, failed: FailedAttempt, at: { channel: string; attemptsSoFar: number; nowMs: number }): RetryDecision {
  return decideSaleRecovery(sale, failed, { failedChannel: at.channel, attemptsSoFar: at.attemptsSoFar, nowMs: at.nowMs, healthyNow: sale.route });
}
