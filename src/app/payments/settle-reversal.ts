// Use case: a settled reversal. The reversal worker settles the reversal of a sale's attempt and, in the
// same transaction, the payment follows (paymentAfterReversalSettled): reversed, its fee removed, or
// flagged for manual handling when the reversal died within its budget. After the commit a sale waiting
// to retry is woken.
import { paymentAfterReversalSettled } from '../../core/payments/settled-reversal.ts';
import type { StoreTx } from '../../core/ports/store.ts';
import { closeManualHandlingOnConfirmedReversal } from '../manual-handling/close-on-confirmed-reversal.ts';
import type { ReversalSettlement } from '../reversals/reversal-worker.ts';
import { updatePaymentChecked } from './durable-write.ts';
import type { SaleDeps } from './sale-deps.ts';

/** For the reversal worker: updates the payment in the same transaction that settles its reversal. */
export async function settleReversalInTx(deps: SaleDeps, tx: StoreTx, settled: ReversalSettlement): Promise<void> {
  const { clock, logger } = deps;
  const nowMs = clock.nowMs();
  const payment = await tx.getPayment(settled.payment.id);
  if (payment === null) return;
  if (settled.result === 'dead') {
    // The flag takes the payment off recovery's work list and onto the operators' (listManualHandlingPayments); set once.
    if ((payment.manualHandlingSinceMs ?? null) === null) await updatePaymentChecked(tx, payment, { ...payment, manualHandlingSinceMs: nowMs, updatedAtMs: nowMs });
    await tx.appendEvent({
      type: 'payment.manual_handling',
      subjectId: payment.id,
      payload: { seq: settled.attempt.seq, channel: settled.attempt.channel, reversalId: settled.reversal.id, reason: 'reversal failed within its budget' },
      atMs: nowMs,
    });
    logger.error({ paymentId: payment.id, attemptSeq: settled.attempt.seq, channel: settled.attempt.channel }, 'reversal failed: manual handling needed');
    return;
  }
  const current = (await tx.listAttempts(payment.id)).find((attempt) => attempt.id === settled.attempt.id) ?? settled.attempt;
  if (current.outcome !== 'reversed') await tx.updateAttempt({ ...current, outcome: 'reversed', completedAtMs: current.completedAtMs ?? nowMs });
  const attempts = await tx.listAttempts(payment.id);
  const after = paymentAfterReversalSettled({ payment, attempts, isDriven: deps.active.has(payment.id), nowMs });
  await updatePaymentChecked(tx, payment, after.payment);
  if (after.removesFee && deps.fees !== undefined) await deps.fees.removeForPayment(tx, after.payment);
  await tx.appendEvent({ type: 'payment.reversed', subjectId: payment.id, payload: { seq: current.seq, channel: current.channel, status: after.payment.status, responseCode: settled.responseCode }, atMs: nowMs });
  // A flagged payment whose (retried) reversal the bank confirmed leaves the operators' list, loudly.
  if (await closeManualHandlingOnConfirmedReversal(tx, { payment: after.payment, reversal: settled.reversal, responseCode: settled.responseCode, nowMs })) {
    logger.warn({ paymentId: payment.id, reversalId: settled.reversal.id }, 'manual handling resolved: the retried reversal was confirmed');
  }
}

/** For the reversal worker, after the commit: wakes a sale waiting to retry. */
export function settleReversalAfterCommit(deps: SaleDeps, settled: ReversalSettlement): void {
  deps.settlementWaiters.notify(settled);
}
