// The reversal queue's one decision: after a try, what is the row's next state? Pure, so the
// backoff schedule and the dead-letter bound are table-tested without a clock or a socket.
import type { ReversalRecord } from '../ports/store.ts';

export interface ReversalRetryPolicy {
  /** Tries (the 0400 plus 0401 repeats) before the reversal is dead-lettered for manual handling. */
  triesMax: number;
  /** Wait before the second try; doubles after each further failure. */
  backoffMs: number;
  backoffMsMax: number;
}

/** What one try produced: the host confirmed the reversal (00 or 25), or anything else happened. */
export type ReversalTryOutcome = { kind: 'completed'; responseCode: string } | { kind: 'failed'; lastError: string };

/** The delay before try `triesDone + 1`: backoffMs * 2^(triesDone-1), capped at backoffMsMax. */
export function reversalBackoffMs(triesDone: number, policy: ReversalRetryPolicy): number {
  if (triesDone < 1) return 0;
  // Cap the exponent so the power never overflows to Infinity on long-lived rows.
  const exponent = Math.min(triesDone - 1, 40);
  return Math.min(policy.backoffMs * 2 ** exponent, policy.backoffMsMax);
}

/** The reversal after one more try: done, dead at triesMax, or pending with its next due time. */
export function nextReversalTry(
  reversal: ReversalRecord,
  outcome: ReversalTryOutcome,
  policy: ReversalRetryPolicy,
  nowMs: number,
): ReversalRecord {
  if (reversal.state !== 'pending') throw new Error(`broken invariant: a ${reversal.state} reversal was tried again`);
  if (!(Number.isInteger(policy.triesMax) && policy.triesMax >= 1)) throw new Error('broken invariant: triesMax must be at least 1');
  const tries = reversal.tries + 1;
  switch (outcome.kind) {
    case 'completed':
      return { ...reversal, tries, state: 'done', lastError: null, completedAtMs: nowMs };
    case 'failed':
      if (tries >= policy.triesMax) return { ...reversal, tries, state: 'dead', lastError: outcome.lastError, completedAtMs: nowMs };
      return { ...reversal, tries, nextAtMs: nowMs + reversalBackoffMs(tries, policy), lastError: outcome.lastError };
  }
}
