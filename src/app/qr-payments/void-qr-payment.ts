// Use case: void a same-day QR sale by cancelling its trade (撤销: WeChat reverse, Alipay cancel,
// which refund a paid trade in full). The card void rules decide (src/core/payments/void-rules.ts:
// same business day, full amount, not voided or refunded already) inside one write that stores the
// void `pending`; the cancel repeats while the provider asks (bounded); a confirmed cancel approves
// the void and marks the original `voided` (its fee removed) in one write. Not confirmed: the void is
// answered `pending` (WAIT) and flagged for manual handling: the cancel may have refunded the trade
// while the original still reads approved, so an operator checks the provider's record.
import { approvedDiagnosis, type Diagnosis } from '../../core/declines/index.ts';
import { qrOutcomeDiagnosis } from '../../core/declines/qr-code-table.ts';
import { businessDateOf } from '../../core/fees/business-date.ts';
import { toPaymentView } from '../../core/payments/payment-view.ts';
import { completedPayload } from '../../core/payments/sale-answer.ts';
import { toStoredDecline } from '../../core/payments/stored-decline.ts';
import { refuse } from '../../core/payments/txn-rule-result.ts';
import { decideVoid } from '../../core/payments/void-rules.ts';
import type { FollowUpRequest, FollowUpResult, TxnView } from '../../core/ports/payments.ts';
import type { QrCancelResult } from '../../core/ports/qr-channel.ts';
import type { AttemptRecord, PaymentRecord } from '../../core/ports/store.ts';
import { buildQrAttempt, qrPaymentIdOf } from '../../core/qr/qr-sale-records.ts';
import { newRandomId } from '../../core/time/random.ts';
import { updatePaymentChecked, writeDurably } from '../payments/durable-write.ts';
import type { LeaseFence } from '../cluster/work-lease.ts';
import { callProvider } from './call-provider.ts';
import type { QrPaymentDeps } from './qr-deps.ts';
import { refundQrPaymentReplay } from './refund-qr-payment.ts';

export async function voidQrPayment(deps: QrPaymentDeps, request: FollowUpRequest): Promise<FollowUpResult> {
  const replay = await refundQrPaymentReplay(deps, request);
  if (replay !== null) return replay;
  const nowMs = deps.clock.nowMs();
  const voidId = qrPaymentIdOf(newRandomId(deps.random, 'x').slice(2));
  const started = await writeDurably(deps.store, async (tx) => {
    const original = await tx.lockPaymentForUpdate(request.originalPaymentId);
    if (original === null || original.merchantId !== request.merchantId) return { kind: 'refused' as const, refusal: refuse('RSW_TXN_ORIGINAL_NOT_FOUND', { originalId: request.originalPaymentId }) };
    const followUps = await tx.listFollowUps(original.id);
    const decision = decideVoid({
      operation: 'void',
      original,
      followUps,
      amountMinor: request.amountMinor ?? original.amountMinor,
      currency: request.currency ?? original.currency,
      terminalId: request.terminalId ?? original.terminalId,
      originalBusinessDate: businessDateOf(original.createdAtMs, deps.settings.businessTimeZone),
      todayBusinessDate: businessDateOf(nowMs, deps.settings.businessTimeZone),
      batchClosedAtMs: null,
    });
    if (decision.kind !== 'allowed') return { kind: 'refused' as const, refusal: decision };
    // A refund beside a void would give money back twice: the card rules count refunds only for refunds, so a QR void refuses them here.
    if (followUps.some((f) => f.kind === 'refund' && (f.status === 'approved' || f.status === 'pending'))) return { kind: 'refused' as const, refusal: refuse('RSW_TXN_HAS_REFUNDS') };
    const attempts = await tx.listAttempts(original.id);
    const channel = attempts.find((a) => a.outcome === 'approved')?.channel ?? attempts[attempts.length - 1]?.channel;
    const entry = deps.channels.find((candidate) => candidate.port.name === channel);
    if (entry === undefined) return { kind: 'refused' as const, refusal: refuse('RSW_TXN_ORIGINAL_NOT_FOUND', { originalId: original.id }) };
    await tx.insertIdempotency({ scope: request.idempotency.scope, key: request.idempotency.key, requestHash: request.idempotency.requestHash, paymentId: voidId, state: 'in_progress', responseStatus: null, responseBody: null, createdAtMs: nowMs, updatedAtMs: nowMs });
    const voidPayment: PaymentRecord = { ...original, id: voidId, kind: 'void', status: 'pending', intake: request.intake, terminalStan: request.terminalStan ?? null, terminalTransmittedAt: request.terminalTransmittedAt ?? null, reference: request.reference, originalPaymentId: original.id, responseCode: null, authCode: null, rrn: null, decline: null, createdAtMs: nowMs, updatedAtMs: nowMs, version: 1, manualHandlingSinceMs: null };
    await tx.insertPayment(voidPayment);
    const attempt = buildQrAttempt({ id: newRandomId(deps.random, 'att'), paymentId: voidId, seq: 1, channel: entry.port.name, stan: await tx.nextStan(entry.port.name), upstreamTerminalId: original.terminalId ?? deps.settings.httpTerminalId, nowMs });
    await tx.insertAttempt(attempt);
    return { kind: 'started' as const, original, voidPayment, attempt, entry };
  });
  if (started.kind === 'refused') return { kind: 'refused', refusal: started.refusal };
  const { entry, original } = started;
  let result: QrCancelResult = { kind: 'not_sent', reason: 'closed', detail: 'not tried' };
  deps.active.add(voidId);
  try {
    for (let tries = 1; tries <= deps.settings.sale.cancelsMax; tries++) {
      result = await callProvider(deps.clock, () => entry.port.cancel(original.id, { timeoutMs: entry.timeoutMs }));
      if (result.kind === 'answer' && !result.callAgain) break;
      await deps.sleep(deps.settings.sale.cancelAgainDelayMs);
    }
  } finally {
    deps.active.delete(voidId);
  }
  const { view, diagnosis } = await writeQrVoidOutcome(deps, voidId, original.id, started.attempt, result, request.idempotency);
  return { kind: 'completed', view, diagnosis };
}

/**
 * The void's end in one write: a confirmed cancel approves the void and marks the original `voided` (its
 * fee removed); a refused one declines the void; anything else leaves it `pending`, flagged for manual
 * handling. Used by the void itself and by the recovery of a void a crash left pending.
 */
export async function writeQrVoidOutcome(
  deps: QrPaymentDeps,
  voidId: string,
  originalPaymentId: string,
  attempt: AttemptRecord,
  result: QrCancelResult,
  idempotency: { scope: string; key: string } | null,
  fence?: LeaseFence,
): Promise<{ view: TxnView; diagnosis: Diagnosis }> {
  const confirmed = result.kind === 'answer' && result.cancelled && !result.callAgain;
  const refused = result.kind === 'answer' && !result.cancelled && !result.callAgain;
  const diagnosis = confirmed ? approvedDiagnosis() : refused ? { ...qrOutcomeDiagnosis('declined', result.kind === 'answer' ? result.providerCode : null), reason: 'the provider refused the cancel; refund instead' } : qrOutcomeDiagnosis('unknown', null);
  const view = await writeDurably(deps.store, async (tx) => {
    await fence?.check(tx);
    const at = deps.clock.nowMs();
    const stored = await tx.getPayment(voidId);
    const originalNow = await tx.getPayment(originalPaymentId);
    if (stored === null || originalNow === null) throw new Error(`broken invariant: void ${voidId} or its original vanished`);
    // Recovery and a late writer both finish a void once: a void already ended is left as it is.
    if (stored.status !== 'pending' || (stored.manualHandlingSinceMs ?? null) !== null) return toPaymentView(stored, await tx.listAttempts(voidId)) as TxnView;
    await tx.updateAttempt({ ...attempt, outcome: confirmed ? 'approved' : refused ? 'declined' : 'unknown', responseCode: confirmed ? '00' : diagnosis.code, providerCode: result.kind === 'answer' ? result.providerCode : null, completedAtMs: confirmed || refused ? at : null });
    const unknown = !confirmed && !refused;
    const after: PaymentRecord = { ...stored, status: confirmed ? 'approved' : refused ? 'declined' : 'pending', responseCode: diagnosis.code, decline: confirmed ? null : toStoredDecline(diagnosis), updatedAtMs: at, ...(unknown ? { manualHandlingSinceMs: at } : {}) };
    await updatePaymentChecked(tx, stored, after);
    if (confirmed) {
      if (originalNow.status === 'approved') await updatePaymentChecked(tx, originalNow, { ...originalNow, status: 'voided', updatedAtMs: at });
      await deps.fees?.removeForPayment(tx, originalNow);
    }
    if (unknown) await tx.appendEvent({ type: 'payment.manual_handling', subjectId: voidId, payload: { method: after.method, originalPaymentId, reason: 'QR void (cancel) not confirmed' }, atMs: at });
    const written = { ...after, version: stored.version + 1 };
    const txnView = toPaymentView(written, await tx.listAttempts(voidId)) as TxnView;
    if (idempotency !== null) await tx.updateIdempotency(idempotency.scope, idempotency.key, { paymentId: voidId, state: 'done', responseStatus: 201, responseBody: JSON.stringify(txnView), updatedAtMs: at });
    if (confirmed || refused) await tx.appendEvent({ type: 'payment.completed', subjectId: voidId, payload: { ...completedPayload(written, diagnosis), kind: 'void', method: written.method }, atMs: at });
    return txnView;
  });
  return { view, diagnosis };
}
