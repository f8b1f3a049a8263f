// A settled reversal of a follow-up, for the reversal worker, in its settling write: when a void,
// completion void or cancel that closed its original is itself reversed (unknown outcome, late
// approval, terminal 0400), the original is open again, and a sale's or completion's fee is recorded
// again, unless another closing follow-up of it still stands.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { PaymentRecord, StoreTx } from '../../core/ports/store.ts';
import type { ReversalSettlement } from '../reversals/reversal-worker.ts';
import type { FollowUpContext } from './follow-up-context.ts';

const closingKinds = new Set(['void', 'completion_void', 'preauth_cancel']);

export async function reopenAfterReversalInTx(context: FollowUpContext, tx: StoreTx, settled: ReversalSettlement): Promise<void> {
  if (settled.result !== 'reversed') return;
  const followUp = await tx.getPayment(settled.payment.id);
  if (followUp === null || followUp.originalPaymentId === null) return;
  if (!closingKinds.has(followUp.kind)) return;
  const original = await tx.lockPaymentForUpdate(followUp.originalPaymentId);
  if (original === null || original.status !== 'voided') return;
  const liveCloser = (await tx.listFollowUps(original.id)).some((other) => other.id !== followUp.id && closingKinds.has(other.kind) && other.status === 'approved');
  if (liveCloser) return;
  const nowMs = context.clock.nowMs();
  const reopened: PaymentRecord = { ...original, status: 'approved', updatedAtMs: nowMs, version: original.version + 1 };
  if (!(await tx.updatePayment(original, reopened))) throw new ReswipeError('RSW_STORE_CONFLICT', { constraint: 'payments_version' });
  if (context.fees !== undefined && followUp.kind !== 'preauth_cancel') await context.fees.recordApproved(tx, reopened);
  await tx.appendEvent({ type: 'payment.unvoided', subjectId: original.id, payload: { by: followUp.id }, atMs: nowMs });
}
