// When a reversal of a flagged payment is confirmed by the bank (typically one an operator retried),
// the payment no longer needs anyone: the confirmation is a definite answer that no money moved. It is
// resolved as `reversed` in the same write that settles the reversal, with an audit record and a
// `payment.manual_resolved` event, so nothing leaves the operators' list unnoticed. A payment that
// still has another reversal dead or in flight stays on the list.
import type { PaymentRecord, ReversalRecord, StoreTx } from '../../core/ports/store.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { loadManualHandlingForUpdate } from './load-manual-handling.ts';

const actor = 'reversal-worker';

/** Called by the engine inside the reversal's settling write, after the payment's status was updated; true when it resolved the payment. */
export async function closeManualHandlingOnConfirmedReversal(
  tx: StoreTx,
  input: { payment: PaymentRecord; reversal: ReversalRecord; responseCode: string | null; nowMs: number },
): Promise<boolean> {
  if ((input.payment.manualHandlingSinceMs ?? null) === null) return false;
  if (input.payment.status === 'pending' || input.payment.status === 'approved') return false;
  const loaded = await loadManualHandlingForUpdate(tx, input.payment.id);
  if (loaded === null || loaded.resolution !== null) return false;
  // The settling reversal is already `done` in this transaction; any other row still open keeps the payment on the list.
  if (loaded.reversals.some(({ reversal }) => reversal.state !== 'done')) return false;
  const note = `reversal ${input.reversal.id} confirmed by ${input.reversal.channel} with DE 39 ${input.responseCode ?? '-'} after try ${input.reversal.tries}`;
  await tx.insertManualResolution({ paymentId: input.payment.id, outcome: 'reversed', note, actor, atMs: input.nowMs });
  await recordAudit(tx, { actor, action: 'manual_handling.resolve', subjectId: input.payment.id, detail: { outcome: 'reversed', note, statusAfter: input.payment.status }, atMs: input.nowMs });
  await tx.appendEvent({
    type: 'payment.manual_resolved',
    subjectId: input.payment.id,
    payload: { outcome: 'reversed', status: input.payment.status, actor, amountMinor: input.payment.amountMinor, currency: input.payment.currency, merchantId: input.payment.merchantId },
    atMs: input.nowMs,
  });
  return true;
}
