// The QR outcome unit: ONE write with the attempt's end, the payment's status and answer, the fee of
// an approval, the durable follow-up of a trade still unknown, the idempotency key's stored answer and
// the event. Shared by the sale, its recovery and the background follow-up.
import { approvedDiagnosis, type Diagnosis } from '../../core/declines/index.ts';
import { diagnoseQrCode, qrOutcomeDiagnosis } from '../../core/declines/qr-code-table.ts';
import { toPaymentView, type PaymentView } from '../../core/payments/payment-view.ts';
import { completedPayload, feeViewOf } from '../../core/payments/sale-answer.ts';
import type { QrProtocol } from '../../core/ports/qr-channel.ts';
import type { AttemptRecord, FeeLineRecord, PaymentRecord, StoreTx } from '../../core/ports/store.ts';
import { followUpBackoffMs } from '../../core/qr/qr-follow-up-rules.ts';
import { finishQrRecords, type QrEnd } from '../../core/qr/qr-sale-records.ts';
import { newRandomId } from '../../core/time/random.ts';
import { updatePaymentChecked, writeDurably } from '../payments/durable-write.ts';
import { feeOf } from '../payments/payment-views.ts';
import type { LeaseFence } from '../cluster/work-lease.ts';
import type { QrPaymentDeps } from './qr-deps.ts';

/** The diagnosis a QR end is answered with: the catalogue's entry for the provider's code when there is one. */
export function diagnosisOfQrEnd(deps: Pick<QrPaymentDeps, 'codeTables'>, protocol: QrProtocol, end: QrEnd, providerCode: string | null): Diagnosis {
  switch (end) {
    case 'approved':
      return approvedDiagnosis();
    case 'declined':
      return diagnoseQrCode(deps.codeTables, protocol, providerCode, 'declined');
    case 'not_sent':
      return qrOutcomeDiagnosis('not_sent', null);
    case 'cancelled':
      return qrOutcomeDiagnosis('reversed', null);
    case 'unknown':
      return qrOutcomeDiagnosis('unknown', null);
  }
}

export interface QrOutcomeInput {
  paymentId: string;
  attempt: AttemptRecord;
  end: QrEnd;
  diagnosis: Diagnosis;
  /** The idempotency key whose answer this is, when the client is waiting for it (not for a background end). */
  idempotency: { scope: string; key: string } | null;
  /** Why a trade still unknown goes to the follow-up queue. */
  followUpReason: string | null;
  by: 'sale' | 'recovery' | 'follow_up';
  /** A background pass's work lease on several nodes: checked first in the unit, so a node that lost it writes nothing. */
  fence?: LeaseFence | undefined;
}

/** Writes the end; resolves with the view (the answer) and the payment as written. */
export async function writeQrOutcomeUnit(deps: QrPaymentDeps, input: QrOutcomeInput): Promise<{ view: PaymentView; payment: PaymentRecord }> {
  return writeDurably(deps.store, async (tx) => {
    await input.fence?.check(tx);
    const nowMs = deps.clock.nowMs();
    const stored = await tx.getPayment(input.paymentId);
    if (stored === null) throw new Error(`broken invariant: QR payment ${input.paymentId} vanished`);
    const { payment, attempt } = finishQrRecords(stored, input.attempt, input.end, input.diagnosis, nowMs);
    await tx.updateAttempt(attempt);
    await updatePaymentChecked(tx, stored, payment);
    const written = { ...payment, version: stored.version + 1 };
    let recordedFee: FeeLineRecord | null | undefined;
    if (stored.status !== 'approved' && payment.status === 'approved' && deps.fees !== undefined) recordedFee = await deps.fees.recordApproved(tx, written);
    if (input.end === 'unknown') await enqueueQrFollowUp(deps, tx, written, attempt, nowMs + followUpBackoffMs(deps.settings.followUp, 1), input.followUpReason);
    const attempts = await tx.listAttempts(written.id);
    const view = toPaymentView(written, attempts, recordedFee === undefined ? await feeOf(tx, written.id) : feeViewOf(recordedFee === null ? [] : [recordedFee]));
    if (input.idempotency !== null) {
      await tx.updateIdempotency(input.idempotency.scope, input.idempotency.key, { paymentId: written.id, state: 'done', responseStatus: 201, responseBody: JSON.stringify(view), updatedAtMs: nowMs });
    }
    if (input.end === 'unknown') {
      await tx.appendEvent({ type: 'payment.unknown', subjectId: written.id, payload: { seq: attempt.seq, channel: attempt.channel, method: written.method, by: input.by }, atMs: nowMs });
    }
    if (input.end === 'cancelled' && stored.status === 'pending' && input.by !== 'sale') {
      await tx.appendEvent({ type: 'payment.reversed', subjectId: written.id, payload: { method: written.method, by: input.by }, atMs: nowMs });
    }
    if (input.end !== 'unknown' && (input.by === 'sale' || stored.status === 'pending')) {
      await tx.appendEvent({ type: 'payment.completed', subjectId: written.id, payload: { ...completedPayload(written, input.diagnosis), method: written.method }, atMs: nowMs });
    }
    return { view, payment: written };
  });
}

/** Queues the background cancel of a trade whose outcome is unknown (one per payment; a second is a no-op). */
export async function enqueueQrFollowUp(deps: QrPaymentDeps, tx: StoreTx, payment: PaymentRecord, attempt: AttemptRecord, dueAtMs: number, reason: string | null): Promise<void> {
  if ((await tx.getQrFollowUpOfPayment(payment.id)) !== null) return;
  await tx.insertQrFollowUp({
    id: newRandomId(deps.random, 'qrf'),
    paymentId: payment.id,
    attemptId: attempt.id,
    channel: attempt.channel,
    outTradeNo: payment.id,
    state: 'pending',
    tries: 0,
    nextAtMs: dueAtMs,
    lastError: reason,
    createdAtMs: deps.clock.nowMs(),
    completedAtMs: null,
  });
}
