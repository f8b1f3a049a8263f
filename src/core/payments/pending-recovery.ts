// What recovery does with one payment left `pending` by a process that is gone (a restart, a crashed
// peer node, a failed write): every attempt that may have moved money is marked unknown and gets its
// reversal, unless one already exists (the reversal worker drives it); a payment whose attempts are
// all final is finished with what they say. Nothing stays pending forever.
import type { Diagnosis } from '../declines/index.ts';
import { approvedDiagnosis } from '../declines/index.ts';
import type { AttemptRecord, PaymentRecord, ReversalState } from '../ports/store.ts';
import { derivePaymentStatus, isUnresolved } from './payment-decision.ts';
import { lastDiagnosisOf, withAnswerFields } from './sale-answer.ts';

export interface PendingRecoveryPlan {
  /** Attempts stored `pending`, now `unknown` (sent or not, nobody can tell any more). */
  readonly markUnknown: readonly AttemptRecord[];
  /** Unresolved attempts without a reversal, as they are to be reversed (DE 39 `98`). */
  readonly reverse: readonly AttemptRecord[];
  /** The payment finished (its attempts are all final) and the diagnosis of its answer; null while any is unresolved. */
  readonly finish: { readonly payment: PaymentRecord; readonly diagnosis: Diagnosis } | null;
  /** Announce `payment.unknown` (by recovery): reversals were queued. */
  readonly announceUnknown: boolean;
  /** Flag the payment for manual handling: its reversal is dead and the flag is not set yet (a database older than migration 0004). */
  readonly flagManualHandling: boolean;
}

/**
 * The plan for `payment` (status `pending`, not driven by this process) and its attempts, given the
 * state of each attempt's reversal (null when it has none).
 */
export function planPendingRecovery(input: {
  payment: PaymentRecord;
  attempts: readonly AttemptRecord[];
  reversalStateOf: (attemptId: string) => ReversalState | null;
  nowMs: number;
}): PendingRecoveryPlan {
  const { payment, nowMs } = input;
  const markUnknown: AttemptRecord[] = [];
  const reverse: AttemptRecord[] = [];
  let hasDeadReversal = false;
  const after = input.attempts.map((attempt) => {
    if (!isUnresolved(attempt.outcome)) return attempt;
    const unknown: AttemptRecord = { ...attempt, outcome: 'unknown', completedAtMs: attempt.completedAtMs ?? nowMs };
    if (attempt.outcome === 'pending') markUnknown.push(unknown);
    // A reversal already queued is the worker's to drive; queueing it again would only announce the payment once more.
    const reversal = input.reversalStateOf(attempt.id);
    if (reversal === 'dead') hasDeadReversal = true;
    if (reversal === null) reverse.push(unknown);
    return attempt.outcome === 'pending' ? unknown : attempt;
  });
  const status = derivePaymentStatus(after);
  if (status !== 'pending') {
    // Crashed after the last outcome but before the answer: finish with what the attempts say.
    const diagnosis = status === 'approved' ? approvedDiagnosis() : lastDiagnosisOf(after);
    return { markUnknown, reverse, finish: { payment: withAnswerFields(payment, status, diagnosis, after, nowMs), diagnosis }, announceUnknown: false, flagManualHandling: false };
  }
  return {
    markUnknown,
    reverse,
    finish: null,
    announceUnknown: reverse.length > 0,
    flagManualHandling: reverse.length === 0 && hasDeadReversal && (payment.manualHandlingSinceMs ?? null) === null,
  };
}
