// Use case: reverse a double approval. Two approvals for one card, amount and terminal where the newer
// sale arrived while the earlier one was still unsettled (the guard should have answered WAIT but raced
// it: two nodes, or two sales at the same instant): the newer one is reversed, so the customer is
// charged once, and `payment.double_approval` is raised. Runs after every approval, whichever of the two
// it is: the check that runs last sees both approvals committed and reverses the newer
// (doubleApprovalToReverse). An earlier approval settled before the newer sale arrived is a separate
// purchase, and one already being reversed is no twin.
import { doubleApprovalToReverse, isReswipeTwin, mayBeDoubleApproval, reswipeCandidatesMax } from '../../core/payments/reswipe-guard.ts';
import { transmissionDateTime } from '../../core/payments/upstream-request.ts';
import type { PaymentRecord, ReswipeCandidate } from '../../core/ports/store.ts';
import { reversalIdFor } from '../reversals/reversal-worker.ts';
import { writeDurably } from './durable-write.ts';
import type { SaleServices } from './sale-deps.ts';

export async function reverseDoubleApproval(deps: SaleServices, approved: PaymentRecord): Promise<void> {
  const windowMs = deps.settings.reswipeGuardWindowMs ?? 0;
  if (windowMs <= 0) return;
  // A read outside any unit first: nearly every approval has no approved twin, or only one approved
  // long before, and then needs no write.
  const seen = await deps.store.findReswipeCandidates(approved, approved.createdAtMs - windowMs, reswipeCandidatesMax);
  // The row read here, not `approved`, carries the instant of the approval's commit.
  const mine = seen.find((candidate) => candidate.id === approved.id);
  if (!seen.some((candidate) => isOtherApproved(candidate, approved) && (mine === undefined || mayBeDoubleApproval(candidate, mine)))) return;
  const queued = await writeDurably(deps.store, async (tx) => {
    const current = await tx.getPayment(approved.id);
    if (current === null || current.status !== 'approved') return null;
    const approvedTwinOf = async (payment: Pick<PaymentRecord, 'id' | 'createdAtMs'>) => {
      const attempt = (await tx.listAttempts(payment.id)).find((candidate) => candidate.outcome === 'approved');
      if (attempt === undefined || (await tx.getReversal(reversalIdFor(attempt.id))) !== null) return null;
      return { attempt, twin: { id: payment.id, createdAtMs: payment.createdAtMs, approvedAtMs: attempt.completedAtMs } };
    };
    const mine = await approvedTwinOf(current);
    if (mine === null) return null;
    for (const candidate of await tx.findReswipeCandidates(current, current.createdAtMs - windowMs, reswipeCandidatesMax)) {
      if (!isOtherApproved(candidate, approved)) continue;
      const theirs = await approvedTwinOf(candidate);
      if (theirs === null) continue;
      const reverseId = doubleApprovalToReverse(mine.twin, theirs.twin);
      if (reverseId === null) continue;
      const [target, earlierId] = reverseId === current.id ? [mine.attempt, candidate.id] : [theirs.attempt, current.id];
      const payment = reverseId === current.id ? current : await tx.getPayment(reverseId);
      if (payment === null) continue;
      const nowMs = deps.clock.nowMs();
      await deps.enqueueReversal(tx, { attempt: target, payment, reasonCode: '06', nowMs, newStan: await tx.nextStan(target.channel), transmittedAt: transmissionDateTime(nowMs) });
      await tx.appendEvent({
        type: 'payment.double_approval',
        subjectId: reverseId,
        payload: { earlierPaymentId: earlierId, reversedPaymentId: reverseId, merchantId: payment.merchantId, terminalId: payment.terminalId, amountMinor: payment.amountMinor },
        atMs: nowMs,
      });
      return reverseId;
    }
    return null;
  });
  if (queued !== null) {
    deps.logger.warn({ paymentId: queued }, 'double approval of one card and amount: the newer payment is being reversed');
    deps.reversalWorker.kick();
  }
}

/**
 * Another payment, approved, that is a re-swipe twin of `approved`. A module function rather than a closure
 * of the use case: tsx (esbuild keepNames) names every closure bound to a const with a slow
 * Object.defineProperty, and this one ran on every approval.
 */
function isOtherApproved(candidate: ReswipeCandidate, approved: PaymentRecord): boolean {
  return candidate.id !== approved.id && candidate.status === 'approved' && isReswipeTwin(candidate, approved);
}
