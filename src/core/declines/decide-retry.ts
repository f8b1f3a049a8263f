// Whether the gateway itself retries an attempt (on the same or another channel). Never for an
// unknown outcome (the reversal must be confirmed first), never for never/fix/unknown codes, only
// within the attempt count, the scheme budget and the time budget of the payment.
import { assertNever } from '../vocabulary.ts';
import type { DecideRetryInput, RetryDecision } from './retry-types.ts';

/** Decides the gateway's own next step after a failed attempt. */
export function decideRetry(input: DecideRetryInput): RetryDecision {
  const d = input.diagnosis;
  switch (d.outcome) {
    case 'approved':
      return { action: 'stop', reason: 'approved' };
    case 'unknown':
      return { action: 'stop', reason: 'reverse_first' };
    case 'declined':
    case 'not_sent':
    case 'reversed':
      break;
    default:
      return assertNever(d.outcome, 'attempt outcome');
  }
  let waitMs: number;
  switch (d.verdict) {
    case 'none':
      return { action: 'stop', reason: 'approved' };
    case 'wait':
      return { action: 'stop', reason: 'reverse_first' };
    case 'fix':
    case 'never':
      return { action: 'stop', reason: 'not_retryable' };
    case 'now':
      waitMs = 0;
      break;
    case 'later':
      // Nothing left reswipe: another try can go at once (on another channel if the engine has one).
      waitMs = d.outcome === 'not_sent' ? 0 : (d.waitSeconds ?? 0) * 1000;
      break;
    default:
      return assertNever(d.verdict, 'retry verdict');
  }
  if (!d.automaticRetry) return { action: 'stop', reason: 'not_retryable' };
  if (input.attemptsSoFar - 1 >= input.autoRetriesMax) return { action: 'stop', reason: 'retries_exhausted' };
  if (!input.budget.allowed) return { action: 'stop', reason: 'scheme_budget' };
  if (input.elapsedMs + waitMs >= input.budgetMs) return { action: 'stop', reason: 'time_budget' };
  return waitMs === 0 ? { action: 'retry_now' } : { action: 'retry_after', waitMs };
}
