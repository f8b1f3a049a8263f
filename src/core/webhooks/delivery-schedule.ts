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

/** How long the first `retries` retries wait in all, without jitter. */
export function cumulativeRetryMs(schedule: DeliverySchedule, retries: number): number {
  let total = 0;
  for (let retry = 1; retry <= retries && total < schedule.giveUpAfterMs; retry += 1) total += retryDelayMs(schedule, retry);
  return total;
}

/**
 * After failed try number `triesSoFar` of the current budget (1 = the first send failed): when to try
 * again, or give up. The budget is counted in tries, not from the creation time, so an operator's
 * replay (tries back to 0) gets the whole schedule again. The last retry lands exactly on the bound.
 * `jitterFraction` in [0, 1) adds up to 10 % of the wait, so a receiver coming back is not hit by
 * every queued delivery in the same second.
 */
export function nextTryAfterFailure(schedule: DeliverySchedule, input: { failedAtMs: number; triesSoFar: number; jitterFraction: number }): NextTry {
  const waitedMs = cumulativeRetryMs(schedule, input.triesSoFar - 1);
  if (waitedMs >= schedule.giveUpAfterMs) return { kind: 'give_up' };
  const waitMs = Math.min(retryDelayMs(schedule, input.triesSoFar), schedule.giveUpAfterMs - waitedMs);
  const jitter = Math.min(Math.max(input.jitterFraction, 0), 0.999);
  return { kind: 'retry', atMs: input.failedAtMs + waitMs + Math.floor(waitMs * 0.1 * jitter) };
}
