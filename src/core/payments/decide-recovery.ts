// The gateway's own next step after a failed attempt, by the recovery policy (recovery-policy.json):
// try again at once, after the code's wait, or not at all; and on which channel. Pure: the engine
// passes the clock, the route and the channels that are healthy now.
//
// Money safety does not depend on this function: the state machine (payment-decision.ts) starts a
// new attempt only when no earlier attempt may have moved money, whatever this returns. An unknown
// outcome reaches this function only once its reversal is confirmed (`unknown_reversed`).
import type { Diagnosis, RetryDecision } from '../declines/index.ts';
import { isChannelSideDecline } from '../routing/failover-rule.ts';
import type { RecoveryPolicy, RecoveryRetry, RecoveryRule } from './recovery-policy.ts';

export type FailedAttempt =
  | { readonly kind: 'not_sent'; readonly diagnosis: Diagnosis }
  | { readonly kind: 'declined'; readonly diagnosis: Diagnosis }
  | { readonly kind: 'unknown_reversed'; readonly diagnosis: Diagnosis };

export interface DecideRecoveryInput {
  readonly policy: RecoveryPolicy;
  readonly failed: FailedAttempt;
  readonly failedChannel: string;
  /** The sale's route, best first. */
  readonly route: readonly string[];
  /** The route's channels that are usable now, best first (open circuits left out). */
  readonly healthyNow: readonly string[];
  /** Attempts made so far, including the failed one. */
  readonly attemptsSoFar: number;
  readonly autoRetriesMax: number;
  /** The card's scheme retry budget (checked once per sale). */
  readonly schemeBudgetAllowed: boolean;
  readonly nowMs: number;
  /** The instant the client must have its answer by (deadline minus the reply margin). */
  readonly replyByMs: number;
  readonly attemptMinMs: number;
}

/** Which row of the policy applies to a failed attempt. */
export function recoveryRuleFor(policy: RecoveryPolicy, failed: FailedAttempt): RecoveryRule {
  switch (failed.kind) {
    case 'not_sent':
      return policy.outcomes.not_sent;
    case 'unknown_reversed':
      return policy.outcomes.unknown_reversed;
    case 'declined':
      return policy.codes[failed.diagnosis.code] ?? (isChannelSideDecline(failed.diagnosis) ? policy.outcomes.declined_channel_side : policy.outcomes.declined_card_side);
  }
}

/** Decides whether, when and where the gateway retries a failed attempt of the same payment. */
export function decideRecovery(input: DecideRecoveryInput): RetryDecision {
  const { failed } = input;
  const diagnosis = failed.diagnosis;
  if (failed.kind === 'declined') {
    // A card the issuer refused for good, or one someone must fix first, is never retried by the gateway.
    if (diagnosis.verdict === 'never' || diagnosis.verdict === 'fix' || diagnosis.verdict === 'wait' || diagnosis.verdict === 'none') return { action: 'stop', reason: 'not_retryable' };
    if (input.policy.codes[diagnosis.code] === undefined && !diagnosis.automaticRetry) return { action: 'stop', reason: 'not_retryable' };
  }
  const rule = recoveryRuleFor(input.policy, failed);
  const channel = chooseChannel(rule, input);
  const retry: RecoveryRetry = channel === input.failedChannel ? rule.alone : rule.retry;
  if (retry === 'never') return { action: 'stop', reason: 'policy' };
  if (input.attemptsSoFar - 1 >= input.autoRetriesMax) return { action: 'stop', reason: 'retries_exhausted' };
  if (!input.schemeBudgetAllowed) return { action: 'stop', reason: 'scheme_budget' };
  const waitMs = retry === 'at_once' ? 0 : Math.max(0, (diagnosis.waitSeconds ?? 0) * 1000);
  // The retry must leave a useful attempt's time before the reply deadline, itself a margin before the terminal's.
  if (input.replyByMs - (input.nowMs + waitMs) < input.attemptMinMs) return { action: 'stop', reason: 'time_budget' };
  return waitMs === 0 ? { action: 'retry_now', channel } : { action: 'retry_after', waitMs, channel };
}

function chooseChannel(rule: RecoveryRule, input: DecideRecoveryInput): string {
  switch (rule.channel) {
    case 'same':
      return input.failedChannel;
    case 'next':
      return nextInRoute(input.route, input.failedChannel);
    case 'next_healthy':
      // Another channel that is usable now; else the same one (it just proved it answers reversals).
      return input.healthyNow.find((name) => name !== input.failedChannel) ?? input.failedChannel;
  }
}

/** The channel after `failed` in the route (wrapping), or `failed` itself in a route of one. */
function nextInRoute(route: readonly string[], failed: string): string {
  const index = route.indexOf(failed);
  if (index < 0) return route[0] ?? failed;
  return route[(index + 1) % route.length] ?? failed;
}
