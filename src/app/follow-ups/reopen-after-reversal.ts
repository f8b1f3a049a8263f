// A settled reversal of a follow-up, for the reversal worker, in its settling write: when a void,
// completion void or cancel that closed its original is itself reversed (unknown outcome, late
// approval, terminal 0400), the original is open again (src/core/payments/reopen-rules.ts decides).
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { closesItsOriginal, decideReopen } from '../../core/payments/reopen-rules.ts';
import type { PaymentRecord, StoreTx } from '../../core/ports/store.ts';
import type { ReversalSettlement } from '../reversals/reversal-worker.ts';
import type { FollowUpContext } from './follow-up-context.ts';

export async function reopenAfterReversalInTx(context: FollowUpContext, tx: StoreTx, settled: ReversalSettlement): Promise<void> {
  if (settled.result !== 'reversed') return;
  const reversed = await tx.getPayment(settled.payment.id);
  if (reversed === null || reversed.originalPaymentId === null || !closesItsOriginal(reversed.kind)) return;
  const original = await tx.lockPaymentForUpdate(reversed.originalPaymentId);
  if (original === null) return;
  const decision = decideReopen({ reversed, original, followUps: original.status === 'voided' ? await tx.listFollowUps(original.id) : [] });
  if (decision.kind === 'keep') return;
  const nowMs = context.clock.nowMs();
  const reopened: PaymentRecord = { ...original, status: 'approved', updatedAtMs: nowMs, version: original.version + 1 };
  if (!(await tx.updatePayment(original, reopened))) throw new ReswipeError('RSW_STORE_CONFLICT', { constraint: 'payments_version' });
  if (decision.recordFee && context.fees !== undefined) await context.fees.recordApproved(tx, reopened);
  await tx.appendEvent({ type: 'payment.unvoided', subjectId: original.id, payload: { by: reversed.id }, atMs: nowMs });
}
