// Use case: an operator, having asked the bank, resolves a flagged payment as `charged` (the customer
// paid: the attempt whose reversal died is approved, the payment is approved, its fee line is recorded
// as for any approved sale, so it joins its business day's settlement) or `not-charged` (no money
// moved: the attempts whose reversals died are reversed, the payment ends reversed, a fee it had is
// removed). One store write holds the resolution row (unique per payment), the attempts, the payment,
// the fee lines, the audit record and the event; a refusal changes nothing.
import { approvedDiagnosis, classifyOutcome } from '../../core/declines/index.ts';
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import { decideManualHandling } from '../../core/payments/manual-handling-decision.ts';
import { resolutionNoteRefusal, type ManualHandlingView } from '../../core/payments/manual-handling-view.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { toStoredDecline } from '../../core/payments/stored-decline.ts';
import { loadManualHandling, loadManualHandlingForUpdate, manualHandlingFactsOf, viewOfLoaded } from './load-manual-handling.ts';
import type { ManualHandlingDeps } from './manual-handling-deps.ts';
import type { ResolveManualPaymentInput } from '../../core/ports/manual-handling-use-cases.ts';

export type { ResolveManualPaymentInput };

/** Resolves a flagged payment; throws a RSW_MANUAL_* ReswipeError when refused (nothing changed). */
export async function resolveManualPayment(deps: ManualHandlingDeps, input: ResolveManualPaymentInput): Promise<ManualHandlingView> {
  const noteRefusal = resolutionNoteRefusal(input.note);
  if (noteRefusal !== null) throw new ReswipeError(noteRefusal.code, { field: 'note', ...(noteRefusal.code === 'RSW_MANUAL_NOTE_INVALID' ? { reason: noteRefusal.reason } : {}) });
  try {
    return await deps.store.write(async (tx) => {
      const loaded = await loadManualHandlingForUpdate(tx, input.paymentId);
      if (loaded === null) throw new ReswipeError('RSW_MANUAL_PAYMENT_NOT_FOUND', { paymentId: input.paymentId, field: 'paymentId' });
      const decision = decideManualHandling(await manualHandlingFactsOf(tx, loaded, deps.settlementDay), { kind: 'resolve', outcome: input.outcome });
      if (decision.kind === 'refused') throw new ReswipeError(decision.refusal.code, { ...decision.refusal.params, field: 'paymentId' });
      if (decision.kind !== 'resolve') throw new Error(`broken invariant: a resolution decided ${decision.kind}`);
      const nowMs = deps.clock.nowMs();
      // First, so a resolution racing this one (another node, the CLI) fails here, before anything else is written.
      await tx.insertManualResolution({ paymentId: input.paymentId, outcome: decision.outcome, note: input.note, actor: input.actor, atMs: nowMs });
      for (const change of decision.attemptOutcomes) {
        const attempt = loaded.attempts.find((candidate) => candidate.seq === change.seq);
        if (attempt === undefined) throw new Error(`broken invariant: decided on attempt ${change.seq}, which the payment does not have`);
        await tx.updateAttempt({ ...attempt, outcome: change.outcome, completedAtMs: attempt.completedAtMs ?? nowMs });
      }
      const before = loaded.payment;
      const diagnosis = decision.status === 'approved' ? approvedDiagnosis() : classifyOutcome('reversed');
      const after: PaymentRecord = {
        ...before,
        status: decision.status,
        responseCode: decision.status === 'approved' && before.status === 'approved' ? before.responseCode : diagnosis.code,
        decline: decision.status === 'approved' ? null : toStoredDecline(diagnosis),
        updatedAtMs: nowMs,
      };
      // The payment is locked (PostgreSQL) or the only writer is this unit (SQLite): its version cannot have moved.
      if (!(await tx.updatePayment(before, after))) throw new Error(`broken invariant: payment ${before.id} changed under its lock`);
      const updated: PaymentRecord = { ...after, version: before.version + 1 };
      switch (decision.fee) {
        case 'record':
          await deps.fees.recordApproved(tx, updated);
          break;
        case 'remove':
          await deps.fees.removeForPayment(tx, updated);
          break;
        case 'keep':
          break;
      }
      await recordAudit(tx, {
        actor: input.actor,
        action: 'manual_handling.resolve',
        subjectId: input.paymentId,
        detail: { outcome: decision.outcome, note: input.note, statusBefore: before.status, statusAfter: decision.status, attempts: decision.attemptOutcomes, fee: decision.fee },
        atMs: nowMs,
      });
      await tx.appendEvent({
        type: 'payment.manual_resolved',
        subjectId: input.paymentId,
        payload: { outcome: decision.outcome, status: decision.status, actor: input.actor, amountMinor: before.amountMinor, currency: before.currency, merchantId: before.merchantId },
        atMs: nowMs,
      });
      const reloaded = await loadManualHandlingForUpdate(tx, input.paymentId);
      if (reloaded === null) throw new Error('broken invariant: the payment vanished inside its own write');
      const view = viewOfLoaded(reloaded);
      await input.inTx?.(tx, view);
      return view;
    });
  } catch (error) {
    // Two resolutions at once: the second hit the primary key. Answer as if it had come second.
    if (isReswipeError(error, 'RSW_STORE_CONFLICT') && error.params.constraint === 'manual_resolutions_pkey') {
      const current = await loadManualHandling(deps.store, input.paymentId);
      throw new ReswipeError('RSW_MANUAL_ALREADY_RESOLVED', { paymentId: input.paymentId, outcome: current?.resolution?.outcome ?? 'unknown', field: 'paymentId' });
    }
    throw error;
  }
}
