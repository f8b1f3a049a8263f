// Use case: recover pending payments, at start and then periodically. Every payment still `pending`
// that this process is not driving was left by a process that is gone (or a failed write): load it, let
// the pure plan (pending-recovery.ts) decide, persist it in one unit per payment, then kick the reversal
// worker. The composition root re-runs it for payments older than twice the terminal timeout (the
// recovery sweep of compose-gateway.ts): nothing legitimate is in flight that long, so this is what
// bounds "pending" in time. With several gateway nodes (docs/cluster.md) the sweep also takes the
// pending payments of nodes whose lease expired at once, whatever their age, and runs under a work
// lease: each unit checks the lease's epoch, so a node that lost it (paused) writes nothing.
import { isUnresolved } from '../../core/payments/payment-decision.ts';
import { planPendingRecovery } from '../../core/payments/pending-recovery.ts';
import { completedPayload } from '../../core/payments/sale-answer.ts';
import { isQrProviderMethod } from '../../core/qr/auth-code.ts';
import { transmissionDateTime } from '../../core/payments/upstream-request.ts';
import type { HeldLease } from '../../core/ports/cluster-store.ts';
import type { ReversalState } from '../../core/ports/store.ts';
import { reversalIdFor } from '../reversals/reversal-worker.ts';
import { updatePaymentChecked, writeDurably } from './durable-write.ts';
import type { SaleDeps } from './sale-deps.ts';

/** A dead node's pending payments taken per pass at most (the list's bound in the store); the rest on the next pass. */
const deadNodePaymentsPerPassMax = 1000;

export interface RecoveryOptions {
  /** Only payments created before this (now by default); a dead node's payments are taken at any age. */
  createdBeforeMs?: number;
  /** The work lease the sweep runs under: every unit checks it (fencing). */
  lease?: HeldLease;
}

/** Gets every pending payment created before `createdBeforeMs` (now by default) that this process is not driving to a final state or a queued reversal. */
export async function recoverPendingPayments(deps: SaleDeps, options: RecoveryOptions = {}): Promise<{ payments: number; reversalsQueued: number }> {
  const { store, clock, settings, logger, cluster } = deps;
  const cutoffMs = options.createdBeforeMs ?? clock.nowMs();
  const pending = await store.listPendingPayments(cutoffMs, settings.recoveryBatchMax);
  const ofDeadNodes = await store.listPendingPaymentsOfDeadNodes(clock.nowMs(), cluster.nodeId, Math.min(settings.recoveryBatchMax, deadNodePaymentsPerPassMax));
  const ids = [...new Set([...pending.map((payment) => payment.id), ...ofDeadNodes])];
  let reversalsQueued = 0;
  let payments = 0;
  for (const id of ids) {
    if (deps.active.has(id)) continue;
    // WeChat Pay and Alipay payments are never reversed with a 0400: their own recovery queries and
    // cancels them (src/app/qr-payments/). A UnionPay QR sale rode the host link and is recovered here.
    const listed = pending.find((payment) => payment.id === id);
    if (listed !== undefined && isQrProviderMethod(listed.method)) continue;
    payments += 1;
    reversalsQueued += await recoverOnePayment(deps, id, { lease: options.lease });
  }
  if (reversalsQueued > 0) deps.reversalWorker.kick();
  if (pending.length >= settings.recoveryBatchMax) logger.warn({ batch: pending.length }, 'recovery batch full; the rest is handled on the next pass');
  logger.info({ payments, reversalsQueued, ofDeadNodes: ofDeadNodes.length }, 'recovery after restart done');
  return { payments, reversalsQueued };
}

/**
 * A pending payment another node owns, whose owner's lease expired: taken over now (a terminal or client
 * waits for its answer) instead of after the recovery sweep's age limit. True when this node took it
 * (its unknown attempts are then queued for reversal, or it is finished, like any recovered payment).
 */
export async function takeOverIfOwnerDead(deps: SaleDeps, paymentId: string): Promise<boolean> {
  const { store, cluster, logger } = deps;
  if (deps.active.has(paymentId)) return false;
  const owner = await store.ownerNodeOfPayment(paymentId);
  if (owner === null || owner === cluster.nodeId) return false;
  if (await cluster.isNodeAlive(owner)) return false;
  let took = false;
  const queued = await recoverOnePayment(deps, paymentId, {
    takeOverFrom: owner,
    onTaken: () => {
      took = true;
    },
  });
  if (!took) return false;
  if (queued > 0) deps.reversalWorker.kick();
  logger.warn({ paymentId, deadNode: owner, reversalsQueued: queued }, 'took over a pending payment of a dead node');
  return true;
}

/** One pending payment recovered in one unit: unknown attempts marked and queued for reversal, or the payment finished. Returns the reversals queued. */
async function recoverOnePayment(deps: SaleDeps, paymentId: string, options: { lease?: HeldLease; takeOverFrom?: string; onTaken?: () => void }): Promise<number> {
  const { store, clock, cluster } = deps;
  return writeDurably(store, async (tx) => {
    if (options.lease !== undefined) await tx.assertWorkLease(options.lease, clock.nowMs());
    const payment = await tx.getPayment(paymentId);
    if (payment === null || payment.status !== 'pending') return 0;
    // A WeChat Pay or Alipay payment of a dead node is left to the QR recovery (query, then cancel), never a 0400.
    if (isQrProviderMethod(payment.method)) return 0;
    // The conditional move of the owner is the claim: of two nodes taking one dead node's sale over, one wins.
    const owner = options.takeOverFrom ?? (await tx.ownerNodeOfPayment(paymentId));
    if (owner !== null && owner !== cluster.nodeId && !(await tx.takeOverPayment(paymentId, owner, cluster.nodeId))) return 0;
    options.onTaken?.();
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
