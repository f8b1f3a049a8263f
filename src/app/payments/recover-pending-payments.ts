// Use case: recover pending payments, at start and then periodically. Every payment still `pending`
// that this process is not driving was left by a process that is gone (or a failed write): load it, let
// the pure plan (pending-recovery.ts) decide, persist it in one unit per payment, then kick the reversal
// worker. The composition root re-runs it for payments older than twice the terminal timeout (the
// recovery sweep of compose-gateway.ts): nothing legitimate is in flight that long, so this is what
// bounds "pending" in time.
import { isUnresolved } from '../../core/payments/payment-decision.ts';
import { planPendingRecovery } from '../../core/payments/pending-recovery.ts';
import { completedPayload } from '../../core/payments/sale-answer.ts';
import { transmissionDateTime } from '../../core/payments/upstream-request.ts';
import type { ReversalState } from '../../core/ports/store.ts';
import { reversalIdFor } from '../reversals/reversal-worker.ts';
import { updatePaymentChecked, writeDurably } from './durable-write.ts';
import type { SaleDeps } from './sale-deps.ts';

/** Gets every pending payment created before `createdBeforeMs` (now by default) that this process is not driving to a final state or a queued reversal. */
export async function recoverPendingPayments(deps: SaleDeps, options: { createdBeforeMs?: number } = {}): Promise<{ payments: number; reversalsQueued: number }> {
  const { store, clock, settings, logger } = deps;
  const cutoffMs = options.createdBeforeMs ?? clock.nowMs();
  const pending = await store.listPendingPayments(cutoffMs, settings.recoveryBatchMax);
  let reversalsQueued = 0;
  let payments = 0;
  for (const stale of pending) {
    if (deps.active.has(stale.id)) continue;
    // QR payments are never reversed with a 0400: their own recovery queries and cancels them (src/app/qr-payments/).
    if (stale.method !== undefined && stale.method !== 'card') continue;
    payments += 1;
    reversalsQueued += await writeDurably(store, async (tx) => {
      const payment = await tx.getPayment(stale.id);
      if (payment === null || payment.status !== 'pending') return 0;
      const nowMs = clock.nowMs();
      const attempts = await tx.listAttempts(payment.id);
      const reversalStates = new Map<string, ReversalState>();
      for (const attempt of attempts) {
        if (!isUnresolved(attempt.outcome)) continue;
        const reversal = await tx.getReversal(reversalIdFor(attempt.id));
        if (reversal !== null) reversalStates.set(attempt.id, reversal.state);
      }
      const plan = planPendingRecovery({ payment, attempts, reversalStateOf: (attemptId) => reversalStates.get(attemptId) ?? null, nowMs });
      for (const attempt of plan.markUnknown) await tx.updateAttempt(attempt);
      for (const attempt of plan.reverse) {
        await deps.enqueueReversal(tx, { attempt, payment, reasonCode: '98', nowMs, newStan: await tx.nextStan(attempt.channel), transmittedAt: transmissionDateTime(nowMs) });
      }
      if (plan.finish !== null) {
        await updatePaymentChecked(tx, payment, plan.finish.payment);
        await tx.appendEvent({ type: 'payment.completed', subjectId: payment.id, payload: completedPayload(plan.finish.payment, plan.finish.diagnosis), atMs: nowMs });
      } else if (plan.announceUnknown) {
        await tx.appendEvent({ type: 'payment.unknown', subjectId: payment.id, payload: { by: 'recovery' }, atMs: nowMs });
      } else if (plan.flagManualHandling) {
        // Dead-lettered before the flag existed (a database older than migration 0004): flag it now, once.
        await updatePaymentChecked(tx, payment, { ...payment, manualHandlingSinceMs: nowMs, updatedAtMs: nowMs });
      }
      return plan.reverse.length;
    });
  }
  if (reversalsQueued > 0) deps.reversalWorker.kick();
  if (pending.length >= settings.recoveryBatchMax) logger.warn({ batch: pending.length }, 'recovery batch full; the rest is handled on the next pass');
  logger.info({ payments, reversalsQueued }, 'recovery after restart done');
  return { payments, reversalsQueued };
}
