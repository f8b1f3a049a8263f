// Use case: finish QR refunds left `pending`: unknown when the client's budget ended (answered WAIT), or
// a crash between the refund's intent and its answer. Run at start and by the recovery sweep. Each pass
// sends the refund again under the same out_refund_no (the provider refunds one number once, and the
// client was never told it failed) and writes a definite answer; a refund still unknown once the
// follow-up queue's whole window has passed (engine.qr.followUp triesMax x backoffMsMax, the time a
// cancel gets) is handed to manual handling, so nothing stays pending unflagged.
import { isQrProviderMethod } from '../../core/qr/auth-code.ts';
import { updatePaymentChecked, writeDurably } from '../payments/durable-write.ts';
import { stopIfLeaseLost, type LeaseFence } from '../cluster/work-lease.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import type { QrPaymentDeps } from './qr-deps.ts';
import { refundUntilFinal, writeQrRefundOutcome } from './refund-qr-payment.ts';

export async function recoverPendingQrRefunds(deps: QrPaymentDeps, pending: readonly PaymentRecord[], options: { fence?: LeaseFence | undefined } = {}): Promise<{ refunds: number; finished: number; manual: number }> {
  const counts = { refunds: 0, finished: 0, manual: 0 };
  const windowMs = deps.settings.followUp.triesMax * deps.settings.followUp.backoffMsMax;
  for (const refund of pending) {
    if (refund.kind !== 'refund' || !isQrProviderMethod(refund.method) || refund.originalPaymentId === null) continue;
    if ((refund.manualHandlingSinceMs ?? null) !== null || deps.active.has(refund.id)) continue;
    counts.refunds += 1;
    const original = await deps.store.getPayment(refund.originalPaymentId);
    const attempts = await deps.store.listAttempts(refund.id);
    const attempt = attempts[attempts.length - 1];
    const entry = deps.channels.find((candidate) => candidate.port.name === attempt?.channel);
    let unknown = true;
    if (original !== null && attempt !== undefined && entry !== undefined) {
      stopIfLeaseLost(options.fence, 'the next refund');
      deps.active.add(refund.id);
      try {
        // One call per pass: the budget ends with this call's timeout.
        const result = await refundUntilFinal(deps, entry, original, refund, deps.clock.nowMs() + entry.timeoutMs);
        unknown = !(result.kind === 'answer' && (result.state === 'refunded' || result.state === 'failed'));
        if (!unknown) {
          await writeQrRefundOutcome(deps, refund, attempt, result, null);
          counts.finished += 1;
        }
      } finally {
        deps.active.delete(refund.id);
      }
    }
    if (unknown && deps.clock.nowMs() - refund.createdAtMs >= windowMs) {
      await writeDurably(deps.store, async (tx) => {
        await options.fence?.check(tx);
        const nowMs = deps.clock.nowMs();
        const current = await tx.getPayment(refund.id);
        if (current === null || current.status !== 'pending' || (current.manualHandlingSinceMs ?? null) !== null) return;
        await updatePaymentChecked(tx, current, { ...current, manualHandlingSinceMs: nowMs, updatedAtMs: nowMs });
        await tx.appendEvent({ type: 'payment.manual_handling', subjectId: current.id, payload: { method: current.method, originalPaymentId: current.originalPaymentId, reason: 'QR refund still unknown after its recovery window' }, atMs: nowMs });
      });
      counts.manual += 1;
      deps.logger.error({ paymentId: refund.id, originalPaymentId: refund.originalPaymentId }, 'QR refund still unknown; handed to manual handling');
    }
  }
  if (counts.refunds > 0) deps.logger.info(counts, 'QR refund recovery done');
  return counts;
}
