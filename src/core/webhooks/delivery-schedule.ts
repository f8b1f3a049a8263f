// When an outbox delivery (a webhook, a chat message, a mail) is tried again after a failure: an
// exponential backoff that starts within a minute and stops trying after a bound (3 days for
// webhooks), after which the delivery is `dead` and waits for an operator's replay. Pure: the time and
// the jitter are inputs, so the schedule is a table test.

export interface DeliverySchedule {
  /** Wait before the first retry; the issue asks for the first retry within a minute. */
  readonly firstRetryMs: number;
  /** Each retry waits this many times longer than the one before. */
  readonly factor: number;
  /** No single wait is longer than this. */
  readonly retryMsMax: number;
  /** No try is started later than this after the delivery was created; then it is dead. */
  readonly giveUpAfterMs: number;
}

export const webhookDeliverySchedule: DeliverySchedule = Object.freeze({
  firstRetryMs: 30_000,
  factor: 2,
  retryMsMax: 6 * 3_600_000,
  giveUpAfterMs: 3 * 86_400_000,
});

/** The wait before retry `retry` (1 = the first retry), without jitter. */
export function retryDelayMs(schedule: DeliverySchedule, retry: number): number {
  if (!Number.isSafeInteger(retry) || retry < 1) throw new Error(`retry numbers start at 1, not ${retry}`);
  // Capped before the power overflows: factor^60 is far past any retryMsMax.
  const exponent = Math.min(retry - 1, 60);
  return Math.min(schedule.retryMsMax, Math.round(schedule.firstRetryMs * schedule.factor ** exponent));
}

export type NextTry = { readonly kind: 'retry'; readonly atMs: number } | { readonly kind: 'give_up' };

/**
 * After failed try number `triesSoFar` (1 = the first send failed): when to try again, or give up.
 * `jitterFraction` in [0, 1) spreads retries of many deliveries over up to +10 % of the wait, so a
 * receiver coming back is not hit by every queued delivery in the same second.
 */
export function nextTryAfterFailure(schedule: DeliverySchedule, input: { createdAtMs: number; failedAtMs: number; triesSoFar: number; jitterFraction: number }): NextTry {
  const jitter = Math.min(Math.max(input.jitterFraction, 0), 0.999);
  const waitMs = retryDelayMs(schedule, input.triesSoFar);
  const atMs = input.failedAtMs + waitMs + Math.floor(waitMs * 0.1 * jitter);
  if (atMs > input.createdAtMs + schedule.giveUpAfterMs) {
    // One last try exactly at the bound, unless the bound has passed already.
    const lastAtMs = input.createdAtMs + schedule.giveUpAfterMs;
    return lastAtMs > input.failedAtMs ? { kind: 'retry', atMs: lastAtMs } : { kind: 'give_up' };
  }
  return { kind: 'retry', atMs };
}
